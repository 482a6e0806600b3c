# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""``{% load socketio_tags %}{% socketio %}``: the Socket.IO client
(socketiod's socket.io.js, with ``socket.subscribe()``), plus django-socketio's
``new io.Socket(); socket.connect()`` for old pages (socketiod.client)."""
from django import template
from django.utils.safestring import mark_safe

from socketiod.client import scripts_html

from .. import conf

register = template.Library()


def client_url(context):
    """SOCKETIO_URL, else the page's host name with SOCKETIO_PORT."""
    url = conf.client_url()
    if url:
        return url
    host = conf.host()
    request = context.get("request")
    if request is not None:
        host = request.get_host().rsplit(":", 1)[0]
    elif host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return "//%s:%d" % (host, conf.port())


@register.simple_tag(takes_context=True)
def socketio(context):
    return mark_safe(scripts_html(client_url(context), conf.port()))
