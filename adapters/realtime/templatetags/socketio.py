# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""``{% load socketio %}{% socketio_client_script %}``: the client, as
django-realtime's tag did (socketiod's socket.io.js; ``io.connect(null)``
reaches the daemon)."""
from django import template

from django_socketio.templatetags.socketio_tags import socketio

register = template.Library()
register.simple_tag(takes_context=True,
                    name="socketio_client_script")(socketio)
