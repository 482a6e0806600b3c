# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The control RPC client: one persistent Unix-socket connection per
process, shared by every thread, with requests pipelined and answers
matched by id (docs/rpc.md).

    rpc = RpcClient()          # the daemon's default socket, default_path()
    rpc.emit("chat", ["hello"], channel="lobby")      # {"recipients": N}
    fut = rpc.call_async("emit", event="ping", ack=True, to=sid)
    rpc.stats(); fut.result()

A writer lock keeps each request line whole; one reader thread hands each
answer to the waiting Future. The connection is made on first use and made
again after it broke (or after a fork: a child never shares its parent's
connection). Requests in flight when it breaks fail with RpcUnavailable.
"""
import itertools
import json
import logging
import os
import socket
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from .exceptions import AckTimeout, NoSuchSession, RpcError, RpcUnavailable

SYSTEM_PATH = "/run/socketiod/socketiod.sock"


def default_path():
    """The daemon's default control socket, as socketiod and socketioctl
    find it (docs/rpc.md): root's /run/socketiod/socketiod.sock, else
    $XDG_RUNTIME_DIR/socketiod/socketiod.sock, else
    /tmp/socketiod-<uid>/socketiod.sock: a directory of that user alone, so
    that no other local user can hold the name. When that socket does not
    exist but the system daemon's does, that one."""
    if os.geteuid() == 0:
        return SYSTEM_PATH
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if xdg.startswith("/"):
        path = os.path.join(xdg, "socketiod", "socketiod.sock")
    else:
        path = "/tmp/socketiod-%d/socketiod.sock" % os.geteuid()
    if not os.path.exists(path) and os.path.exists(SYSTEM_PATH):
        return SYSTEM_PATH
    return path


_ERRORS = {-32001: NoSuchSession, -32002: AckTimeout}


class RpcClient:
    """Thread-safe, persistent, pipelined client of the control socket.

    ``path``: the daemon's --rpc socket; ``timeout``: seconds to wait for an
    answer (an ``ack`` emit waits its own timeout on top); ``logger``: a
    ``logging.Logger`` (default ``socketiod.rpc``)."""

    def __init__(self, path=None, timeout=10.0, logger=None):
        self.path = path or default_path()
        self.timeout = timeout
        self.log = logger or logging.getLogger("socketiod.rpc")
        self._ids = itertools.count(1)
        self._lock = threading.Lock()     # guards the fields below
        self._wlock = threading.Lock()    # keeps request lines whole
        self._sock = None
        self._pid = None
        self._pending = {}                # id -> (Future, method)

    # -- connection ---------------------------------------------------------

    def _connect(self):
        """The live socket, connecting when needed. Caller holds _lock."""
        if self._sock is not None and self._pid == os.getpid():
            return self._sock
        if self._sock is not None:        # inherited over fork: not ours
            self._sock = None
            self._pending = {}
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(self.timeout)
            s.connect(self.path)
            s.settimeout(None)
        except OSError as e:
            s.close()
            raise RpcUnavailable("cannot connect to %s: %s (is socketiod "
                                 "running?)" % (self.path, e)) from None
        self._sock, self._pid = s, os.getpid()
        t = threading.Thread(target=self._read, args=(s,), daemon=True,
                             name="socketiod-rpc-reader")
        t.start()
        self.log.debug("connected to %s", self.path)
        return s

    def _read(self, s):
        buf = s.makefile("rb")
        why = "socketiod closed the connection"
        try:
            for line in buf:
                try:
                    resp = json.loads(line)
                except ValueError:
                    self.log.warning("unreadable RPC answer %r", line[:200])
                    continue
                with self._lock:
                    fut, method = self._pending.pop(resp.get("id"),
                                                    (None, None))
                if fut is None:
                    self.log.warning("RPC answer to no request: %r", resp)
                    continue
                if "error" in resp:
                    err = resp["error"] or {}
                    code = err.get("code")
                    fut.set_exception(_ERRORS.get(code, RpcError)(
                        code, err.get("message"), method))
                else:
                    fut.set_result(resp.get("result"))
        except OSError as e:
            why = "connection to socketiod broke: %s" % e
        self._broken(s, why)

    def _broken(self, s, why):
        with self._lock:
            if self._sock is s:
                self._sock = None
                failed, self._pending = self._pending, {}
            else:
                failed = {}
        try:
            s.close()
        except OSError:
            pass
        for fut, method in failed.values():
            if not fut.done():
                fut.set_exception(RpcUnavailable("%s (%s)" % (why, method)))

    def close(self):
        """Closes the connection; the next call opens a new one."""
        with self._lock:
            s = self._sock
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._broken(s, "closed")

    # -- requests -----------------------------------------------------------

    def call_async(self, method, **params):
        """Sends one request without waiting; returns a Future of its
        ``result`` (or of RpcError / RpcUnavailable)."""
        fut = Future()
        with self._lock:
            s = self._connect()
            rid = next(self._ids)
            fut.rpc_id = rid
            self._pending[rid] = (fut, method)
            line = (json.dumps({"id": rid, "method": method,
                                "params": params},
                               separators=(",", ":")) + "\n").encode()
        try:
            with self._wlock:
                s.sendall(line)
        except OSError as e:
            self._broken(s, "cannot write to socketiod: %s" % e)
        return fut

    def call(self, method, **params):
        """Sends one request and returns its ``result``; raises RpcError
        (NoSuchSession, AckTimeout) or RpcUnavailable."""
        wait = self.timeout
        if params.get("ack"):
            wait += params.get("timeout", 5000) / 1000.0
        fut = self.call_async(method, **params)
        try:
            return fut.result(wait)
        except FutureTimeout:
            with self._lock:   # a late answer is then dropped, logged
                self._pending.pop(fut.rpc_id, None)
            raise RpcUnavailable("no answer to %s within %.1f s"
                                 % (method, wait)) from None

    # -- the methods of docs/rpc.md -------------------------------------

    def emit(self, event, args=(), namespace="/", channel=None, to=None,
             exclude=None, ack=False, timeout=None):
        """emit: to everyone in ``namespace``, a ``channel`` or one sid
        (``to``), leaving out ``exclude``. Returns the result dict."""
        p = {"event": event, "args": list(args), "namespace": namespace}
        _opt(p, channel=channel, to=to, ack=ack or None, timeout=timeout)
        if exclude:
            p["except"] = exclude
        return self.call("emit", **p)

    def send(self, message, namespace="/", channel=None, to=None,
             exclude=None):
        """send: the ``message`` event with one argument."""
        p = {"message": message, "namespace": namespace}
        _opt(p, channel=channel, to=to)
        if exclude:
            p["except"] = exclude
        return self.call("send", **p)

    def join(self, sid, channel):
        return self.call("join", sid=sid, channel=channel)

    def leave(self, sid, channel):
        return self.call("leave", sid=sid, channel=channel)

    def disconnect(self, sid):
        return self.call("disconnect", sid=sid)

    def sessions(self, namespace=None, channel=None, user=None):
        """The list of session dicts (sid, channels, user, remote_addr,
        ...); ``user``: that app user's sockets only."""
        p = {}
        _opt(p, namespace=namespace, channel=channel, user=_user(user))
        return self.call("sessions", **p)["sessions"]

    def session(self, sid):
        return self.call("session", sid=sid)["session"]

    def channels(self, namespace=None):
        p = {}
        _opt(p, namespace=namespace)
        return self.call("channels", **p)["channels"]

    def stats(self):
        return self.call("stats")

    # -- app users (docs/presence.md) ---------------------------------------

    def send_to_user(self, user, event, args=(), namespace="/"):
        """Emits ``event`` to every socket of app ``user`` (its id, or
        anything whose str() is: a pk), on every node of the fleet.
        Returns the result dict ({"recipients": N on this node, ...})."""
        return self.call("emit", event=event, args=list(args),
                         namespace=namespace, user=_user(user))

    def presence(self, channel=None, namespace="/", limit=None):
        """{user id: sockets} of the users in ``channel`` (None: in the
        namespace); the whole answer (sockets, anonymous, truncated) is
        ``call("presence", ...)``."""
        p = {"namespace": namespace}
        _opt(p, channel=channel, limit=limit)
        return self.call("presence", **p)["users"]

    def connected_users(self, namespace="/"):
        """The ids of the app users with a socket in ``namespace``."""
        return set(self.presence(namespace=namespace, limit=100000))

    def is_online(self, user, namespace="/"):
        """True when app ``user`` has a socket in ``namespace``."""
        return bool(self.sessions(namespace=namespace, user=user))


def _user(user):
    """A user id as the daemon keeps it: a string (a pk becomes str)."""
    return None if user is None else str(user)


def _opt(d, **kw):
    for k, v in kw.items():
        if v is not None:
            d[k] = v


_clients = {}
_clients_lock = threading.Lock()


def get_client(path=None, timeout=10.0, logger=None):
    """The process's shared RpcClient for ``path`` (default: default_path();
    one connection per process and path, as docs/rpc.md recommends)."""
    path = path or default_path()
    with _clients_lock:
        c = _clients.get(path)
        if c is None:
            c = _clients[path] = RpcClient(path, timeout, logger)
        return c
