# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The event endpoint: socketiod posts each client event here (signed);
the handlers of django_socketio.events run and their actions, ack and
context go back as JSON."""
import json
import logging

from django.core.serializers.json import DjangoJSONEncoder
from django.http import (HttpResponse, HttpResponseBadRequest,
                         HttpResponseForbidden, HttpResponseNotAllowed)
from django.views.decorators.csrf import csrf_exempt

from socketiod import upstream
from socketiod.exceptions import BadRequest, SignatureError
from socketiod.signature import META_KEY

from . import conf, events, users
from .request import socket_request

log = logging.getLogger("django_socketio")


def read_event(request):
    """The verified UpstreamEvent of a daemon request, or an HttpResponse
    refusing it."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        return upstream.parse(request.body, request.META.get(META_KEY, ""),
                              conf.secret())
    except SignatureError as e:
        log.warning("refused an upstream request: %s", e)
        return HttpResponseForbidden("bad signature\n")
    except BadRequest as e:
        log.warning("%s", e)
        return HttpResponseBadRequest("bad request\n")


def json_response(doc):
    return HttpResponse(json.dumps(doc, cls=DjangoJSONEncoder),
                        content_type="application/json")


@csrf_exempt
def socketio(request):
    """The endpoint socketiod's --upstream points at."""
    ev = read_event(request)
    if isinstance(ev, HttpResponse):
        return ev
    req = socket_request(request, ev)
    return json_response(users.add_user(
        upstream.dispatch(events.registry, ev, req, rpc=conf.rpc(),
                          logger=log), ev, req))
