"""Helpers of the end-to-end suite: the daemon process, the control RPC
client, the node driver wrapper, uniform client handles and a raw Engine.IO
WebSocket client. The fixtures that use them live in conftest.py."""

import base64
import contextlib
import json
import os
import resource
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NODE_DRIVER = HERE / "node" / "client.js"

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:",
                   "LeakSanitizer")

# The client flavours (test ids) and transport modes the tests run over.
KINDS = ("v4", "v2", "py")
MODES = ("websocket", "polling", "upgrade")


def wait_until(pred, timeout=10.0, interval=0.05, what="condition"):
    """Polls pred() until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except AssertionError as e:  # pred may assert; keep the last
            last_exc = e
        if time.monotonic() >= deadline:
            msg = "timed out after %.1f s waiting for %s" % (timeout, what)
            if last_exc:
                msg += ": %s" % last_exc
            raise AssertionError(msg)
        time.sleep(interval)


def b64(data):
    return base64.b64encode(data).decode()


def binary(data):
    """The RPC / node driver form of a binary value."""
    return {"_binary": b64(data)}


def unbinary(v):
    """Bytes of a {"_binary": ...} value (asserting that it is one)."""
    assert isinstance(v, dict) and set(v) == {"_binary"}, \
        "expected a binary value, got %r" % (v,)
    return base64.b64decode(v["_binary"])


def read_to_close(s):
    """Every byte the peer sends on socket s until it closes."""
    data = bytearray()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return bytes(data)
        data += chunk


def exchange(addr, request, timeout=10.0):
    """Sends `request` on a new connection to `addr`, (host, port) or a Unix
    socket's path, and returns all that is answered until the peer closes."""
    if isinstance(addr, str):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr)
    else:
        s = socket.create_connection(addr, timeout=timeout)
    with s:
        s.sendall(request)
        return read_to_close(s)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raise_nofile():
    # 1,000 clients need more than the usual soft limit of 1024 descriptors.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass


# ---------------------------------------------------------------------------
# the daemon

def daemon_command():
    env = os.environ.get("SOCKETIOD")
    if env:
        return shlex.split(env)
    for cand in (REPO / "build" / "socketiod", REPO / "socketiod"):
        if cand.exists():
            return [str(cand)]
    return [str(REPO / "build" / "socketiod")]


class DaemonError(Exception):
    pass


class Daemon:
    """One socketiod process on a private port and control socket.

    `restart()` starts it again on the same port and socket path."""

    def __init__(self, workdir, args, name="socketiod", client_js=None,
                 listen=True):
        self.workdir = Path(workdir)
        self.args = [str(a) for a in args]
        self.name = name
        self.port = free_port() if listen else None
        self.host = "127.0.0.1"
        self.rpc_path = str(self.workdir / (name + ".sock"))
        if len(self.rpc_path) > 100:  # sun_path holds 108 bytes
            self.rpc_path = os.path.join(
                tempfile.mkdtemp(prefix="siod-"), name + ".sock")
        if client_js is None:
            client_js = os.environ.get("SOCKETIOD_CLIENT_JS")
        # the daemon runs in workdir: relative paths are the caller's
        self.client_js = os.path.abspath(client_js) if client_js else None
        self.proc = None
        self.runs = 0
        self.problems = []
        self.stderr_path = None
        self._rpcs = []

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def addr(self):
        return (self.host, self.port)

    def command(self):
        cmd = daemon_command()
        if self.port is not None:
            cmd += ["--listen", "%s:%d" % (self.host, self.port)]
        cmd += ["--rpc", self.rpc_path]
        if self.client_js:
            cmd += ["--client-js", str(self.client_js)]
        return cmd + self.args

    def start(self, timeout=10.0):
        assert self.proc is None or self.proc.poll() is not None
        self.runs += 1
        cmd = self.command()
        exe = Path(cmd[0])
        if not exe.exists() and os.sep in cmd[0]:
            raise DaemonError(
                "socketiod binary %s does not exist (build it, or set "
                "SOCKETIOD)" % cmd[0])
        self.stderr_path = self.workdir / ("%s.%d.stderr" % (self.name,
                                                             self.runs))
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        with open(self.stderr_path, "wb") as err, \
                open(self.workdir / ("%s.%d.stdout" % (self.name, self.runs)),
                     "wb") as out:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env=env, preexec_fn=_raise_nofile, cwd=str(self.workdir))
        self._wait_ready(timeout)
        return self

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except (OSError, AttributeError):
            return ""

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None  # reported here, not again at teardown
                raise DaemonError(
                    "socketiod exited with status %s while starting: %s\n"
                    "--- stderr ---\n%s" % (rc, " ".join(self.command()),
                                           self.stderr()))
            if self._accepts():
                return
            if time.monotonic() > deadline:
                self.kill()
                self.proc = None
                raise DaemonError(
                    "socketiod did not accept on %s and %s within %.0f s\n"
                    "--- stderr ---\n%s" % (self.url, self.rpc_path, timeout,
                                           self.stderr()))
            time.sleep(0.02)

    def _accepts(self):
        if self.port is not None:
            try:
                socket.create_connection(self.addr, timeout=0.5).close()
            except OSError:
                return False
        if not os.path.exists(self.rpc_path):
            return False
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(0.5)
        try:
            s.connect(self.rpc_path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self):
        assert self.alive(), "socketiod died (status %s)\n--- stderr ---\n%s" \
            % (self.proc and self.proc.poll(), self.stderr())

    def rpc(self, timeout=10.0):
        """A new control connection (closed at teardown)."""
        r = Rpc(self.rpc_path, timeout=timeout)
        self._rpcs.append(r)
        return r

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self, timeout=10.0, sig=signal.SIGTERM):
        """SIGTERM (or `sig`), wait, check the exit status and the
        sanitizer output. Returns (and remembers) a list of problems."""
        for r in self._rpcs:
            r.close()
        self._rpcs = []
        problems = []
        if self.proc is None:
            return problems
        what = "socketiod run %d (%s)" % (self.runs, " ".join(self.command()))
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait(5)
                problems.append("%s did not exit within %.0f s of SIGTERM"
                                % (what, timeout))
        else:
            problems.append("%s had already exited before teardown" % what)
        if rc != 0:
            if rc < 0:
                problems.append("%s was killed by signal %d" % (what, -rc))
            else:
                problems.append("%s exited with status %d" % (what, rc))
        err = self.stderr()
        for mark in SANITIZER_MARKS:
            if mark in err:
                problems.append("%s: sanitizer report (%r) in stderr" % (
                    what, mark))
        if problems:
            problems.append("--- stderr of %s ---\n%s" % (what, err[-20000:]))
        self.problems += problems
        self.proc = None  # checked: teardown has nothing more to do
        return problems

    def kill_and_start(self, timeout=10.0):
        """SIGKILL (a crash: the control socket file stays behind), then
        start again on the same port and path."""
        for r in self._rpcs:
            r.close()
        self._rpcs = []
        self.kill()
        assert os.path.exists(self.rpc_path)
        self.proc = None
        return self.start(timeout)

    def restart(self, timeout=10.0):
        problems = self.stop()
        if problems:
            raise DaemonError("\n".join(problems))
        return self.start(timeout)


# ---------------------------------------------------------------------------
# control RPC

class RpcError(Exception):
    def __init__(self, code, message, response=None):
        super().__init__("RPC error %s: %s" % (code, message))
        self.code = code
        self.message = message
        self.response = response


class Rpc:
    """A pipelined client of the control socket: newline-delimited JSON,
    responses matched by id (they may come out of order)."""

    def __init__(self, path, timeout=10.0):
        self.path = path
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.sock.settimeout(None)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._next_id = 1
        self._responses = {}   # id -> response
        self._unmatched = []   # responses whose id we did not send
        self.closed = False    # the daemon closed the connection
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        msg = {"_unparsable": line.decode(errors="replace")}
                    with self._cond:
                        key = msg.get("id") if isinstance(msg, dict) else None
                        if isinstance(key, (int, str)) and \
                                not isinstance(key, bool) and \
                                ("p", key) in self._responses:
                            self._responses[("p", key)] = msg
                        else:
                            self._unmatched.append(msg)
                        self._cond.notify_all()
        except OSError:
            pass
        finally:
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def send_raw(self, data):
        """Writes raw bytes (for malformed-input tests)."""
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def call_async(self, method, params=None, id=None, **kw):
        """Sends a request; returns its id for wait()."""
        p = dict(params or {})
        p.update(kw)
        with self._cond:
            if id is None:
                id = self._next_id
                self._next_id += 1
            self._responses[("p", id)] = None
        line = json.dumps({"id": id, "method": method, "params": p}) + "\n"
        self.sock.sendall(line.encode())
        return id

    def wait(self, id, timeout=None):
        """The whole response to request `id`."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._responses.get(("p", id)) is None:
                left = deadline - time.monotonic()
                if self.closed:
                    raise AssertionError(
                        "RPC connection closed before the response to id %r"
                        % (id,))
                if left <= 0:
                    raise AssertionError("no RPC response to id %r within "
                                         "%.1f s" % (id, timeout))
                self._cond.wait(left)
            return self._responses.pop(("p", id))

    def call(self, method, params=None, rpc_timeout=None, **kw):
        """Calls `method`; returns its result or raises RpcError.
        Params are `params` merged with keyword arguments (use
        params={"except": sid} for the Python keyword)."""
        rid = self.call_async(method, params, **kw)
        resp = self.wait(rid, rpc_timeout)
        return result_of(resp)

    def wait_unmatched(self, pred=lambda m: True, timeout=None):
        """A response that matched no request we sent (e.g. id null)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self._unmatched:
                    if pred(m):
                        self._unmatched.remove(m)
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "no unsolicited RPC response within %.1f s (have %r)"
                        % (timeout, self._unmatched))
                if self.closed:
                    raise AssertionError(
                        "RPC connection closed (have %r)" % (self._unmatched,))
                self._cond.wait(min(left, 0.2))

    def wait_closed(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def result_of(resp):
    if not isinstance(resp, dict):
        raise AssertionError("bad RPC response %r" % (resp,))
    if "error" in resp:
        e = resp["error"]
        raise RpcError(e.get("code"), e.get("message"), resp)
    assert "result" in resp, "RPC response without result: %r" % (resp,)
    return resp["result"]



def session_sids(rpc, **filters):
    return sorted(s["sid"] for s in rpc.call("sessions", **filters)["sessions"])


def channel_members(rpc, name, namespace="/"):
    for c in rpc.call("channels", namespace=namespace)["channels"]:
        if c["name"] == name and c.get("namespace", namespace) == namespace:
            return c["members"]
    return 0


# ---------------------------------------------------------------------------
# node driver (socket.io-client 4.x / 2.x)

def node_modules_dir():
    return os.environ.get("SOCKETIOD_NODE_MODULES",
                          str(REPO / "tests" / "node_modules"))


class NodeClient:
    """One `node tests/e2e/node/client.js v4|v2` process holding any number
    of sockets (named by cid). Reports are kept in `events`."""

    def __init__(self, flavour, workdir):
        self.flavour = flavour
        nm = node_modules_dir()
        if not os.path.isdir(os.path.join(
                nm, "socket.io-client" if flavour == "v4"
                else "socket.io-client-v2")):
            raise AssertionError(
                "socket.io-client for %s not found in %s (run npm install in "
                "tests/, or set SOCKETIOD_NODE_MODULES)" % (flavour, nm))
        env = dict(os.environ)
        env["NODE_PATH"] = nm
        env["SOCKETIOD_NODE_MODULES"] = nm
        self.stderr_path = Path(workdir) / ("node-%s-%d.stderr" % (
            flavour, id(self)))
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                ["node", str(NODE_DRIVER), flavour], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=err, env=env,
                preexec_fn=_raise_nofile)
        self.events = []
        self._cond = threading.Condition()
        self._req = 0
        self._wlock = threading.Lock()
        self._eof = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = self.wait_for(lambda e: e["ev"] == "ready", timeout=15,
                              what="node driver start")
        self.ext = ready.get("ext")

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                ev = {"ev": "garbage", "line": line.decode(errors="replace")}
            with self._cond:
                self.events.append(ev)
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def mark(self):
        with self._cond:
            return len(self.events)

    def wait_for(self, pred, timeout=10.0, since=0, what=None):
        """The first report (from index `since` on) for which pred is true."""
        deadline = time.monotonic() + timeout
        with self._cond:
            i = since
            while True:
                while i < len(self.events):
                    ev = self.events[i]
                    i += 1
                    if ev.get("ev") == "fatal":
                        raise AssertionError("node driver: %s" % ev)
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    raise AssertionError(
                        "node %s: %s %s; last reports:\n%s\nstderr:\n%s" % (
                            self.flavour,
                            "gave up waiting for" if left <= 0
                            else "driver exited while waiting for",
                            what or "a report",
                            "\n".join(json.dumps(e)
                                      for e in self.events[-25:]),
                            self.stderr()[-3000:]))
                self._cond.wait(left)

    def find(self, pred, since=0):
        with self._cond:
            return [e for e in self.events[since:] if pred(e)]

    def send(self, cmd, **fields):
        """Sends a command and waits for its ok; returns its req number."""
        with self._wlock:
            self._req += 1
            req = self._req
        mark = self.mark()
        fields.update(cmd=cmd, req=req)
        self.proc.stdin.write((json.dumps(fields) + "\n").encode())
        self.proc.stdin.flush()
        ev = self.wait_for(
            lambda e: e.get("req") == req and e["ev"] in ("ok", "error"),
            since=mark, what="answer to %s" % cmd)
        if ev["ev"] == "error":
            raise AssertionError("node driver %s: %s" % (cmd, ev["message"]))
        return req, mark

    def connect_many(self, prefix, count, url, timeout=60, **fields):
        """Connects quiet websocket sockets prefix0..prefixN-1 (see the
        driver's connect_many; fields: namespace, channel, concurrency,
        opts) and returns the many_ready report once all are settled."""
        fields.setdefault("opts", {"transports": ["websocket"],
                                   "forceNew": True})
        req, mark = self.send("connect_many", prefix=prefix, count=count,
                              url=url, **fields)
        return self.wait_for(lambda e: e["ev"] == "many_ready" and
                             e.get("req") == req, since=mark, timeout=timeout,
                             what="%d connections" % count)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b'{"cmd":"exit"}\n')
                self.proc.stdin.flush()
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# ---------------------------------------------------------------------------
# one uniform handle per client socket, whatever the client library

def transports_for(mode):
    return {"websocket": ["websocket"], "polling": ["polling"],
            "upgrade": ["polling", "websocket"]}[mode]


class Handle:
    """One connected Socket.IO socket. Subclasses: NodeHandle, PyHandle."""

    kind = None
    sid = None

    def expected_protocol(self):
        return 3 if self.kind == "v2" else 4


class NodeHandle(Handle):
    def __init__(self, node, cid):
        self.node = node
        self.cid = cid
        self.kind = node.flavour

    def _mine(self, ev, name):
        return ev.get("cid") == self.cid and ev["ev"] == name

    def connect(self, url, namespace="/", mode="websocket", auth=None,
                ack_reply=None, wait=True, timeout=10.0, extra_opts=None):
        opts = {"transports": transports_for(mode), "forceNew": True}
        if auth is not None:
            if self.kind == "v4":
                opts["auth"] = auth
            else:
                opts["query"] = auth
        opts.update(extra_opts or {})
        fields = dict(cid=self.cid, url=url, namespace=namespace, opts=opts)
        if ack_reply is not None:
            fields["ackReply"] = ack_reply
        self.namespace = namespace
        _, mark = self.node.send("connect", **fields)
        if not wait:
            return self
        ev = self.node.wait_for(
            lambda e: e.get("cid") == self.cid and
            e["ev"] in ("connect", "connect_error"),
            since=mark, timeout=timeout, what="connect of " + self.cid)
        if ev["ev"] == "connect_error":
            raise AssertionError("%s connect_error: %s" % (self.cid, ev))
        self.sid = ev["sid"]
        if mode == "upgrade":
            # (a socket multiplexed on an upgraded connection sees no
            # upgrade event of its own)
            wait_until(lambda: self.transport() == "websocket",
                       timeout=timeout, what="upgrade of " + self.cid)
        return self

    def transport(self):
        return self.state()["transport"]

    def state(self):
        req, mark = self.node.send("state", cid=self.cid)
        return self.node.wait_for(
            lambda e: e["ev"] == "state" and e.get("req") == req, since=mark)

    def emit(self, event, *args, ack=False, timeout=10.0):
        req, mark = self.node.send("emit", cid=self.cid, event=event,
                                   args=list(args), ack=ack,
                                   timeout=int(timeout * 1000))
        if not ack:
            return None
        ev = self.node.wait_for(
            lambda e: e.get("req") == req and e["ev"] in ("ack",
                                                          "ack_timeout"),
            since=mark, timeout=timeout + 5, what="ack of " + event)
        if ev["ev"] == "ack_timeout":
            raise AssertionError("%s: no ack for %s" % (self.cid, event))
        return ev["args"]

    def _sub(self, verb, channel, timeout):
        req, mark = self.node.send(verb, cid=self.cid, channel=channel)
        ev = self.node.wait_for(
            lambda e: e.get("req") == req and e["ev"] == verb + "_ack",
            since=mark, timeout=timeout, what=verb + " ack")
        return ev["args"]

    def subscribe(self, channel, timeout=10.0):
        return self._sub("subscribe", channel, timeout)

    def unsubscribe(self, channel, timeout=10.0):
        return self._sub("unsubscribe", channel, timeout)

    def set_ack_reply(self, reply, noack=False):
        self.node.send("set_ack_reply", cid=self.cid, reply=reply,
                       noack=noack)

    def events(self, event=None):
        """Args of the events received so far (optionally one name)."""
        return [e["args"] for e in self.node.find(
            lambda e: self._mine(e, "event") and
            (event is None or e["event"] == event))]

    def wait_event(self, event, pred=None, timeout=10.0):
        ev = self.node.wait_for(
            lambda e: self._mine(e, "event") and e["event"] == event and
            (pred is None or pred(e["args"])),
            timeout=timeout, what="event %s at %s" % (event, self.cid))
        return ev["args"]

    def wait_disconnect(self, timeout=10.0):
        return self.node.wait_for(lambda e: self._mine(e, "disconnect"),
                                  timeout=timeout,
                                  what="disconnect of " + self.cid)["reason"]

    def wait_connect(self, count, timeout=15.0):
        ev = self.node.wait_for(
            lambda e: self._mine(e, "connect") and e["count"] >= count,
            timeout=timeout, what="connect #%d of %s" % (count, self.cid))
        self.sid = ev["sid"]
        return ev

    def disconnect(self):
        self.node.send("disconnect", cid=self.cid)

    def drop_transport(self):
        self.node.send("drop_transport", cid=self.cid)


class PyHandle(Handle):
    """A python-socketio client (one socket in one namespace)."""

    kind = "py"

    def __init__(self, workdir=None):
        import socketio  # Debian's python3-socketio
        self.sio = socketio.Client(reconnection_delay=0.1,
                                   reconnection_delay_max=0.5,
                                   randomization_factor=0)
        # Background threads must not keep pytest alive.
        eio = self.sio.eio

        def start_background_task(target, *args, **kwargs):
            th = threading.Thread(target=target, args=args, kwargs=kwargs,
                                  daemon=True)
            th.start()
            return th
        eio.start_background_task = start_background_task
        # The client hands every Engine.IO message to a new thread, so
        # handlers may run out of order (and binary attachments race);
        # handle them in the read loop, in arrival order.
        trigger = eio._trigger_event

        def in_order(event, *args, **kwargs):
            if event == "message":
                kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)
        eio._trigger_event = in_order
        self._cond = threading.Condition()
        self._events = []    # (name, args)
        self.ack_reply = None
        self.noack = False
        self.subs = []
        self.connects = 0
        self.disconnects = 0

    def connect(self, url, namespace="/", mode="websocket", auth=None,
                ack_reply=None, wait=True, timeout=10.0, extra_opts=None):
        self.namespace = namespace
        self.ack_reply = ack_reply if ack_reply is not None else \
            ["ack:py"]

        def catch_all(event, *args):
            with self._cond:
                self._events.append((event, list(args)))
                self._cond.notify_all()
            r = self.ack_reply
            if r is None or len(r) == 0:
                return None
            return tuple(r) if len(r) > 1 else r[0]

        def on_connect():
            with self._cond:
                self.connects += 1
                self._cond.notify_all()
            if self.connects > 1:
                # What the extension does for JS clients: subscribe again.
                for ch in list(self.subs):
                    self.sio.emit("subscribe", ch, namespace=namespace)

        def on_disconnect():
            with self._cond:
                self.disconnects += 1
                self._cond.notify_all()

        self.sio.on("*", catch_all, namespace=namespace)
        self.sio.on("connect", on_connect, namespace=namespace)
        self.sio.on("disconnect", on_disconnect, namespace=namespace)
        self.sio.connect(url, auth=auth, transports=transports_for(mode),
                         namespaces=[namespace], wait=True,
                         wait_timeout=timeout)
        self.sid = self.sio.get_sid(namespace)
        assert self.sid, "python-socketio did not connect to %s" % namespace
        if mode == "upgrade":
            wait_until(lambda: self.sio.transport() == "websocket",
                       timeout=timeout, what="python client upgrade")
        return self

    def transport(self):
        return self.sio.transport()

    def _call(self, event, args, timeout):
        done = threading.Event()
        got = []

        def cb(*a):
            got.append(list(a))
            done.set()
        self.sio.emit(event, tuple(args) if len(args) != 1 else args[0],
                      namespace=self.namespace, callback=cb)
        if not done.wait(timeout):
            raise AssertionError("python client: no ack for %s" % event)
        return got[0]

    def emit(self, event, *args, ack=False, timeout=10.0):
        args = [_py_decode(a) for a in args]
        if ack:
            return _py_encode(self._call(event, args, timeout))
        self.sio.emit(event, tuple(args) if len(args) != 1 else args[0],
                      namespace=self.namespace)
        return None

    def subscribe(self, channel, timeout=10.0):
        self.subs.append(channel)
        return self._call("subscribe", [channel], timeout)

    def unsubscribe(self, channel, timeout=10.0):
        if channel in self.subs:
            self.subs.remove(channel)
        return self._call("unsubscribe", [channel], timeout)

    def set_ack_reply(self, reply):
        self.ack_reply = [_py_decode(a) for a in reply]

    def events(self, event=None):
        with self._cond:
            return [_py_encode(a) for (n, a) in self._events
                    if event is None or n == event]

    def wait_event(self, event, pred=None, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for n, a in self._events:
                    if n == event and (pred is None or pred(_py_encode(a))):
                        return _py_encode(a)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "python client: no event %s (have %r)" % (
                            event, self._events[-10:]))
                self._cond.wait(left)

    def wait_disconnect(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.disconnects == 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("python client did not disconnect")
                self._cond.wait(left)
        return "disconnect"

    def wait_connect(self, count, timeout=15.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.connects < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "python client: connect #%d did not happen" % count)
                self._cond.wait(left)
        wait_until(lambda: self.sio.get_sid(self.namespace), timeout=5,
                   what="python sid")
        self.sid = self.sio.get_sid(self.namespace)
        return {"sid": self.sid}

    def disconnect(self):
        t = threading.Thread(target=self.sio.disconnect, daemon=True)
        t.start()
        t.join(5)

    def close(self):
        try:
            self.disconnect()
        except Exception:
            pass


def _py_decode(v):
    """{"_binary": b64} -> bytes, recursively."""
    if isinstance(v, list):
        return [_py_decode(x) for x in v]
    if isinstance(v, dict):
        if set(v) == {"_binary"}:
            return base64.b64decode(v["_binary"])
        return {k: _py_decode(x) for k, x in v.items()}
    return v


def _py_encode(v):
    """bytes -> {"_binary": b64}, recursively (the node driver's form)."""
    if isinstance(v, (bytes, bytearray)):
        return binary(bytes(v))
    if isinstance(v, (list, tuple)):
        return [_py_encode(x) for x in v]
    if isinstance(v, dict):
        return {k: _py_encode(x) for k, x in v.items()}
    return v


# ---------------------------------------------------------------------------
# raw Engine.IO over WebSocket (for bad-input tests and liveness checks)

class RawWs:
    """A minimal Engine.IO v4 / Socket.IO v5 client over websocket-client,
    answering pings, keeping received Socket.IO packets."""

    def __init__(self, d, namespace="/", eio=4, connect=True, timeout=5.0):
        import websocket  # Debian's python3-websocket
        self.ws = websocket.create_connection(
            "ws://%s:%d/socket.io/?EIO=%d&transport=websocket" % (
                d.host, d.port, eio), timeout=timeout)
        opcode, data = self.ws.recv_data()
        assert data[:1] == b"0", "expected an OPEN packet, got %r" % data
        self.open = json.loads(data[1:])
        self.packets = []
        self.sid = None
        if connect:
            nsp = "" if namespace == "/" else namespace + ","
            if eio == 3 and namespace == "/":
                # protocol v4 (Engine.IO v3): "/" is joined without asking
                pkt = self.recv_packet(timeout)
                assert pkt == "0", "expected CONNECT, got %r" % pkt
                self.sid = self.open["sid"]
                return
            self.ws.send("40" + nsp)
            pkt = self.recv_packet(timeout)
            assert pkt.startswith("0" + nsp), "CONNECT refused: %r" % pkt
            if eio == 3:
                self.sid = namespace + "#" + self.open["sid"]
            else:
                self.sid = json.loads(pkt[1 + len(nsp):])["sid"]

    def recv_packet(self, timeout=5.0):
        """Next Engine.IO message (text) payload minus the '4'; answers
        pings. Raises on close."""
        import websocket
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("raw ws: nothing received")
            self.ws.settimeout(left)
            opcode, data = self.ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise ConnectionError("closed by the server")
            if opcode == websocket.ABNF.OPCODE_BINARY:
                self.packets.append(data)
                continue
            if opcode != websocket.ABNF.OPCODE_TEXT:
                continue
            text = data.decode()
            if text == "2":
                self.ws.send("3")
                continue
            if text.startswith("4"):
                self.packets.append(text[1:])
                return text[1:]
            if text.startswith("1"):
                raise ConnectionError("engine.io close packet")

    def wait_event(self, name, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            pkt = self.recv_packet(max(0.01, deadline - time.monotonic()))
            if pkt.startswith("2"):
                body = pkt[1:]
                if body.startswith("/"):
                    body = body.split(",", 1)[1]
                while body and body[0].isdigit():
                    body = body[1:]
                args = json.loads(body)
                if args and args[0] == name:
                    return args[1:]

    def close(self):
        try:
            self.ws.close(timeout=1)
        except Exception:
            pass


def assert_still_serving(d, watcher, rpc=None, event="still-alive"):
    """The daemon runs, and a client connected earlier (a RawWs) still gets
    a broadcast."""
    d.assert_alive()
    rpc = rpc or d.rpc()
    n = rpc.call("emit", event=event, args=[1])["recipients"]
    assert n >= 1
    assert watcher.wait_event(event, timeout=5) == [1]


class TestTimeout(Exception):
    """A test phase ran past its SIGALRM time limit."""
    __test__ = False


@contextlib.contextmanager
def time_limit(seconds, what):
    """Raises TestTimeout in the main thread after `seconds`."""
    def on_alarm(signum, frame):
        raise TestTimeout("%s took longer than %d s" % (what, seconds))

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
