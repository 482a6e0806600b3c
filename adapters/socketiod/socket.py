# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The ``socket`` a handler gets: django-socketio's methods, each mapped to
an action in the answer to the daemon (inside a handler) or to a control
RPC call (a socket found out of band, e.g. ``realtime.connected_sockets``).

Inside a handler the actions go back in the response and the daemon
applies them in order (then the ack): one event, one round trip. A
handler still running STREAM_AFTER seconds after it started (a progress
loop) sends what it collected, and everything after, at once over the
control RPC, so the client sees it while the handler runs; the ack still
comes last. Once the answer is made the socket is no longer in a handler:
a socket kept in a dict, a timer or a thread sends over the control RPC
(and raises when it cannot), never into an answer already gone.
"""
import base64
import heapq
import itertools
import logging
import threading
import time

from .exceptions import SocketiodError

STREAM_AFTER = 0.1      # seconds a handler runs before its sends stream
log = logging.getLogger("socketiod.socket")


class _Streamer:
    """One thread for the whole process that, at each socket's time,
    streams the sends of handlers still running (a thread per event would
    cost more than the event)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._heap = []
        self._seq = itertools.count()
        self._thread = None

    def at(self, when, socket):
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._seq), socket))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, daemon=True, name="socketiod-stream")
                self._thread.start()
            self._cond.notify()

    def _run(self):
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cond.wait(self._heap[0][0] - time.monotonic()
                                    if self._heap else None)
                _, _, socket = heapq.heappop(self._heap)
            socket._stream()  # nothing when its handler has returned


_streamer = _Streamer()


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
                 rpc=None, info=None, stream_after=None):
        self.sid = sid
        self.namespace = namespace
        self.channels = list(channels)
        self.actions = actions
        self.rpc = rpc
        self.info = info or {}          # a `sessions` entry, when known
        self.session = Session(sid)
        # A disconnect delivered late (docs/upstream.md): the app was down
        # when the socket went; sends from its handlers reach nobody.
        self.late = False
        self.ack_args = None            # set by ack()
        # Streaming (see the module's doc): the time after which the
        # handler's sends go out at once, a timer, and a lock that keeps
        # the timer's flush and the handler's own sends in order.
        self._stream_at = None
        if actions is not None and rpc is not None and stream_after is not None:
            self._stream_at = time.monotonic() + stream_after
        self._streaming = False
        self._timed = False
        self._lock = threading.Lock()

    # -- plumbing -----------------------------------------------------------

    @property
    def in_handler(self):
        return self.actions is not None

    def _rpc(self):
        if self.rpc is None:
            raise SocketiodError("this socket has no control connection")
        return self.rpc

    def _do(self, a):
        """Collects action ``a`` for the answer, or performs it now over
        the control RPC (outside a handler, or while streaming)."""
        with self._lock:
            if self.actions is not None and not self._streaming:
                self.actions.append(a)
                if self._stream_at is not None and not self._timed:
                    self._timed = True
                    _streamer.at(self._stream_at, self)
                return None
            return self._perform(a)

    def _stream(self):
        """At its time (the streamer's thread): if the handler is still
        running, send what it collected and its next sends at once."""
        with self._lock:
            if self.actions is None or self._streaming:
                return
            try:
                while self.actions:
                    self._perform(self.actions[0])
                    del self.actions[0]
            except SocketiodError as e:  # left for the answer, in order
                log.warning("socket %s: cannot stream a long handler's "
                            "sends (%s); they go with its answer",
                            self.sid, e)
                self._stream_at = None
                return
            self._streaming = True

    def finish(self):
        """Ends the handler: returns the actions left for the answer; from
        now on this socket sends over the control RPC."""
        with self._lock:
            left, self.actions = self.actions or [], None
            return left

    def _perform(self, a):
        """Action ``a`` (docs/upstream.md) as the control RPC call that
        does the same."""
        r = self._rpc()
        nsp = a.get("namespace", self.namespace)
        kind = a["action"]
        if kind == "emit":
            to = None if ("channel" in a or a.get("broadcast")) else self.sid
            return r.emit(a["event"], a["args"], namespace=nsp, to=to,
                          channel=a.get("channel"),
                          exclude=self.sid if a.get("except_self") else None)
        if kind == "join":
            return r.join(self.sid, a["channel"])
        if kind == "leave":
            return r.leave(self.sid, a["channel"])
        return r.disconnect(self.sid)

    def _emit(self, event, args, to_self=False, channel=None,
              broadcast=False, except_self=False):
        a = {"action": "emit", "event": event,
             "args": encode_binary(list(args))}
        if channel is not None:
            a["channel"] = channel
        elif broadcast:
            a["broadcast"] = True
        if except_self:
            a["except_self"] = True
        if self.namespace != "/":
            a["namespace"] = self.namespace
        return self._do(a)

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
        self._do({"action": "join", "channel": channel})
        return True

    def unsubscribe(self, channel):
        """Takes this socket out of ``channel``; False when not in it."""
        if channel not in self.channels:
            return False
        self.channels.remove(channel)
        self._do({"action": "leave", "channel": channel})
        return True

    def ack(self, *args):
        """Acknowledges the event being handled with ``args``."""
        if not self.in_handler:
            raise SocketiodError("ack() outside an event handler")
        self.ack_args = encode_binary(list(args))

    def disconnect(self):
        """Disconnects this socket (server side)."""
        self._do({"action": "disconnect"})

    def __repr__(self):
        return "<Socket %s %s %s>" % (self.sid, self.namespace, self.channels)
