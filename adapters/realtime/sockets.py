# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-realtime's sockets: ``send``, ``emit``, ``broadcast_send``,
``broadcast_emit``, ``ack``, ``session.session_id``; and
``connected_sockets``, the live sockets as the daemon lists them."""
from socketiod.socket import Socket

from django_socketio import conf


class RealtimeSocket(Socket):
    """A socket with django-realtime's method names."""

    def broadcast_send(self, message):
        """send() to every other client."""
        return self.broadcast(message)

    def ack(self, *args):
        """``ack(*args)`` inside a handler; django-realtime's
        ``ack(event_id, *args)`` form is accepted too (the id is the one
        of the event being handled)."""
        if args and isinstance(args[0], (int, str)) and self._ack_id is not None \
                and str(args[0]).rstrip("+") == str(self._ack_id):
            args = args[1:]
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
