# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""``{% load socketio_tags %}{% socketio %}``: the Socket.IO client
(socketiod's socket.io.js, with ``socket.subscribe()``), plus django-socketio's
``new io.Socket(); socket.connect()`` for old pages."""
from django import template

from .. import conf

register = template.Library()


@register.inclusion_tag("socketio_scripts.html", takes_context=True)
def socketio(context):
    url = conf.client_url()
    if not url:
        host = conf.host()
        request = context.get("request")
        if request is not None:
            host = request.get_host().rsplit(":", 1)[0]
        elif host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        url = "//%s:%d" % (host, conf.port())
    return {"SOCKETIO_URL": url.rstrip("/"),
            "DJANGO_SOCKETIO_PORT": conf.port()}
