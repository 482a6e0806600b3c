# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Helpers for your own tests, as ``channels.testing`` is for Channels.

``EventClient`` plays socketiod in front of any WSGI application (Django's
``get_wsgi_application()``, web.py's ``app.wsgifunc()``): it sends the app
signed upstream requests for one socket, exactly as the daemon would,
keeps the context the app returns, follows its join/leave actions and
records what it asked to emit. No daemon, no browser:

    from socketiod.testing import EventClient

    client = EventClient(get_wsgi_application(), secret=settings.SOCKETIOD_SECRET,
                         cookies={"sessionid": session_key})
    client.connect()
    client.subscribe("room-1")
    client.send({"action": "start", "name": "ann"})
    assert client.emitted("message")[-1]["args"] == [{"action": "join", ...}]
    assert client.emit("chat", "hi", ack=True) == ["ok"]

``Daemon`` starts a real socketiod on a free port (for tests that need
real clients); ``free_port()`` finds a port.
"""
import io
import itertools
import json
import os
import socket
import tempfile
import time

from .exceptions import SocketiodError
from .runner import DaemonProcess
from .signature import sign

_sids = itertools.count(1)


def free_port():
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EventClient:
    """One fake socket talking to ``app`` (a WSGI callable) through the
    upstream protocol of docs/upstream.md.

    ``secret``: the upstream HMAC key the app checks; ``path``: its event
    endpoint; ``cookies`` / ``headers`` (CGI names, e.g.
    ``HTTP_USER_AGENT``) / ``query`` / ``auth``: the socket's handshake."""

    def __init__(self, app, secret, path="/socketio/events", cookies=None,
                 headers=None, query="", auth=None, namespace="/", sid=None,
                 remote_addr="127.0.0.1"):
        self.app = app
        self.secret = secret
        self.path = path
        self.namespace = namespace
        self.sid = sid or "test-sid-%d" % next(_sids)
        self.auth = auth
        self.handshake = {"REMOTE_ADDR": remote_addr, "REMOTE_PORT": "40000",
                          "QUERY_STRING": query}
        if cookies:
            self.handshake["HTTP_COOKIE"] = "; ".join(
                "%s=%s" % kv for kv in cookies.items())
        self.handshake.update(headers or {})
        self.context = None         # what the daemon would keep
        self.channels = []          # what the daemon would know
        self.actions = []           # every action the app answered with
        self.responses = []
        self._ack_ids = itertools.count(1)

    # -- the events -------------------------------------------------------

    def connect(self):
        """The connect event; returns the response (``allow`` false when
        the app refused)."""
        return self.request("connect")

    def emit(self, event, *args, ack=False):
        """A client event; with ``ack``, returns the ack's arguments
        (``[]`` when the app gave none), else the response."""
        resp = self.request("event", event=event, args=list(args),
                            ack_id=next(self._ack_ids) if ack else None)
        return resp.get("ack", []) if ack else resp

    def send(self, message):
        """``socket.send(message)``: the ``message`` event."""
        return self.emit("message", message)

    def subscribe(self, channel):
        """An (informing) subscribe: the socket is in the channel."""
        if channel not in self.channels:
            self.channels.append(channel)
        return self.request("subscribe", channel=channel, wait=False)

    def unsubscribe(self, channel):
        """The socket left ``channel``."""
        if channel in self.channels:
            self.channels.remove(channel)
        return self.request("unsubscribe", channel=channel)

    def disconnect(self, reason="client namespace disconnect", late=False):
        """The socket is gone (``reason`` as docs/upstream.md lists);
        ``late``: delivered after an outage of the app, as the daemon
        delivers a disconnect it kept (docs/upstream.md, late
        disconnects)."""
        if late:
            return self.request("disconnect", reason=reason, late=True)
        return self.request("disconnect", reason=reason)

    # -- what the app asked for -------------------------------------------

    def emitted(self, event=None):
        """The emit actions so far (optionally of one event)."""
        return [a for a in self.actions if a.get("action") == "emit" and
                (event is None or a.get("event") == event)]

    def messages(self):
        """The arguments of ``message`` emits to this socket itself."""
        return [a["args"][0] for a in self.emitted("message")
                if not (set(a) & {"to", "channel", "broadcast"})]

    # -- plumbing -----------------------------------------------------------

    def request(self, type, **fields):
        """Sends one upstream request; returns the parsed response and
        applies it (context, join/leave) as the daemon would."""
        doc = {"type": type, "sid": self.sid, "eio_sid": "eio-" + self.sid,
               "namespace": self.namespace, "transport": "websocket",
               "protocol": 4, "time": time.time(),
               "handshake": self.handshake, "auth": self.auth,
               "ack_id": None, "context": self.context}
        doc.update(fields)
        body = json.dumps(doc).encode()
        status, data = self._call(body, type)
        if not status.startswith("2"):
            raise SocketiodError("the app answered %s: %r" % (status,
                                                               data[:200]))
        resp = json.loads(data) if data.strip() else {}
        self.responses.append(resp)
        if "context" in resp and type != "disconnect":
            self.context = resp["context"]
        for a in resp.get("actions", []):
            self.actions.append(a)
            mine = a.get("sid") in (None, self.sid)
            if a.get("action") == "join" and mine and \
                    a["channel"] not in self.channels:
                self.channels.append(a["channel"])
            elif a.get("action") == "leave" and mine and \
                    a["channel"] in self.channels:
                self.channels.remove(a["channel"])
        return resp

    def _call(self, body, type):
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": self.path,
            "SCRIPT_NAME": "", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)), "HTTP_HOST": "127.0.0.1",
            "HTTP_X_SOCKETIOD_EVENT": type,
            "HTTP_X_SOCKETIOD_SIGNATURE": sign(body, self.secret),
            "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if "HTTP_COOKIE" in self.handshake:
            environ["HTTP_COOKIE"] = self.handshake["HTTP_COOKIE"]
        got = {}

        def start_response(status, headers, exc_info=None):
            got["status"] = status
        chunks = self.app(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return got["status"], data


class Daemon(DaemonProcess):
    """A real socketiod on a free 127.0.0.1 port with a private control
    socket; ``url`` is where clients connect. Use as a context manager."""

    def __init__(self, upstream=None, secret=None, **kw):
        self.port = free_port()
        self._dir = tempfile.mkdtemp(prefix="socketiod-test-")
        super().__init__("127.0.0.1:%d" % self.port,
                         os.path.join(self._dir, "rpc.sock"),
                         upstream=upstream, secret=secret, **kw)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        try:
            os.rmdir(self._dir)
        except OSError:
            pass
