# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-socketio's events: decorators for handlers.

    from django_socketio import events

    @events.on_message(channel="^room-")
    def message(request, socket, context, message): ...

    @events.on("chat", channel="^room-")        # any named event, with ack
    def chat(request, socket, context, text):
        return "got it"

Signatures: on_connect, on_disconnect, on_finish ``(request, socket,
context)``; on_message ``(..., message)``; on_subscribe, on_unsubscribe
``(..., channel)``; on_error ``(..., exception)``; ``on(name)``
``(..., *args)``. Put them in an ``events.py`` of an installed app: those
modules are imported when Django starts.
"""
from socketiod.registry import Event, EventError, Registry  # noqa: F401

registry = Registry()

on_connect = registry.on_connect          # request, socket, context
on_message = registry.on_message          # request, socket, context, message
on_subscribe = registry.on_subscribe      # request, socket, context, channel
on_unsubscribe = registry.on_unsubscribe  # request, socket, context, channel
on_error = registry.on_error              # request, socket, context, exception
on_disconnect = registry.on_disconnect    # request, socket, context
on_finish = registry.on_finish            # request, socket, context
on = registry.on                          # on(name, channel=None)
