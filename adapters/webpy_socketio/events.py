# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""webpy-socketio's events, the same decorators as django_socketio's
(``request`` is a dict like ``web.ctx.env`` built from the socket's
handshake: cookies, headers, address, query string)."""
from socketiod.registry import Event, EventError, Registry  # noqa: F401

registry = Registry()

on_connect = registry.on_connect
on_message = registry.on_message
on_subscribe = registry.on_subscribe
on_unsubscribe = registry.on_unsubscribe
on_error = registry.on_error
on_disconnect = registry.on_disconnect
on_finish = registry.on_finish
on = registry.on

__all__ = ["on_connect", "on_message", "on_subscribe", "on_unsubscribe",
           "on_error", "on_disconnect", "on_finish", "on"]
