# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Faults, one test each: what goes wrong around the daemon, and what a user
then sees. The daemon runs under ASan, so every test also fails on a leak
or a memory error in the paths these faults take.

Covered elsewhere, not repeated here: the application slow (its answer
after --upstream-timeout) and answering garbage (not HTTP, truncated, bad
FastCGI records, bad CGI heads) over HTTP, FastCGI and SCGI, and down at
connect: test_upstream.py (test_slow_and_garbage_answers,
test_hostile_answers, test_app_down, test_app_restart_between_events for
HTTP mid-session). FastCGI's FCGI_ABORT_REQUEST of a held poll, a peer gone
mid-record, SCGI cut mid-netstring: test_bridge_fcgi.py. SIGTERM's drain of
WebSockets and polls: test_drain.py; SIGKILL under load:
test_faults_kill.py."""

import resource
import signal
import socket
import sqlite3
import struct
import threading
import time

import pytest
import requests

from bridge_lib import FCGI_PARAMS, FCGI_STDIN, FcgiConn, eio_open, \
    nv_pairs, cgi_params, record, scgi_call, scgi_request
from e2e_lib import SANITIZER_MARKS, Daemon, free_port, session_sids, \
    wait_until
from test_upstream import SECRET, App, _fcgi_answer
from test_ws_conformance import Ws, frame

POLL = "/socket.io/?EIO=4&transport=polling"


@pytest.fixture
def secret_file(tmp_path):
    p = tmp_path / "upstream.secret"
    p.write_text(SECRET + "\n")
    return p


# ---------------------------------------------------------------------------
# the application behind the upstream goes down mid-session


class ToggleApp:
    """A minimal FastCGI or SCGI application on a fixed port that can go
    down (its port then refuses connections) and come back: connects and
    other events get {}, events get the ack ["fine"]."""

    def __init__(self, transport):
        self.transport = transport
        self.port = free_port()
        self.url = "%s://127.0.0.1:%d/ev" % (transport, self.port)
        self.srv = None
        self.seen = 0
        self.up()

    def _answer(self, request):
        body = b'{"ack":["fine"]}' if b'"type":"event"' in request else b"{}"
        cgi = b"Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
        if self.transport == "fcgi":
            return _fcgi_answer(cgi + body)
        return cgi + body

    def _complete(self, data):
        if self.transport == "scgi":
            # netstring head, then CONTENT_LENGTH bytes
            n, _, rest = data.partition(b":")
            if not n.isdigit() or len(rest) < int(n) + 1:
                return False
            head = rest[:int(n)].split(b"\0")
            clen = int(head[head.index(b"CONTENT_LENGTH") + 1])
            return len(rest) >= int(n) + 1 + clen
        # FastCGI: the empty STDIN record ends the request.
        p = 0
        while p + 8 <= len(data):
            rtype, clen, pad = data[p + 1], struct.unpack(
                ">H", data[p + 4:p + 6])[0], data[p + 6]
            if rtype == FCGI_STDIN and clen == 0:
                return True
            p += 8 + clen + pad
        return False

    def _serve(self, srv):
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            data = b""
            c.settimeout(5)
            try:
                while not self._complete(data):
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.seen += 1
                c.sendall(self._answer(data))
            except OSError:
                pass
            c.close()

    def up(self):
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.port))
        srv.listen(16)
        self.srv = srv
        threading.Thread(target=self._serve, args=(srv,), daemon=True).start()

    def down(self):
        if self.srv is not None:
            self.srv.shutdown(socket.SHUT_RDWR)
            self.srv.close()
            self.srv = None


@pytest.mark.parametrize("transport", ["fcgi", "scgi"])
def test_app_goes_down_mid_session(daemon, clients, transport, secret_file):
    """Over FastCGI and SCGI (HTTP: test_upstream.py's
    test_app_restart_between_events): the app goes away under connected
    sockets. An acked event gets {"error": "upstream_unavailable"}, the
    sockets stay connected and keep receiving, and once the app is back
    events reach it again."""
    app = ToggleApp(transport)
    try:
        d = daemon("--upstream", app.url, "--upstream-secret",
                   str(secret_file))
        rpc = d.rpc()
        a = clients("v4", d)
        b = clients("py", d)
        assert a.emit("x", 1, ack=True) == ["fine"]
        app.down()
        assert a.emit("x", 2, ack=True) == [{"error": "upstream_unavailable"}]
        assert b.emit("x", 3, ack=True) == [{"error": "upstream_unavailable"}]
        # Both are still connected and served by the daemon itself.
        assert rpc.call("emit", event="news", args=["still here"])[
            "recipients"] == 2
        assert a.wait_event("news") == ["still here"]
        assert b.wait_event("news") == ["still here"]
        st = rpc.call("stats")
        assert st["upstream_unavailable"] == 2 and st["upstream_errors"] == 2
        assert st["sockets"] == 2
        app.up()
        assert a.emit("x", 4, ack=True) == ["fine"]
        assert b.emit("x", 5, ack=True) == ["fine"]
        assert rpc.call("stats")["upstream_errors"] == 2
    finally:
        app.down()


# ---------------------------------------------------------------------------
# SIGTERM gives events still owed to the app a bounded time


@pytest.fixture
def own(tmp_path):
    """Daemons this test stops itself (the shared fixture would call the
    exit a crash); killed and checked for sanitizer reports at teardown."""
    made = []

    def start(*args):
        d = Daemon(tmp_path, args, name="own%d" % len(made))
        made.append(d)
        return d.start()

    yield start
    for d in made:
        d.kill()
        err = d.stderr()
        assert not any(m in err for m in SANITIZER_MARKS), err


def test_sigterm_waits_for_upstream_events(own, clients, tmp_path,
                                           secret_file):
    """An event in flight at SIGTERM (the app takes 1 s) is waited for, and
    the disconnects of the sockets the drain closed, queued behind it,
    still reach the app; then the daemon exits 0."""
    app = App("http", tmp_path)
    try:
        d = own("--upstream", app.url, "--upstream-secret", str(secret_file))
        a = clients("v4", d)
        b = clients("v4", d)
        a.node.send("emit", cid=a.cid, event="slow", args=[1.0], ack=True,
                    timeout=10000)
        wait_until(lambda: app.records(a.sid, event="slow"), timeout=5,
                   what="the slow event at the app")
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(8) == 0
        took = time.monotonic() - t0
        # a's disconnect waited for its slow event; b's went at once.
        assert app.records(a.sid, type="disconnect"), app.records(a.sid)
        assert app.records(b.sid, type="disconnect"), app.records(b.sid)
        assert 0.5 < took < 3.0, took
    finally:
        app.stop()


@pytest.mark.parametrize("signals", [1, 2])
def test_sigterm_drain_is_bounded(own, tmp_path, secret_file, signals):
    """An app that never answers holds the exit for --upstream-drain ms at
    most, and the daemon says what it dropped; a second signal ends the
    wait at once."""
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(64)  # accepts (in the kernel), never answers
    drain = 700 if signals == 1 else 20000
    try:
        d = own("--upstream", "scgi://127.0.0.1:%d/ev" %
                hang.getsockname()[1], "--upstream-secret", str(secret_file),
                "--upstream-timeout", "30000", "--upstream-drain", str(drain))
        sid = eio_open(requests.get(d.url + POLL, timeout=5).content)["sid"]
        # Socket.IO CONNECT: it waits for the app's allow, which never comes.
        assert requests.post(d.url + POLL + "&sid=" + sid, data="40",
                             timeout=5).text == "ok"
        wait_until(lambda: d.rpc().call("stats")["upstream_in_flight"] == 1,
                   timeout=5, what="the connect in flight")
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        if signals == 2:
            time.sleep(0.5)
            d.proc.send_signal(signal.SIGINT)
        assert d.proc.wait(8) == 0
        took = time.monotonic() - t0
        if signals == 1:
            assert 0.7 <= took < 2.0, took
            assert "1 upstream events still unanswered after 700 ms" in \
                d.stderr(), d.stderr()[-2000:]
        else:
            assert 0.5 <= took < 1.5, took
            assert "exiting without waiting any longer" in d.stderr()
    finally:
        hang.close()


def test_sigterm_right_after_start(own):
    """A supervisor may stop the daemon as soon as its sockets answer: the
    signal must drain (exit 0), not kill it half set up. (The handlers used
    to be installed last, after the message log had opened: a SIGTERM in
    between killed the daemon, 16 times in 20 here.)"""
    for i in range(10):
        d = own("--message-log-format", "%(MESSAGE)s", "--message-log",
                "log%d.sqlite3" % i)
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(5) == 0, (i, d.stderr())


# ---------------------------------------------------------------------------
# clients that vanish


def _rst(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("how", ["rst", "fin"])
def test_client_vanishes_mid_websocket_frame(daemon, clients, how):
    """Half a frame (its head promises 200 bytes, 20 come), then the client
    is gone: its session ends at once, the others are untouched."""
    d = daemon()
    rpc = d.rpc()
    other = clients("py", d)
    w = Ws(d)
    w.send(frame(1, "40"))
    w.expect_connect_reply()
    assert rpc.call("stats")["sockets"] == 2
    w.send(frame(1, b"42" + b"x" * 198)[:20])
    time.sleep(0.1)
    if how == "rst":
        _rst(w.sock)
    else:
        w.sock.close()
    wait_until(lambda: rpc.call("stats")["sessions"] == 1, timeout=2,
               what="the vanished session to end")
    assert rpc.call("stats")["sockets"] == 1
    assert rpc.call("emit", event="news", args=[1])["recipients"] == 1
    assert other.wait_event("news") == [1]
    assert other.emit("subscribe", "room", ack=True) == [None, "room"]
    d.assert_alive()


def test_client_vanishes_mid_poll(daemon):
    """Polling: a client that drops its held GET, and then a POST half
    sent, is not gone yet (a poll may come back on a new connection); the
    session ends when the ping times out, pingInterval + pingTimeout after
    the last ping."""
    d = daemon("--ping-interval", "600", "--ping-timeout", "400")
    rpc = d.rpc()
    r = requests.get(d.url + POLL, timeout=5)
    sid = eio_open(r.content)["sid"]
    assert requests.post(d.url + POLL + "&sid=" + sid, data="40",
                         timeout=5).text == "ok"
    assert requests.get(d.url + POLL + "&sid=" + sid,
                        timeout=5).text.startswith("40")
    t0 = time.monotonic()
    held = socket.create_connection(d.addr)
    held.sendall(("GET %s&sid=%s HTTP/1.1\r\nHost: x\r\n\r\n"
                  % (POLL, sid)).encode())
    time.sleep(0.1)
    _rst(held)
    half = socket.create_connection(d.addr)
    half.sendall(("POST %s&sid=%s HTTP/1.1\r\nHost: x\r\n"
                  "Content-Length: 50\r\n\r\n42[\"x\"" % (POLL, sid)).encode())
    time.sleep(0.1)
    half.close()
    # Still there: the dropped GET released its slot (no "overlapping
    # poll" for the next), the half POST delivered nothing.
    assert session_sids(rpc) != []
    assert rpc.call("stats")["sessions"] == 1
    wait_until(lambda: rpc.call("stats")["sessions"] == 0, timeout=3,
               what="the ping timeout to end the session")
    gone = time.monotonic() - t0
    assert 0.5 < gone < 1.6, gone
    r = requests.get(d.url + POLL + "&sid=" + sid, timeout=5)
    assert r.status_code == 400
    d.assert_alive()


# ---------------------------------------------------------------------------
# the web server in front aborts


def _fcgi_session(d):
    fc = FcgiConn(d.fcgi)
    fc.request(1, "GET", POLL)
    sid = eio_open(fc.response(1).parsed()[2])["sid"]
    fc.request(2, "POST", POLL + "&sid=" + sid, body=b"40")
    assert fc.response(2).parsed()[2] == b"ok"
    fc.request(3, "GET", POLL + "&sid=" + sid)
    assert fc.response(3).parsed()[2].startswith(b"40{")
    return fc, sid


def _fcgi_half_post(fc, rid, sid, body=b'42["lost","' + b"y" * 500 + b'"]'):
    """A POST whose params are complete and whose STDIN is cut short."""
    fc.begin(rid)
    fc.send(record(FCGI_PARAMS, rid, nv_pairs(cgi_params(
        "POST", POLL + "&sid=" + sid, body=body))) + record(FCGI_PARAMS, rid))
    fc.send(record(FCGI_STDIN, rid, body[:100]))


def _session_still_works(d, sid):
    """The session takes a poll and a message over a fresh connection, and
    what the cut request carried never arrived."""
    fc = FcgiConn(d.fcgi)
    fc.request(10, "POST", POLL + "&sid=" + sid, body=b'42["after"]')
    assert fc.response(10).parsed()[2] == b"ok"
    rpc = d.rpc()
    assert rpc.call("emit", event="news", to=sid_socket(rpc))[
        "recipients"] == 1
    fc.request(11, "GET", POLL + "&sid=" + sid)
    body = fc.response(11).parsed()[2]
    assert b"news" in body and b"lost" not in body, body
    fc.close()


def sid_socket(rpc):
    (s,) = rpc.call("sessions")["sessions"]
    return s["sid"]


def test_fcgi_closed_mid_stdin(front):
    fc, sid = _fcgi_session(front)
    _fcgi_half_post(fc, 4, sid)
    time.sleep(0.1)
    _rst(fc.sock)
    time.sleep(0.1)
    front.assert_alive()
    _session_still_works(front, sid)


def test_fcgi_abort_mid_stdin(front):
    """FCGI_ABORT_REQUEST while the body is still coming: the request ends
    (FCGI_END_REQUEST), nothing of it is delivered, the connection and
    the session go on."""
    fc, sid = _fcgi_session(front)
    _fcgi_half_post(fc, 4, sid)
    time.sleep(0.1)
    fc.abort(4)
    r = fc.response(4)
    assert r.ended
    fc.request(5, "POST", POLL + "&sid=" + sid, body=b'42["same conn"]')
    assert fc.response(5).parsed()[2] == b"ok"
    fc.close()
    _session_still_works(front, sid)


@pytest.mark.parametrize("cut", ["mid-netstring", "mid-body"])
def test_scgi_closed_mid_request(front, cut):
    _, _, body = scgi_call(front.scgi, "GET", POLL)
    sid = eio_open(body)["sid"]
    assert scgi_call(front.scgi, "POST", POLL + "&sid=" + sid,
                     body=b"40")[2] == b"ok"
    req = scgi_request("POST", POLL + "&sid=" + sid,
                       body=b'42["lost","' + b"z" * 300 + b'"]')
    head_end = req.index(b",") + 1
    s = socket.create_connection(front.scgi)
    s.sendall(req[:head_end // 2] if cut == "mid-netstring"
              else req[:head_end + 50])
    time.sleep(0.1)
    _rst(s)
    time.sleep(0.1)
    front.assert_alive()
    rpc = front.rpc()
    assert rpc.call("emit", event="news", to=sid_socket(rpc))[
        "recipients"] == 1
    _, _, body = scgi_call(front.scgi, "GET", POLL + "&sid=" + sid)
    assert body.startswith(b"40{") and b"news" in body and \
        b"lost" not in body, body


# ---------------------------------------------------------------------------
# the disk under the message log fills


@pytest.fixture
def small_fs(tmp_path):
    """A 2 MiB tmpfs (needs root and mount rights; skipped otherwise)."""
    import subprocess
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                        str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % r.stderr.strip())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


class FileSizeLimit:
    """Fills "the disk" with RLIMIT_FSIZE on the running daemon: writes past
    it fail with EFBIG (no SIGXFSZ death). Needs no privilege."""

    error = "disk I/O error"  # SQLite's words for EFBIG

    def __init__(self, d, db):
        self.d, self.db = d, db

    def fill(self):
        wal = self.db.with_name(self.db.name + "-wal")
        limit = max(wal.stat().st_size, 4096)  # no room for the WAL to grow
        resource.prlimit(self.d.proc.pid, resource.RLIMIT_FSIZE,
                         (limit, resource.RLIM_INFINITY))  # soft only

    def free(self):
        resource.prlimit(self.d.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


class FullTmpfs:
    """Fills a small tmpfs under the database with a file: ENOSPC."""

    error = "database or disk is full"  # SQLite's words for ENOSPC

    def __init__(self, d, db):
        self.filler = db.parent / "filler"

    def fill(self):
        with open(self.filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass

    def free(self):
        self.filler.unlink()


@pytest.mark.parametrize("how", ["rlimit", "tmpfs"])
def test_message_log_disk_full(daemon, clients, tmp_path, request, how):
    """The disk under the message log fills (a tmpfs: ENOSPC; or the file
    size limit: EFBIG): the daemon keeps serving, counts the lost rows, says
    so once in its log, answers emits with
    "logged": false; when there is room again, logging resumes."""
    where = request.getfixturevalue("small_fs") if how == "tmpfs" \
        else tmp_path
    db = where / "log.sqlite3"
    d = daemon("--message-log-format", "%(MESSAGE)s", "--message-log",
               str(db))
    rpc = d.rpc()
    a = clients("py", d)
    assert rpc.call("emit", event="before", args=[1])["logged"] is True
    disk = (FullTmpfs if how == "tmpfs" else FileSizeLimit)(d, db)
    disk.fill()
    try:
        big = "x" * 20000
        answers = [rpc.call("emit", event="full", args=[i, big])
                   for i in range(20)]
        assert all(r["recipients"] == 1 for r in answers)
        assert not any(r["logged"] for r in answers), answers
        # The client got every one of them all the same.
        wait_until(lambda: len(a.events("full")) == 20, timeout=5,
                   what="the 20 emits at the client")
        st = rpc.call("stats")
        assert st["messages_log_errors"] >= 20, st
    finally:
        disk.free()
    warnings = [l for l in d.stderr().splitlines()
                if "message log" in l and disk.error in l]
    assert 1 <= len(warnings) <= 2, d.stderr()[-2000:]  # no flood
    r = rpc.call("emit", event="after", args=[2])
    assert r["logged"] is True
    assert "message log %s: writing again (" % db in d.stderr()
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        events = [e for (e,) in con.execute(
            "SELECT event FROM messages WHERE direction = 'out' ORDER BY id")]
    finally:
        con.close()
    assert events[0] == "before" and events[-1] == "after", events
    assert "full" not in events
    d.assert_alive()
