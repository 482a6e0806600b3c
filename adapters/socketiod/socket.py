# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The ``socket`` a handler gets: django-socketio's methods, each mapped to
an action in the answer to the daemon (inside a handler) or to a control
RPC call (a socket found out of band, e.g. ``realtime.connected_sockets``).

Inside a handler nothing is sent before the handler returns: the actions
go back in the response and the daemon applies them in order (then the
ack). That keeps one event one round trip.
"""
import base64

from .exceptions import SocketiodError


def encode_binary(v):
    """bytes -> {"_binary": base64}, at any depth (docs/rpc.md)."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"_binary": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, (list, tuple)):
        return [encode_binary(x) for x in v]
    if isinstance(v, dict):
        return {k: encode_binary(x) for k, x in v.items()}
    return v


def decode_binary(v):
    """{"_binary": base64} -> bytes, at any depth."""
    if isinstance(v, list):
        return [decode_binary(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1 and isinstance(v.get("_binary"), str):
            return base64.b64decode(v["_binary"])
        return {k: decode_binary(x) for k, x in v.items()}
    return v


class Session:
    """django-socketio's ``socket.session``: ``session_id`` is the sid."""

    def __init__(self, session_id):
        self.session_id = session_id

    def __repr__(self):
        return "<Session %s>" % self.session_id


class Socket:
    """One client socket.

    ``sid``: the Socket.IO sid; ``namespace``; ``channels``: the channels
    it is known to be in; ``actions``: a list to append response actions
    to (inside a handler) or None to call ``rpc`` (an RpcClient) at once.
    """

    def __init__(self, sid, namespace="/", channels=(), actions=None,
                 rpc=None, info=None):
        self.sid = sid
        self.namespace = namespace
        self.channels = list(channels)
        self.actions = actions
        self.rpc = rpc
        self.info = info or {}          # a `sessions` entry, when known
        self.session = Session(sid)
        self.ack_args = None            # set by ack()

    # -- plumbing -----------------------------------------------------------

    @property
    def in_handler(self):
        return self.actions is not None

    def _rpc(self):
        if self.rpc is None:
            raise SocketiodError("this socket has no control connection")
        return self.rpc

    def _emit(self, event, args, to_self=False, channel=None,
              broadcast=False, except_self=False):
        args = encode_binary(list(args))
        if self.in_handler:
            a = {"action": "emit", "event": event, "args": args}
            if channel is not None:
                a["channel"] = channel
            elif broadcast:
                a["broadcast"] = True
            if except_self:
                a["except_self"] = True
            if self.namespace != "/":
                a["namespace"] = self.namespace
            self.actions.append(a)
            return None
        r = self._rpc()
        return r.emit(event, args, namespace=self.namespace,
                      to=self.sid if to_self else None, channel=channel,
                      exclude=self.sid if except_self else None)

    # -- django-socketio's socket ----------------------------------------

    def send(self, message):
        """Sends ``message`` to this socket (the ``message`` event)."""
        return self._emit("message", [message], to_self=True)

    def emit(self, event, *args):
        """Emits ``event`` with ``args`` to this socket."""
        return self._emit(event, args, to_self=True)

    def broadcast(self, message):
        """Sends ``message`` to every other socket of the namespace."""
        return self._emit("message", [message], broadcast=True,
                          except_self=True)

    def broadcast_emit(self, event, *args):
        """Emits ``event`` to every other socket of the namespace."""
        return self._emit(event, args, broadcast=True, except_self=True)

    def broadcast_channel(self, message, channel=None):
        """Sends ``message`` to the other members of ``channel``, or of each
        channel this socket is in when ``channel`` is None."""
        for ch in ([channel] if channel is not None else self.channels):
            self._emit("message", [message], channel=ch, except_self=True)

    def send_and_broadcast(self, message):
        """send() and broadcast(): everyone, this socket included."""
        self.send(message)
        self.broadcast(message)

    def send_and_broadcast_channel(self, message, channel=None):
        """send() and broadcast_channel()."""
        self.send(message)
        self.broadcast_channel(message, channel)

    def subscribe(self, channel):
        """Puts this socket into ``channel``; False when it was in it."""
        if channel in self.channels:
            return False
        self.channels.append(channel)
        if self.in_handler:
            self.actions.append({"action": "join", "channel": channel})
        else:
            self._rpc().join(self.sid, channel)
        return True

    def unsubscribe(self, channel):
        """Takes this socket out of ``channel``; False when not in it."""
        if channel not in self.channels:
            return False
        self.channels.remove(channel)
        if self.in_handler:
            self.actions.append({"action": "leave", "channel": channel})
        else:
            self._rpc().leave(self.sid, channel)
        return True

    def ack(self, *args):
        """Acknowledges the event being handled with ``args``."""
        if not self.in_handler:
            raise SocketiodError("ack() outside an event handler")
        self.ack_args = encode_binary(list(args))

    def disconnect(self):
        """Disconnects this socket (server side)."""
        if self.in_handler:
            self.actions.append({"action": "disconnect"})
        else:
            self._rpc().disconnect(self.sid)

    def __repr__(self):
        return "<Socket %s %s %s>" % (self.sid, self.namespace, self.channels)
