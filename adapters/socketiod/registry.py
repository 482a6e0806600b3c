# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The handler registry: events as decorators, with an optional channel
regular expression, django-socketio style.

    on_message = Event("on_message")

    @on_message                          # plain
    def hello(request, socket, context, message): ...

    @on_message(channel="^room-")        # only for sockets in a room-* channel
    def room(request, socket, context, message): ...

Which handlers run (``Event.send``), as django-socketio did: a handler
with a pattern runs when the pattern matches (``re.match``) one of the
socket's channels (for subscribe/unsubscribe: the channel being
(un)subscribed); a handler without one runs only while the socket is in no
channel. Events made with ``always=True`` (the named-event handlers of
``on(name)``) run their unpatterned handlers whatever the channels.
"""
import re

from .exceptions import SocketiodError


class EventError(SocketiodError):
    """A handler was registered in a way its event does not support."""


class Event:
    """A signal-like list of (handler, compiled pattern or None)."""

    def __init__(self, name, supports_channels=True, by_arg=False,
                 always=False):
        self.name = name
        self.supports_channels = supports_channels
        self.by_arg = by_arg          # match the first argument (a channel)
        self.always = always
        self.handlers = []

    def __call__(self, handler=None, channel=None):
        """Registers ``handler``; with only ``channel=``, returns a
        decorator. Returns the handler, so it stays callable."""
        if handler is None:
            return lambda h: self(h, channel)
        if channel:
            if not self.supports_channels:
                raise EventError(
                    "The %s event does not support channels so the handler "
                    "`%s` could not be registered" % (self.name,
                                                     handler.__name__))
            channel = re.compile(channel)
        self.handlers.append((handler, channel))
        return handler

    def matching(self, channels, *args):
        """The handlers that run for a socket in ``channels``."""
        out = []
        for handler, pattern in self.handlers:
            if pattern is None:
                if self.always or not channels:
                    out.append(handler)
                continue
            if self.by_arg and args:
                ok = pattern.match(str(args[0]))
            else:
                ok = any(pattern.match(c) for c in channels)
            if ok:
                out.append(handler)
        return out

    def send(self, request, socket, context, *args):
        """Runs the matching handlers in registration order; returns their
        return values."""
        return [h(request, socket, context, *args)
                for h in self.matching(socket.channels, *args)]

    def clear(self):
        del self.handlers[:]

    def __repr__(self):
        return "<Event %s: %d handlers>" % (self.name, len(self.handlers))


class Registry:
    """The events of one adapter: the seven of django-socketio plus one
    Event per named event (``on("chat")``)."""

    def __init__(self):
        self.on_connect = Event("on_connect", supports_channels=False)
        self.on_message = Event("on_message")
        self.on_subscribe = Event("on_subscribe", by_arg=True)
        self.on_unsubscribe = Event("on_unsubscribe", by_arg=True)
        self.on_error = Event("on_error")
        self.on_disconnect = Event("on_disconnect")
        self.on_finish = Event("on_finish")
        self.named = {}

    def on(self, name, channel=None):
        """Decorator for the handler of the client event ``name``; its
        return value acknowledges the event (a tuple: several arguments)."""
        ev = self.named.get(name)
        if ev is None:
            ev = self.named[name] = Event("on(%r)" % name, always=True)
        return ev(None, channel)

    def events(self):
        return [self.on_connect, self.on_message, self.on_subscribe,
                self.on_unsubscribe, self.on_error, self.on_disconnect,
                self.on_finish] + list(self.named.values())

    def clear(self):
        """Forgets every handler (for tests)."""
        for ev in self.events():
            ev.clear()
        self.named.clear()
