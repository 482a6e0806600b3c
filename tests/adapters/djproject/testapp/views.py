from django.template import Template, RequestContext
from django.http import HttpResponse


def page(request):
    t = Template("{% load socketio_tags %}<html><head>{% socketio %}</head></html>")
    return HttpResponse(t.render(RequestContext(request, {})))
