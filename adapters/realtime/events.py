# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-realtime's Event: a client event as signal receivers see it."""


class Event:
    """``name``, ``data`` (the argument list; also ``args``),
    ``acknowledgeable()``, ``acknowledged()``, ``ack(*args)``."""

    def __init__(self, socket, name, namespace=None, args=None, id=None):
        self._socket = socket
        self.name = name
        self.args = list(args or [])
        self.data = self.args
        self._namespace = namespace
        self._event_id = id
        self._acknowledged = False

    def acknowledgeable(self):
        """True when the client asked for an ack (emit with a callback)."""
        return self._event_id is not None

    def acknowledged(self):
        """True once ack() was called."""
        return self._acknowledged

    def ack(self, *args):
        """Acknowledges the event, the client's callback getting ``args``."""
        assert self.acknowledgeable(), "the client asked for no ack"
        assert not self.acknowledged(), "acknowledged already"
        self._socket.ack(*args)
        self._acknowledged = True

    def __repr__(self):
        return "<Event %s %r>" % (self.name, self.args)
