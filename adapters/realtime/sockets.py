# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-realtime's sockets: ``send``, ``emit``, ``broadcast_send``,
``broadcast_emit``, ``ack``, ``session.session_id``; and
``connected_sockets``, the live sockets as the daemon lists them."""
from socketiod.exceptions import SocketiodError
from socketiod.socket import Socket

from django_socketio import conf


class RealtimeSocket(Socket):
    """A socket with django-realtime's method names."""

    def broadcast_send(self, message):
        """send() to every other client."""
        return self.broadcast(message)

    def ack(self, event_id, *args):
        """django-realtime's ``socket.ack(EVENT_ID, *args)``: acknowledges
        the event being handled, the client's callback getting ``args``.
        ``event_id`` is that event's id as django-realtime gave it
        (``event._event_id``, e.g. ``"13+"``) or as a number; another id
        raises SocketiodError (only the event being handled can be
        acknowledged: its ack travels in the answer to it)."""
        mine = self._ack_id
        if mine is None or str(event_id).rstrip("+") != str(mine):
            raise SocketiodError(
                "socket.ack(%r, ...): only the event being handled can be "
                "acknowledged (%s)" % (event_id, "its id is %s+" % mine
                                       if mine is not None else
                                       "it asked for no ack"))
        return Socket.ack(self, *args)

    _ack_id = None


class ConnectedSockets:
    """A live sequence: each use lists the sockets through the control RPC
    (``sessions``), so it is the same in every process of the app."""

    def _list(self):
        rpc = conf.rpc()
        return [RealtimeSocket(s["sid"], s.get("namespace", "/"),
                               s.get("channels", []), rpc=rpc, info=s)
                for s in rpc.sessions()]

    def __iter__(self):
        return iter(self._list())

    def __len__(self):
        return len(self._list())

    def __getitem__(self, i):
        return self._list()[i]

    def __bool__(self):
        return bool(self._list())

    def __repr__(self):
        return "<connected_sockets: %d>" % len(self)


connected_sockets = ConnectedSockets()
