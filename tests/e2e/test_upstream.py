"""Client events reach the application (--upstream): the test app of
apps/upstream_app.py served for real over plain HTTP/1.1 (standard library),
FastCGI and SCGI (Debian's uwsgi), driven by socket.io-client 4.x and 2.x.

Each transport runs the same tests: connect allowed and refused (the client
sees the reason), cookies arrive, events and acks round trip with text and
binary, the context persists, actions reach other clients, subscribe
allowed and refused, 1,000 ordered events from one socket, 200 sockets at
once, the app down / slow / answering garbage, bad signatures refused by
the app. The contract is docs/upstream.md."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from e2e_lib import (HERE, NodeHandle, binary, channel_members, free_port,
                     wait_until)

APP = HERE / "apps" / "upstream_app.py"
SECRET = "test-secret-0123456789"
COOKIE = "sessionid=abc123; csrftoken=xyz"
TRANSPORTS = ("http", "fcgi", "scgi")


class App:
    """The test app on a private port (or Unix socket for FastCGI, to cover
    fcgi+unix:), logging each request it sees to a file."""

    def __init__(self, transport, workdir, port=None):
        self.transport = transport
        self.workdir = Path(workdir)
        self.log_path = self.workdir / ("app-%s.log" % transport)
        self.err_path = self.workdir / ("app-%s.stderr" % transport)
        self.port = port or free_port()
        self.sock_path = None
        env = dict(os.environ, UPSTREAM_APP_SECRET=SECRET,
                   UPSTREAM_APP_LOG=str(self.log_path))
        if transport == "http":
            cmd = [sys.executable, str(APP), "--http", str(self.port)]
            self.url = "http://127.0.0.1:%d/socketio/events" % self.port
        elif transport == "fcgi-keep":
            cmd = [sys.executable, str(APP.parent / "fcgi_server.py"),
                   str(self.port)]
            self.url = "fcgi://127.0.0.1:%d/socketio/events" % self.port
        else:
            uwsgi = shutil.which("uwsgi")
            if uwsgi is None:
                pytest.fail("uwsgi is not installed (scripts/setup.sh "
                            "installs uwsgi and uwsgi-plugin-python3)")
            if transport == "http-unix":
                self.sock_path = os.path.join(
                    tempfile.mkdtemp(prefix="siod-app-"), "http.sock")
                where = ["--http-socket", self.sock_path]
                self.url = "http+unix:%s:/socketio/events" % self.sock_path
            elif transport == "fcgi":
                self.sock_path = os.path.join(
                    tempfile.mkdtemp(prefix="siod-app-"), "fcgi.sock")
                where = ["--fastcgi-socket", self.sock_path]
                self.url = "fcgi+unix:%s:/socketio/events" % self.sock_path
            else:
                where = ["--scgi-socket", "127.0.0.1:%d" % self.port]
                self.url = "scgi://127.0.0.1:%d/socketio/events" % self.port
            cmd = [uwsgi, "--plugin", "python3", "--wsgi-file", str(APP),
                   "--master", "--processes", "1", "--threads", "16",
                   "--die-on-term", "--disable-logging", "--need-app",
                   "--env", "UPSTREAM_APP_SECRET=" + SECRET,
                   "--env", "UPSTREAM_APP_LOG=" + str(self.log_path)] + where
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, env=env)
        wait_until(self._ready, timeout=20, what="the %s app" % transport)

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("the %s app exited: %s" % (
                self.transport, self.err_path.read_text(errors="replace")))
        try:
            if self.sock_path:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.sock_path)
            else:
                s = socket.create_connection(("127.0.0.1", self.port), 0.5)
            s.close()
            return True
        except OSError:
            return False

    def records(self, sid=None, **match):
        """What the app logged (one dict per request), optionally only of
        one socket and with fields equal to `match`."""
        try:
            lines = self.log_path.read_text().splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            try:
                r = json.loads(line)
            except ValueError:
                continue  # a line being written
            if sid is not None and r.get("sid") != sid:
                continue
            if all(r.get(k) == v for k, v in match.items()):
                out.append(r)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.sock_path:
            shutil.rmtree(os.path.dirname(self.sock_path), ignore_errors=True)


@pytest.fixture(scope="module", params=TRANSPORTS)
def app(request, tmp_path_factory):
    a = App(request.param, tmp_path_factory.mktemp("app-" + request.param))
    yield a
    a.stop()


@pytest.fixture
def secret_file(tmp_path):
    p = tmp_path / "upstream.secret"
    p.write_text(SECRET + "\n")
    return p


def start(daemon, app, secret_file, *extra):
    return daemon("--upstream", app.url, "--upstream-secret",
                  str(secret_file), *extra)


def cookie_opts():
    return {"extraHeaders": {"Cookie": COOKIE}}


def connect_result(node, cid, url, auth=None, namespace="/", flavour="v4",
                   opts=None):
    """Connects a v4/v2 client without failing on refusal; returns the
    handle and the connect or connect_error report."""
    h = NodeHandle(node(flavour), cid)
    h.connect(url, namespace=namespace, auth=auth, wait=False,
              extra_opts=opts)
    ev = h.node.wait_for(lambda e: e.get("cid") == cid and e["ev"] in (
        "connect", "connect_error"), timeout=15, what="connect of " + cid)
    if ev["ev"] == "connect":
        h.sid = ev["sid"]
    return h, ev


def test_connect_cookies_events_context(daemon, clients, node, app,
                                        secret_file):
    d = start(daemon, app, secret_file)
    a = clients("v4", d, auth={"user": "ann"}, extra_opts=cookie_opts())
    # The connect's actions ran once it was accepted.
    assert a.wait_event("welcome") == ["ann", a.sid]
    rpc = d.rpc()
    assert channel_members(rpc, "user:ann") == 1

    # Cookies arrive as a real Cookie (HTTP) / HTTP_COOKIE (FastCGI, SCGI)
    # and in the handshake; the connect's auth payload with each event.
    who = a.emit("whoami", ack=True)
    assert who[0] == COOKIE and who[1] == COOKIE
    assert who[2] == "ann" and who[4] == "127.0.0.1"
    assert who[5] == {"user": "ann"}

    # Text and binary round trip through the app's ack.
    args = ["text", 42, {"nested": [binary(b"\x00\xffraw")]},
            binary(b"two")]
    assert a.emit("echo", *args, ack=True) == args

    # The context the app returns comes back with the next event.
    assert [a.emit("count", ack=True) for _ in range(3)] == [[1], [2], [3]]

    # Refused: the client sees the app's message (and data).
    _, ev = connect_result(node, "refused", d.url, auth={"token": "bad"})
    assert ev["ev"] == "connect_error" and ev["message"] == "bad token"
    assert ev["data"] == {"why": "token"}
    # socket.io-client 2.x (protocol v4: "/" connects with the handshake).
    _, ev = connect_result(node, "refused2", d.url, auth={"token": "bad"},
                           flavour="v2")
    assert ev["ev"] == "connect_error" and ev["message"] == "bad token"

    recs = app.records(a.sid)
    assert recs[0]["type"] == "connect" and recs[0]["cookie"] == COOKIE
    assert recs[0]["content_type"] == "application/json"
    a.disconnect()
    gone = wait_until(lambda: app.records(a.sid, type="disconnect"),
                      timeout=10, what="the disconnect to reach the app")
    assert gone[0]["reason"] == "client namespace disconnect"
    assert gone[0]["context"] == {"user": "ann", "n": 3}
    st = rpc.call("stats")
    assert st["upstream_errors"] == 0 and st["upstream_responses"] >= 7
    if app.transport == "http":
        # Keep-alive: one connection served every request in turn.
        assert st["upstream_reused"] >= 5, st


def test_actions_reach_other_clients(daemon, clients, app, secret_file):
    d = start(daemon, app, secret_file)
    a = clients("v4", d, auth={"user": "ann"})
    b = clients("v2", d, mode="polling")
    for h in (a, b):
        assert h.subscribe("room") == [None, "room"]
        # Without --private-channels the app is told after the join.
        h.wait_event("subscribed", lambda args: args == ["room"])
    assert a.emit("shout", "room", "hello", ack=True) == ["sent"]
    assert b.wait_event("shout") == ["hello", binary(b"\x00\x01bin")]
    assert a.events("shout") == []
    assert b.emit("echo", "from v2", ack=True) == ["from v2"]

    a.emit("kickme")
    a.wait_event("bye")
    assert a.wait_disconnect() == "io server disconnect"
    wait_until(lambda: app.records(a.sid, type="disconnect"), timeout=10,
               what="the disconnect")


def test_subscribe_private_channels(daemon, clients, app, secret_file):
    d = start(daemon, app, secret_file, "--private-channels")
    rpc = d.rpc()
    a = clients("v4", d, auth={"user": "ann"})
    assert a.subscribe("room") == [None, "room"]
    assert a.subscribe("private-x") == ["not allowed: private-x"]
    assert a.wait_event("subscribe_error") == ["private-x",
                                               "not allowed: private-x"]
    admin = clients("py", d, auth={"user": "admin"})
    assert admin.subscribe("private-x") == [None, "private-x"]
    names = {c["name"] for c in rpc.call("channels")["channels"]}
    assert {"room", "private-x"} <= names
    assert set(rpc.call("session", sid=a.sid)["session"]["channels"]) == {
        "user:ann", "room"}
    assert app.records(a.sid, type="subscribe", channel="private-x")


@pytest.mark.timeout(60)
def test_thousand_events_in_order(daemon, clients, app, secret_file):
    d = start(daemon, app, secret_file, "--upstream-concurrency", "4",
              "--upstream-queue", "1100")
    a = clients("v4", d)
    n = 1000
    t0 = time.monotonic()
    for i in range(n):
        a.emit("seq", i)
    assert a.emit("echo", "end", ack=True, timeout=30) == ["end"]
    elapsed = time.monotonic() - t0
    seen = [r["args"][0] for r in app.records(a.sid, event="seq")]
    assert seen == list(range(n))
    print("%s: %d events through the app in %.2f s" % (
        app.transport, n, elapsed))


@pytest.mark.timeout(60)
def test_two_hundred_sockets_at_once(daemon, node, app, secret_file):
    d = start(daemon, app, secret_file, "--upstream-concurrency", "8")
    rpc = d.rpc()
    n = node("v4")
    count = 200
    t0 = time.monotonic()
    ready = n.connect_many("c", count, d.url, timeout=45, channel="crowd",
                           concurrency=200)
    elapsed = time.monotonic() - t0
    assert ready["failed"] == 0, ready
    assert ready["connected"] == count and ready["subscribed"] == count
    assert channel_members(rpc, "crowd") == count
    connects = {r["sid"] for r in app.records(type="connect")}
    sids = {s["sid"] for s in rpc.call("sessions")["sessions"]}
    assert len(sids) == count and sids <= connects
    wait_until(lambda: rpc.call("stats")["upstream_in_flight"] == 0,
               timeout=10, what="the upstream to drain")
    st = rpc.call("stats")
    assert st["upstream_errors"] == 0, st
    print("%s: %d sockets connected and subscribed in %.2f s" % (
        app.transport, count, elapsed))


def test_slow_and_garbage_answers(daemon, clients, node, app, secret_file):
    d = start(daemon, app, secret_file, "--upstream-timeout", "700")
    rpc = d.rpc()
    a = clients("v4", d)
    b = clients("py", d)
    # A slow answer holds a's queue, not b's.
    req, mark = a.node.send("emit", cid=a.cid, event="slow", args=[2],
                            ack=True, timeout=10000)
    assert b.emit("echo", "meanwhile", ack=True) == ["meanwhile"]
    ev = a.node.wait_for(lambda e: e.get("req") == req and e["ev"] == "ack",
                         since=mark, timeout=10, what="the slow ack")
    assert ev["args"] == [{"error": "upstream_timeout"}]
    assert a.emit("garbage", ack=True) == [{"error": "upstream_bad_response"}]
    assert a.emit("fail", ack=True) == [{"error": "upstream_bad_response"}]
    # The socket still works afterwards.
    assert a.emit("echo", 1, ack=True) == [1]
    _, ev = connect_result(node, "slowconn", d.url,
                           auth={"token": "slow", "sleep": 1.5})
    assert ev["ev"] == "connect_error"
    assert ev["message"] == "upstream_timeout"
    st = rpc.call("stats")
    assert st["upstream_timeouts"] >= 2 and st["upstream_bad_responses"] >= 2
    assert st["upstream_errors"] >= 4
    d.assert_alive()


def test_503_goes_again(daemon, clients, app, secret_file):
    """An event answered 503 (mod_wsgi while its processes restart) goes
    again after 100, 200, 400, 800 ms (--upstream-retries 4), before the
    socket's next event; after the last try the client gets the error."""
    d = start(daemon, app, secret_file)
    a = clients("v4", d)
    req, mark = a.node.send("emit", cid=a.cid, event="busy", args=[2, "k1"],
                            ack=True, timeout=10000)
    assert a.emit("echo", "next", ack=True) == ["next"]  # waited behind it
    ev = a.node.wait_for(lambda e: e.get("req") == req and e["ev"] == "ack",
                         since=mark, timeout=10, what="the ack after 503s")
    assert ev["args"] == ["ok after", 3]
    t0 = time.monotonic()
    assert a.emit("busy", 9, "k2", ack=True) == [
        {"error": "upstream_bad_response"}]
    assert time.monotonic() - t0 >= 1.5  # 100 + 200 + 400 + 800 ms
    st = d.rpc().call("stats")
    assert st["upstream_retries"] == 2 + 4
    assert st["upstream_bad_responses"] == 1
    d.assert_alive()


def test_bad_signature_rejected_by_app(daemon, node, app, tmp_path):
    wrong = tmp_path / "wrong.secret"
    wrong.write_text("not-the-secret")
    before = len(app.records(rejected=True))
    d = daemon("--upstream", app.url, "--upstream-secret", str(wrong))
    _, ev = connect_result(node, "forged", d.url)
    assert ev["ev"] == "connect_error"
    assert ev["message"] == "upstream_bad_response"  # the app's 401
    # Unsigned (no secret at all) is refused too.
    d2 = daemon("--upstream", app.url)
    _, ev = connect_result(node, "unsigned", d2.url)
    assert ev["message"] == "upstream_bad_response"
    assert len(app.records(rejected=True)) >= before + 2
    if app.transport == "http":
        # A request forged without the secret, straight at the app.
        body = b'{"type":"connect","sid":"x"}'
        r = urllib.request.Request(
            app.url, data=body, method="POST",
            headers={"Content-Type": "application/json",
                     "X-Socketiod-Signature": "t=%d,v1=%s" % (
                         time.time(), "0" * 64)})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(r, timeout=5)
        assert e.value.code == 401


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_app_down(daemon, node, clients, transport, secret_file, tmp_path):
    dead = {"http": "http://127.0.0.1:%d/ev" % free_port(),
            "fcgi": "fcgi+unix:%s:/ev" % (tmp_path / "nobody.sock"),
            "scgi": "scgi://127.0.0.1:%d/" % free_port()}[transport]
    d = daemon("--upstream", dead, "--upstream-secret", str(secret_file))
    _, ev = connect_result(node, "down", d.url)
    assert ev["ev"] == "connect_error"
    assert ev["message"] == "upstream_unavailable"
    assert d.rpc().call("stats")["upstream_unavailable"] >= 1
    d.assert_alive()


def test_queue_cap_and_context_cap(daemon, clients, app, secret_file):
    if app.transport != "http":
        pytest.skip("transport-independent; run over HTTP only")
    d = start(daemon, app, secret_file, "--upstream-queue", "2",
              "--upstream-max-context", "200")
    rpc = d.rpc()
    a = clients("v4", d)
    reqs = []
    for _ in range(4):
        reqs.append(a.node.send("emit", cid=a.cid, event="slow", args=[0.3],
                                ack=True, timeout=10000))
    acks = []
    for req, mark in reqs:
        ev = a.node.wait_for(lambda e, r=req: e.get("req") == r and
                             e["ev"] == "ack", since=mark, timeout=10,
                             what="slow ack")
        acks.append(ev["args"])
    assert acks.count(["late"]) == 2
    assert acks.count([{"error": "upstream_overloaded"}]) == 2
    assert rpc.call("stats")["upstream_overflows"] == 2

    # A context over the cap is not kept: the old one stays.
    assert a.emit("count", ack=True) == [1]
    assert a.emit("bigctx", 500, ack=True) == ["ok"]
    assert a.emit("count", ack=True) == [2]
    assert rpc.call("stats")["upstream_bad_actions"] >= 1


def test_http_over_unix_socket_with_uwsgi(daemon, clients, secret_file,
                                          tmp_path):
    """http+unix: with uwsgi's own HTTP/1.1 server instead of ours."""
    app = App("http-unix", tmp_path)
    try:
        d = start(daemon, app, secret_file)
        a = clients("v4", d, auth={"user": "bo"}, extra_opts=cookie_opts())
        assert a.wait_event("welcome") == ["bo", a.sid]
        assert a.emit("echo", "x", binary(b"\x01"), ack=True) == [
            "x", binary(b"\x01")]
        assert a.emit("whoami", ack=True)[:3] == [COOKIE, COOKIE, "bo"]
        assert [a.emit("count", ack=True) for _ in range(2)] == [[1], [2]]
        assert d.rpc().call("stats")["upstream_errors"] == 0
    finally:
        app.stop()


def test_app_restart_between_events(daemon, clients, secret_file, tmp_path):
    """A kept-alive connection the app closed (here: the app restarted) is
    noticed or retried: the next event still reaches the new app."""
    app = App("http", tmp_path)
    try:
        d = start(daemon, app, secret_file)
        a = clients("v4", d)
        assert a.emit("echo", 1, ack=True) == [1]
        port = app.port
        app.stop()
        assert a.emit("echo", 2, ack=True) == [{"error":
                                                "upstream_unavailable"}]
        os.makedirs(tmp_path / "again", exist_ok=True)
        app = App("http", tmp_path / "again", port=port)
        assert a.emit("echo", 3, ack=True) == [3]
        assert a.emit("count", ack=True) == [1]
        st = d.rpc().call("stats")
        assert st["upstream_unavailable"] == 1 and st["upstream_errors"] == 1
    finally:
        app.stop()


def test_fastcgi_connection_reuse(daemon, clients, secret_file, tmp_path):
    """FCGI_KEEP_CONN: with a responder that keeps connections (uwsgi does
    not), one connection carries every request in turn."""
    app = App("fcgi-keep", tmp_path)
    try:
        d = start(daemon, app, secret_file, "--upstream-concurrency", "1")
        a = clients("v4", d, auth={"user": "cy"}, extra_opts=cookie_opts())
        assert a.wait_event("welcome") == ["cy", a.sid]
        for i in range(5):
            assert a.emit("echo", i, binary(b"\x00" * i), ack=True) == [
                i, binary(b"\x00" * i)]
        assert a.emit("whoami", ack=True)[:3] == [COOKIE, COOKIE, "cy"]
        st = d.rpc().call("stats")
        assert st["upstream_connections"] == 1, st
        assert st["upstream_reused"] == 6 and st["upstream_errors"] == 0
    finally:
        app.stop()


def _fcgi_rec(kind, content=b"", rid=1, version=1):
    pad = (8 - len(content) % 8) % 8
    return bytes([version, kind, rid >> 8, rid & 255, len(content) >> 8,
                  len(content) & 255, pad, 0]) + content + b"\0" * pad


def _fcgi_answer(stdout, status=0):
    return (_fcgi_rec(6, stdout) + _fcgi_rec(6) +
            _fcgi_rec(3, bytes([0, 0, 0, 0, status, 0, 0, 0])))


OK_BODY = b'{"ack":["fine"]}'
HOSTILE = {
    "http": [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 100 + b"\r\n{}",
        b"\x00\xff" * 64,
        b"",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"ack\r\n"
        b"B\r\n\":[\"fine\"]}\r\n0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\n" + OK_BODY,
    ],
    "fcgi": [
        _fcgi_rec(6, b"Status: 200\r\n\r\n{}", version=2),
        _fcgi_rec(6, b"Status: 200 OK\r\n\r\n{}"),
        _fcgi_answer(b"Status: 200 OK\r\n\r\n{}", status=2),
        _fcgi_answer(b"Status: abc\r\n\r\n{}"),
        _fcgi_answer(b"no head at all"),
        _fcgi_rec(6, b"x" * 7)[:11],
        b"",
        b"".join(_fcgi_rec(6, bytes([c])) for c in
                 b"Status: 200 OK\r\n\r\n" + OK_BODY) +
        _fcgi_rec(7, b"a warning") + _fcgi_answer(b""),
        _fcgi_answer(b"HTTP/1.1 200 OK\r\n\r\n" + OK_BODY),
    ],
    "scgi": [
        b"Status: 200 OK\r\n",
        b"Status: 99 Low\r\n\r\n{}",
        b"Content-Type: text/html\r\n\r\n<html>",
        b"\r\n\r\n\r\n",
        b"",
        b"Content-Type: application/json\r\n\r\n" + OK_BODY,
    ],
}

# Which of HOSTILE are valid answers, and the ack they give.
VALID = {"http": {7: ["fine"], 8: ["fine"]},
         "fcgi": {7: ["fine"], 8: ["fine"]},
         "scgi": {3: [], 5: ["fine"]}}


class HostileApp:
    """Answers the first request (the connect) properly, then each next
    request with the next of `answers`, closing every connection."""

    def __init__(self, transport, answers):
        import threading
        self.port = free_port()
        self.answers = list(answers)
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", self.port))
        self.srv.listen(16)
        ok = b"Status: 200 OK\r\n\r\n{}"
        self.first = {"http": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                              b"Connection: close\r\n\r\n{}",
                      "fcgi": _fcgi_answer(ok), "scgi": ok}[transport]
        self.url = "%s://127.0.0.1:%d/ev" % (transport, self.port)
        self.served = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            c.settimeout(0.15)
            try:
                while c.recv(65536):
                    pass
            except (socket.timeout, OSError):
                pass
            if self.served == 0:
                out = self.first
            else:
                i = self.served - 1
                out = self.answers[i] if i < len(self.answers) else b""
            self.served += 1
            try:
                c.sendall(out)
            except OSError:
                pass
            c.close()

    def close(self):
        self.srv.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hostile_answers(daemon, clients, transport, secret_file):
    """Malformed, cut-off and odd answers: each acked event gets a documented
    error or the right ack, and the daemon (under ASan) survives."""
    app = HostileApp(transport, HOSTILE[transport])
    try:
        d = start(daemon, app, secret_file, "--upstream-timeout", "2000")
        a = clients("v4", d)
        errors = ({"error": "upstream_bad_response"},
                  {"error": "upstream_unavailable"})
        valid = VALID[transport]
        for i, ans in enumerate(HOSTILE[transport]):
            got = a.emit("x", i, ack=True)
            if i in valid:
                # Odd but well-formed: 1xx first, chunks, 1-byte records,
                # a close-delimited body, an empty body (no "ack": []).
                assert got == valid[i], (i, ans[:40], got)
            else:
                assert len(got) == 1 and got[0] in errors, (i, ans[:40], got)
        assert a.emit("x", "last", ack=True) in ([errors[0]], [errors[1]])
        d.assert_alive()
        st = d.rpc().call("stats")
        assert st["upstream_errors"] >= len(HOSTILE[transport]) - 2, st
    finally:
        app.close()


def test_text_after_the_answer_is_refused(daemon, clients, secret_file):
    """An answer is one JSON object: text after it (a second object, an
    error page appended by a framework) makes it upstream_bad_response as
    docs/upstream.md says, instead of being ignored; blanks are fine."""
    head = b"Status: 200 OK\r\n\r\n"
    answers = [head + OK_BODY + b' {"ack":["other"]}',
               head + OK_BODY + b"\n<html>Traceback</html>",
               head + OK_BODY + b"\t\r\n"]
    app = HostileApp("scgi", answers)
    try:
        d = start(daemon, app, secret_file)
        a = clients("v4", d)
        assert a.emit("x", 0, ack=True) == [{"error": "upstream_bad_response"}]
        assert a.emit("x", 1, ack=True) == [{"error": "upstream_bad_response"}]
        assert a.emit("x", 2, ack=True) == ["fine"]
        st = d.rpc().call("stats")
        assert st["upstream_bad_responses"] == 2, st
        assert st["upstream_responses"] == 2, st  # the connect and the last
    finally:
        app.close()


def test_action_with_a_bad_sid_is_skipped(daemon, clients, secret_file):
    """An action naming its socket with a sid that is not a string (here a
    number) is skipped and counted; it used to fall back to the sender, so
    {"action": "disconnect", "sid": 12} disconnected the socket that sent
    the event."""
    head = b"Status: 200 OK\r\n\r\n"
    answers = [head + b'{"actions":[{"action":"disconnect","sid":12},'
                      b'{"action":"join","channel":"c","sid":[1]}],'
                      b'"ack":["done"]}',
               head + OK_BODY]
    app = HostileApp("scgi", answers)
    try:
        d = start(daemon, app, secret_file)
        a = clients("v4", d)
        assert a.emit("x", 0, ack=True) == ["done"]
        assert a.emit("x", 1, ack=True) == ["fine"]
        rpc = d.rpc()
        sids = {s["sid"] for s in rpc.call("sessions")["sessions"]}
        assert a.sid in sids, sids
        assert channel_members(rpc, "c") == 0
        st = rpc.call("stats")
        assert st["upstream_bad_actions"] == 2, st
    finally:
        app.close()
