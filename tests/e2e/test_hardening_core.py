# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""A broadcast whose delivery ends a receiver's session must not touch what
that close freed (issue 14, item 1).

The session of client A holds two sockets in "/" (a CONNECT to a namespace
named "/\\0x" was once cut to "/" by a string copy) and never reads, so one
delivery of a broadcast overflows its output cap and ends the session,
freeing both sockets while the hub still iterates the namespace or the
channel. Before the fix that was a heap-use-after-free under ASan (a
SIGSEGV in the plain build). Once such names are refused, A holds one socket
and the tests still check that the fan-out goes on to everyone else and the
daemon survives; tests/unit/hub_test.c covers the same hazard without the
trick (a close that ends other sockets in mid-fan-out).

Every case: A's connection ends (its output went over the cap), B and C,
who read, get every event, the daemon keeps serving and stops cleanly
without a sanitizer report (the daemon fixture checks that)."""

import base64
import json
import os
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from e2e_lib import RpcError, wait_until

BIG = "x" * 400000  # an event of ~400 kB: a few fill the loopback buffers
CAP = "1048576"
N = 24  # ~10 MB to A: past its kernel buffers and the cap


def ws_frame(payload):
    """A masked client text frame."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    elif n < 65536:
        head = bytes([0x81, 0x80 | 126]) + struct.pack("!H", n)
    else:
        head = bytes([0x81, 0x80 | 127]) + struct.pack("!Q", n)
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawWs:
    """An Engine.IO v4 WebSocket opened by hand; `rcvbuf` shrinks the
    receive buffer of a client that will not read."""

    def __init__(self, d, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(d.addr)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
            % key).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            assert chunk, "closed during the handshake"
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101 "), head
        assert self.recv().startswith(b"0{")

    def send(self, text):
        try:
            self.sock.sendall(ws_frame(text))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon may have ended the session already

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("closed by the server")
            self.buf += chunk

    def recv(self):
        """The payload of the next data frame (pings answered)."""
        while True:
            self._need(2)
            op, n, pos = self.buf[0] & 0x0F, self.buf[1] & 0x7F, 2
            if n == 126:
                self._need(4)
                n, pos = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, pos = struct.unpack("!Q", self.buf[2:10])[0], 10
            self._need(pos + n)
            payload, self.buf = self.buf[pos:pos + n], self.buf[pos + n:]
            if op == 8:
                raise EOFError("close frame")
            if payload == b"2":
                self.send("3")
                continue
            return payload

    def connect(self, nsp_packet="40"):
        """Sends a CONNECT; returns the socket id, or None when refused
        (or the session was closed for it)."""
        self.send(nsp_packet)
        try:
            got = self.recv()
        except (EOFError, OSError):
            return None
        if not got.startswith(b"40{"):
            return None
        return json.loads(got[2:])["sid"]

    def events(self, name, count):
        """Reads until `count` events `name` came; returns their args."""
        out = []
        while len(out) < count:
            got = self.recv()
            if got.startswith(b"42["):
                ev = json.loads(got[2:])
                if ev[0] == name:
                    out.append(ev[1:])
        return out

    def events_until(self, name, last):
        """Reads events until one named `last` came; returns the args of
        those named `name`."""
        out = []
        while True:
            got = self.recv()
            if got.startswith(b"42["):
                ev = json.loads(got[2:])
                if ev[0] == last:
                    return out
                if ev[0] == name:
                    out.append(ev[1:])

    def events_behind(self, name, count):
        """events() (or events_until() when `count` is an event name) in a
        thread, so the client reads while others send; returns a function
        that joins it and gives the result."""
        res = []
        read = self.events if isinstance(count, int) else self.events_until
        t = threading.Thread(target=lambda: res.append(read(name, count)),
                             daemon=True)
        t.start()

        def result(timeout=60):
            t.join(timeout)
            assert res, "%s: not all events came (%r)" % (name, count)
            return res[0]
        return result

    def ended(self, timeout=20.0):
        """True once the daemon has closed the connection."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.5)
        while time.monotonic() < deadline:
            try:
                if not self.sock.recv(1 << 20):
                    return True
            except socket.timeout:
                continue
            except OSError:
                return True
        return False

    def close(self):
        self.sock.close()


def flooded_session(d):
    """A session that never reads, with four sockets in "/" while the NUL
    trick works (one otherwise): whichever delivery of a broadcast goes over
    its cap, other sockets of the session usually come after it."""
    a = RawWs(d, rcvbuf=4096)
    sids = [a.connect()]
    assert sids[0] is not None
    for tail in "abc":
        sids.append(a.connect("40/\x00%s," % tail))
    a.sids = [s for s in sids if s is not None]
    return a, a.sids


def setup_clients(d, rpc, channel):
    """Two flooded sessions A1, A2, then B and C (read). With `channel`,
    everybody joins it, interleaved."""
    a1, a1_sids = flooded_session(d)
    a2, a2_sids = flooded_session(d)
    b, c = RawWs(d), RawWs(d)
    b1, c1 = b.connect(), c.connect()
    assert b1 and c1
    if channel:
        for sid in [b1] + a1_sids[:2] + [c1] + a1_sids[2:] + a2_sids:
            try:
                rpc.call("join", sid=sid, channel=channel)
            except RpcError:
                # Only for A: a daemon that refuses "/\0x" may have closed
                # A's whole session for it.
                assert sid not in (b1, c1)
    return [a1, a2], a1_sids + a2_sids, b, c


@pytest.mark.parametrize("target", ["namespace", "channel"])
@pytest.mark.parametrize("relay", [False, True])
def test_rpc_broadcast_overflowing_a_two_socket_session(daemon, target, relay):
    args = ["--max-output", CAP] + (["--relay"] if relay else [])
    d = daemon(*args)
    rpc = d.rpc()
    a_all, a_sids, b, c = setup_clients(d, rpc, "room" if target == "channel"
                                        else None)
    where = {"channel": "room"} if target == "channel" else {}
    n = N
    got_b, got_c = b.events_behind("big", n), c.events_behind("big", n)
    ids = [rpc.call_async("emit", event="big", args=[i, BIG], **where)
           for i in range(n)]
    for rid in ids:
        assert "result" in rpc.wait(rid, 60)
    got_b, got_c = got_b(), got_c()
    assert [x[0] for x in got_b] == list(range(n))
    assert [x[0] for x in got_c] == list(range(n))
    for a in a_all:
        assert a.ended(), "A never read: its output must go over the cap"
    d.assert_alive()
    # Still serving: a new client joins and hears a broadcast.
    e = RawWs(d)
    assert e.connect()
    rpc.call("emit", event="after", args=[1])
    assert e.events("after", 1) == [[1]]
    for s in a_all + [b, c, e]:
        s.close()


def test_relay_from_a_session_overflowing_itself(daemon):
    """A1 relays events to a channel holding its own other sockets: a
    delivery to one of them overflows A1's output and ends A1's session
    (the sender's) in the middle of the relay loop."""
    d = daemon("--max-output", CAP, "--relay")
    rpc = d.rpc()
    a_all, a_sids, b, c = setup_clients(d, rpc, "room")
    a = a_all[0]
    got_b = b.events_behind("big", "after")
    got_c = c.events_behind("big", "after")
    # The events go out of the socket found first for "/": the newest.
    for i in range(N):
        a.send("42" + json.dumps(["big", i, BIG]))
    live = set(x["sid"] for x in rpc.call("sessions")["sessions"])
    if len(a.sids) > 1:
        assert a.ended(), "A1's output must have gone over the cap"
        d.assert_alive()
        rpc.call("emit", event="after", args=[2], channel="room")
    elif a.sids[0] in live:
        # "/\\0x" is refused: A1 has one socket, hears none of its own
        # events and stays (tests/unit/hub_test.c keeps the sender-closed
        # case); its last event ends the readers' wait.
        a.send('42["after",2]')
    else:  # refused by closing A1's session: it sent nothing
        rpc.call("emit", event="after", args=[2], channel="room")
    got_b, got_c = got_b(), got_c()
    if len(a.sids) > 1 or a.sids[0] in live:
        assert got_b and got_b[0][0] == 0
    assert [x[0] for x in got_c] == [x[0] for x in got_b]
    if len(a.sids) > 1:
        wait_until(lambda: not set(a.sids) & set(
            x["sid"] for x in rpc.call("sessions")["sessions"]),
            what="A1's sockets gone")
    for s in a_all + [b, c]:
        s.close()


class EmitApp:
    """An upstream application over HTTP: every connect is allowed, and an
    event "go" is answered with `n` emit actions of BIG to channel "room"
    (applied one after the other in one loop callback)."""

    def __init__(self, n):
        actions = [{"action": "emit", "event": "big", "args": [i, BIG],
                    "channel": "room"} for i in range(n)]
        go = json.dumps({"actions": actions}).encode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                req = json.loads(self.rfile.read(
                    int(self.headers["Content-Length"])))
                body = go if req.get("event") == "go" else b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/ev" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.mark.parametrize("sender", ["B", "A1"])
@pytest.mark.parametrize("relay", [False, True])
def test_upstream_emit_actions_overflowing_a_session(daemon, tmp_path, relay,
                                                     sender):
    """The application answers an event with broadcasts to the channel;
    one of them overflows A1 and A2 in the middle of the fan-out (A1: the
    sender itself, whose answer is being applied)."""
    app = EmitApp(N // 2)
    secret = tmp_path / "upstream.secret"
    secret.write_text("s3cret\n")
    try:
        d = daemon("--max-output", CAP, "--upstream", app.url,
                   "--upstream-secret", str(secret),
                   *(["--relay"] if relay else []))
        rpc = d.rpc()
        a_all, a_sids, b, c = setup_clients(d, rpc, "room")
        got_b = b.events_behind("big", "after")
        got_c = c.events_behind("big", "after")
        who = b if sender == "B" else a_all[0]
        before = rpc.call("stats")["upstream_responses"]
        who.send('42["go"]')
        who.send('42["go"]')

        def settled():
            st = rpc.call("stats")
            return st["upstream_responses"] > before and \
                st["upstream_in_flight"] == 0 and st["upstream_queued"] == 0
        # ended() reads: only once the answers are applied, or A would be
        # a reader when the broadcasts reach it.
        wait_until(settled, what="the answers applied")
        for a in a_all:
            assert a.ended(), "A never read: its output must go over the cap"
        rpc.call("emit", event="after", args=[3], channel="room")
        got_b, got_c = got_b(), got_c()
        # Both answers are applied even when A1 sent them and went away
        # meanwhile (A1's second event may not have been read by then).
        want = sorted(list(range(N // 2)) * 2)
        assert sorted(x[0] for x in got_b) in (want, want[::2])
        assert got_c == got_b
        d.assert_alive()
        for s in a_all + [b, c]:
            s.close()
    finally:
        app.close()
