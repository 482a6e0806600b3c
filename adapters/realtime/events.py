# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-realtime's Event: a client event as signal receivers see it."""
import logging

from socketiod.exceptions import SocketiodError

log = logging.getLogger("realtime")


class Flag:
    """A yes/no that works both ways django-realtime's README used it:
    called (``event.acknowledgeable()``) and as a value (``if
    event.acknowledgeable:``, where a bound method would always be true)."""

    def __init__(self, get):
        self._get = get

    def __call__(self):
        return self._get()

    def __bool__(self):
        return self._get()

    def __repr__(self):
        return repr(self._get())


class Event:
    """``name``, ``data`` (the argument list; also ``args``),
    ``acknowledgeable``, ``acknowledged`` (both usable called or as a
    value), ``ack(*args)``."""

    def __init__(self, socket, name, namespace=None, args=None, id=None):
        self._socket = socket
        self.name = name
        self.args = list(args or [])
        self.data = self.args
        self._namespace = namespace
        # The 0.8 packet id as django-realtime handed it on ("13+": an ack
        # with data), for code that calls socket.ack(event._event_id, ...).
        self._event_id = None if id is None else "%s+" % id
        self._acknowledged = False
        self.acknowledgeable = Flag(lambda: self._event_id is not None)
        self.acknowledged = Flag(lambda: self._acknowledged)

    def ack(self, *args):
        """Acknowledges the event, the client's callback getting ``args``.
        When the client passed no callback there is nobody to answer: the
        call does nothing (django-realtime raised an AssertionError).
        Acknowledging twice raises SocketiodError."""
        if self._event_id is None:
            log.debug("ack() of %r, which the client sent without a "
                      "callback: nothing to send", self.name)
            return
        if self._acknowledged:
            raise SocketiodError("event %r acknowledged already" % self.name)
        self._socket.ack(self._event_id, *args)
        self._acknowledged = True

    def __repr__(self):
        return "<Event %s %r>" % (self.name, self.args)
