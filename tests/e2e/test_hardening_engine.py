# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Engine.IO hardening (issue 14), over raw sockets as a hostile or an
official client speaks: sessions that never poll, session caps per address
and in all, the handshake values kept per session, invalid UTF-8 in polling
payloads, HEAD requests on every front, a CLOSE posted under a held GET, a
second WebSocket for an upgraded sid, and heartbeat deadlines that fire on
time."""

import json
import os
import socket
import threading
import time

import pytest

from bridge_lib import FcgiConn, scgi_call
from e2e_lib import wait_until

from test_upstream import App, SECRET


def stats(d):
    return d.rpc().call("stats")


def http(d, method, target, body=b"", headers=(), source=None, timeout=5.0):
    """One request on a fresh connection: (status, {header: value}, body).
    The body is read by Content-Length, so a HEAD answer's missing body
    does not hang, and the connection is closed after."""
    s = socket.create_connection(d.addr, timeout=timeout,
                                 source_address=(source, 0) if source
                                 else None)
    try:
        req = "%s %s HTTP/1.1\r\nHost: x\r\n" % (method, target)
        for k, v in headers:
            req += "%s: %s\r\n" % (k, v)
        if body:
            req += "Content-Length: %d\r\n" % len(body)
        s.sendall(req.encode() + b"\r\n" + body)
        return read_response(s, head_only=method == "HEAD")
    finally:
        s.close()


def read_response(s, head_only=False):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a whole head: %r" % data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = 0 if head_only else int(hdrs.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, hdrs, rest


def handshake(d, **kw):
    status, _, body = http(d, "GET", "/socket.io/?EIO=4&transport=polling",
                           **kw)
    assert status == 200, (status, body)
    assert body[:1] == b"0", body
    return json.loads(body[1:])["sid"]


def poll_url(sid):
    return "/socket.io/?EIO=4&transport=polling&sid=" + sid


# ---------------------------------------------------------------------------
# item 4: sessions that never poll, session caps, the handshake's values

def test_session_that_never_polls_is_closed_at_the_first_poll_timeout(
        daemon):
    d = daemon("--first-poll-timeout", "600")
    silent = handshake(d)
    polled = handshake(d)
    # The official clients send their first request at once.
    assert http(d, "POST", poll_url(polled), b"40")[0] == 200
    t0 = time.monotonic()
    rpc = d.rpc()
    wait_until(lambda: rpc.call("stats")["first_poll_timeouts"] == 1,
               timeout=5, what="the silent session to be closed")
    assert time.monotonic() - t0 < 3.0
    status, _, body = http(d, "GET", poll_url(silent))
    assert status == 400 and json.loads(body)["code"] == 1
    # The one that polled lives on its normal heartbeat (25 s).
    time.sleep(0.8)
    st = rpc.call("stats")
    assert st["sessions"] == 1 and st["first_poll_timeouts"] == 1
    status, _, body = http(d, "GET", poll_url(polled))
    assert status == 200 and body.startswith(b"40"), body


def test_max_sessions_per_ip_and_in_all(daemon):
    import websocket
    d = daemon("--max-sessions", "3", "--max-sessions-per-ip", "2")
    handshake(d)
    handshake(d)
    status, hdrs, body = http(d, "GET", "/socket.io/?EIO=4&transport=polling")
    assert status == 503, (status, body)
    assert hdrs["content-type"] == "application/json"
    assert json.loads(body) == {"code": 4, "message": "Too many sessions"}
    # A WebSocket handshake is refused the same way, before its 101.
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(
            "ws://%s:%d/socket.io/?EIO=4&transport=websocket" % d.addr,
            timeout=5)
    assert e.value.status_code == 503
    # Another address has its own two, up to three sessions in all.
    handshake(d, source="127.0.0.2")
    status, _, body = http(d, "GET", "/socket.io/?EIO=4&transport=polling",
                           source="127.0.0.3")
    assert status == 503 and json.loads(body)["code"] == 4
    st = stats(d)
    assert st["sessions"] == 3 and st["sessions_refused"] == 3


def test_handshake_values_are_capped(daemon, tmp_path):
    import websocket
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    app = App("http", tmp_path)
    try:
        d = daemon("--upstream", app.url, "--upstream-secret", str(secret),
                   "--max-handshake-meta", "1024")
        ws = websocket.create_connection(
            "ws://%s:%d/socket.io/?EIO=4&transport=websocket" % d.addr,
            timeout=10, header=["Cookie: sessionid=abc123",
                                "User-Agent: " + "U" * 3000,
                                "Referer: http://x/" + "r" * 100])
        assert ws.recv()[:1] == "0"
        ws.send("40")
        while not ws.recv().startswith("40"):
            pass
        ws.send('420["whoami"]')
        while True:
            pkt = ws.recv()
            if pkt.startswith("430"):
                break
        ack = json.loads(pkt[3:])
        # The cookie is kept, the 3,000-byte User-Agent is not: a value
        # that does not fit is left out whole.
        assert ack[1] == "sessionid=abc123"
        assert ack[3] is None
        assert ack[4] == "127.0.0.1"
        assert stats(d)["handshake_meta_dropped"] == 1
        ws.close()
    finally:
        app.stop()


# ---------------------------------------------------------------------------
# item 11: UTF-8 in polling text payloads

def test_polling_payload_with_invalid_utf8_is_refused(daemon):
    d = daemon()
    sid = handshake(d)
    assert http(d, "POST", poll_url(sid), b"40")[0] == 200
    status, _, body = http(d, "POST", poll_url(sid),
                           b'42["subscribe","bad\xff\xfename"]')
    assert status == 400, (status, body)
    rpc = d.rpc()
    st = rpc.call("stats")
    assert st["polling_invalid_utf8"] == 1 and st["sessions"] == 0
    # The RPC answers stay valid JSON and name no such channel.
    assert rpc.call("channels")["channels"] == []
    assert rpc.call("sessions")["sessions"] == []
    # Valid multi-byte UTF-8 still goes through.
    sid = handshake(d)
    assert http(d, "POST", poll_url(sid), b"40")[0] == 200
    status, _, _ = http(d, "POST", poll_url(sid),
                        '42["subscribe","caf\u00e9"]'.encode())
    assert status == 200
    wait_until(lambda: rpc.call("channels")["channels"], timeout=5,
               what="the channel")
    assert rpc.call("channels")["channels"][0]["name"] == "caf\u00e9"


# ---------------------------------------------------------------------------
# item 15: HEAD

def test_head_gets_the_head_without_a_body(daemon, tmp_path):
    js = tmp_path / "socket.io.js"
    js.write_text("/* bundle */\n" * 10)
    d = daemon(client_js=js)
    cases = [
        ("/socket.io/socket.io.js", 200),
        ("/nowhere", 404),
        ("/socket.io/?EIO=4&transport=polling", 400),  # handshake: GET only
    ]
    for target, want in cases:
        _, ghdrs, gbody = http(d, "GET", target)
        s = socket.create_connection(d.addr, timeout=5)
        try:
            # HEAD then GET on one connection: the GET's answer must follow
            # the HEAD's head directly.
            s.sendall(b"HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n" % target.encode())
            status, hdrs, rest = read_response(s, head_only=True)
            assert status == want, (target, status)
            if target.endswith(".js"):
                assert hdrs["content-length"] == ghdrs["content-length"]
            s.settimeout(0.5)
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    rest += chunk
            except socket.timeout:
                pass
            assert rest == b"", (target, rest)
        finally:
            s.close()
        assert len(gbody) == int(ghdrs["content-length"]) > 0


def test_head_on_the_fastcgi_and_scgi_fronts(front):
    c = FcgiConn(front.fcgi)
    try:
        c.request(1, "HEAD", "/nowhere")
        status, hdrs, body = c.response(1).parsed()
        assert status == 404 and int(hdrs["content-length"]) > 0
        assert body == b""
    finally:
        c.close()
    status, hdrs, body = scgi_call(front.scgi, "HEAD", "/nowhere")
    assert status == 404 and int(hdrs["content-length"]) > 0
    assert body == b""


# ---------------------------------------------------------------------------
# item 16: a CLOSE posted while the GET is held

def test_close_posted_under_a_held_get_answers_it_with_noop(daemon):
    d = daemon()
    sid = handshake(d)
    assert http(d, "POST", poll_url(sid), b"40")[0] == 200
    status, _, body = http(d, "GET", poll_url(sid))  # the CONNECT answer
    assert status == 200 and body.startswith(b"40")
    held = {}

    def hold():
        held["r"] = http(d, "GET", poll_url(sid), timeout=10)

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.3)
    assert http(d, "POST", poll_url(sid), b"1")[0] == 200
    t.join(10)
    status, _, body = held["r"]
    assert status == 200
    assert body == b"6"  # NOOP, as Node's engine.io answers
    assert stats(d)["sessions"] == 0


# ---------------------------------------------------------------------------
# item 17: a second WebSocket for a sid already upgraded

def test_second_websocket_for_an_upgraded_sid_is_opened_then_closed(daemon):
    import websocket
    d = daemon()
    sid = handshake(d)
    url = "ws://%s:%d/socket.io/?EIO=4&transport=websocket&sid=%s" % (
        d.host, d.port, sid)
    ws = websocket.create_connection(url, timeout=5)
    ws.send("2probe")
    assert ws.recv() == "3probe"
    ws.send("5")
    wait_until(lambda: stats(d)["upgrades"] == 1, what="the upgrade")
    # The handshake completes (no WebSocketBadStatusException), then the
    # server closes that WebSocket.
    second = websocket.create_connection(url, timeout=5)
    opcode, data = second.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    second.close()
    # The upgraded session is untouched.
    ws.send("40")
    while not ws.recv().startswith("40"):
        pass
    st = stats(d)
    assert st["sessions"] == 1 and st["websockets_refused_upgraded"] == 1
    ws.close()


# ---------------------------------------------------------------------------
# item 18: heartbeat deadlines fire on time

def test_the_event_loop_keeps_precise_time(daemon):
    """Heartbeat deadlines need libevent's precise timers: with its default
    coarse clock and millisecond epoll timeouts a 200 ms ping timeout fired
    0.8 ms late at the median (p90 5 ms), so a pong sent after the deadline
    was sometimes taken. Lateness itself is swamped by CPU contention on a
    shared test machine; what the flag changes is visible: the epoll
    backend then keeps its deadline in a timerfd."""
    d = daemon("--ping-interval", "100", "--ping-timeout", "200")
    fds = os.listdir("/proc/%d/fd" % d.proc.pid)
    kinds = set()
    for fd in fds:
        try:
            kinds.add(os.readlink("/proc/%d/fd/%s" % (d.proc.pid, fd)))
        except OSError:
            pass
    assert "anon_inode:[timerfd]" in kinds, sorted(kinds)
    # And the deadline still holds: a pong well after it is refused.
    sid = handshake(d)
    status, _, body = http(d, "GET", poll_url(sid))
    assert status == 200 and body == b"2", body
    time.sleep(0.3)
    assert http(d, "POST", poll_url(sid), b"3")[0] == 400
