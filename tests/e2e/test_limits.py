# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Abuse limits (docs/limits.md), each set low on the command line and
exercised over raw sockets: connections in all and per address, the
handshake (slowloris) timeout, the request head size, maxHttpBufferSize for
polling bodies, the per-connection output cap, the per-socket event rate,
channels per socket, the control RPC line, and accepting under EMFILE."""

import json
import os
import socket
import subprocess
import time

import requests

from e2e_lib import (Daemon, RawWs, assert_still_serving, read_to_close,
                     wait_until)

from test_ws_conformance import Ws, frame


def stats(d):
    return d.rpc().call("stats")


def is_closed(sock, timeout=3.0):
    """True when the peer closes `sock` (EOF or reset) within timeout."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    return False


def handshake_ok(d, source=None):
    """A polling handshake over a fresh connection answers 200 with OPEN."""
    s = socket.create_connection(d.addr, timeout=5,
                                 source_address=(source, 0) if source else None)
    try:
        s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
                  b"Host: x\r\nConnection: close\r\n\r\n")
        data = read_to_close(s)
        return data.startswith(b"HTTP/1.1 200") and b'0{"sid"' in data
    except (ConnectionResetError, BrokenPipeError):
        return False
    finally:
        s.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


# ---------------------------------------------------------------------------
# connections

def test_max_connections_total(daemon):
    d = daemon("--max-connections", "5")
    # The fixture's readiness probe may still be counted for a moment.
    wait_until(lambda: stats(d)["connections"] == 0, what="probe gone")
    held = [socket.create_connection(d.addr, timeout=5) for _ in range(5)]
    wait_until(lambda: stats(d)["connections"] == 5, what="5 open")
    extra = socket.create_connection(d.addr, timeout=5)
    assert is_closed(extra), "the 6th connection was not refused"
    extra.close()
    st = stats(d)
    assert st["connections_refused"] >= 1 and st["connections"] == 5
    # A freed place is usable again.
    held.pop().close()
    wait_until(lambda: stats(d)["connections"] == 4, what="one closed")
    assert handshake_ok(d)
    for s in held:
        s.close()


def test_listen_backlog_survives_a_connect_burst(daemon):
    """The listening socket keeps the 4096 backlog it was given (capped by
    net.core.somaxconn): a burst of handshakes must not overflow a
    128-entry queue and wait for SYN retries."""
    d = daemon()
    with open("/proc/sys/net/core/somaxconn") as f:
        want = min(4096, int(f.read()))
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % d.addr[1]],
                         capture_output=True, text=True, check=True).stdout
    backlogs = {int(line.split()[2]) for line in out.splitlines()}
    assert backlogs == {want}, out


def test_max_connections_per_ip(daemon):
    d = daemon("--max-connections-per-ip", "3")
    wait_until(lambda: stats(d)["connections"] == 0, what="probe gone")
    held = [socket.create_connection(d.addr, timeout=5,
                                     source_address=("127.0.0.1", 0))
            for _ in range(3)]
    wait_until(lambda: stats(d)["connections"] == 3, what="3 open")
    extra = socket.create_connection(d.addr, timeout=5,
                                     source_address=("127.0.0.1", 0))
    assert is_closed(extra), "a 4th connection from one address got in"
    extra.close()
    assert stats(d)["connections_refused"] == 1
    # Another address is counted on its own.
    assert handshake_ok(d, source="127.0.0.2")
    # Closing one frees a place for the first address.
    held.pop().close()
    wait_until(lambda: stats(d)["connections"] == 2, what="one closed")
    assert handshake_ok(d, source="127.0.0.1")
    for s in held:
        s.close()
    wait_until(lambda: stats(d)["connections"] == 0, what="all closed")
    # Every place is back (the count per address went to zero and away).
    more = [socket.create_connection(d.addr, timeout=5) for _ in range(3)]
    wait_until(lambda: stats(d)["connections"] == 3, what="3 open again")
    assert stats(d)["connections_refused"] == 1
    for s in more:
        s.close()


# ---------------------------------------------------------------------------
# slowloris

def test_handshake_timeout_closes_a_slow_head(daemon):
    d = daemon("--handshake-timeout", "600")
    watcher = RawWs(d)  # an established WebSocket outlives the timeout
    s = socket.create_connection(d.addr, timeout=5)
    s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n")
    start = time.monotonic()
    closed = False
    # Trickle a header byte every 100 ms: it never completes.
    while time.monotonic() - start < 5:
        try:
            s.sendall(b"X")
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        if is_closed(s, 0.1):
            closed = True
            break
    took = time.monotonic() - start
    assert closed, "a trickled request head was never closed"
    assert 0.4 < took < 2.5, took
    s.close()
    assert stats(d)["handshake_timeouts"] >= 1
    assert_still_serving(d, watcher)


def test_handshake_timeout_idle_connection(daemon):
    d = daemon("--handshake-timeout", "500")
    s = socket.create_connection(d.addr, timeout=5)
    assert is_closed(s, 3.0)
    s.close()
    assert stats(d)["handshake_timeouts"] == 1


def test_handshake_timeout_spares_held_polls_and_websockets(daemon):
    d = daemon("--handshake-timeout", "400", "--ping-interval", "1500")
    r = requests.get(d.url + "/socket.io/?EIO=4&transport=polling", timeout=5)
    sid = json.loads(r.text[1:])["sid"]
    ws = Ws(d)
    start = time.monotonic()
    # A long-poll held by the server for ~1.5 s (until the ping) is fine.
    r = requests.get(d.url + "/socket.io/?EIO=4&transport=polling&sid=" + sid,
                     timeout=5)
    assert r.status_code == 200 and r.text == "2"
    assert time.monotonic() - start > 1.0
    # The WebSocket opened before is still there too.
    ws.send(frame(9, b"x"))
    while True:
        op, fin, payload = ws.recv_frame()
        if op == 10:
            break
    assert stats(d)["handshake_timeouts"] == 0
    ws.close()


# ---------------------------------------------------------------------------
# sizes

def raw_request(d, data, timeout=5.0):
    s = socket.create_connection(d.addr, timeout=timeout)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    out = b""
    s.settimeout(timeout)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return out


def test_max_header_size(daemon):
    d = daemon("--max-header-size", "2048")
    base = (b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close\r\n")
    small = base + b"X-Pad: " + b"a" * 1800 + b"\r\n\r\n"
    assert len(small) < 2048
    assert raw_request(d, small).startswith(b"HTTP/1.1 200")
    big = base + b"X-Pad: " + b"a" * 2100 + b"\r\n\r\n"
    assert raw_request(d, big).startswith(b"HTTP/1.1 431")
    # An unfinished head over the limit is refused before it ends.
    out = raw_request(d, base + b"X-Pad: " + b"a" * 3000)
    assert out.startswith(b"HTTP/1.1 431"), out[:100]


def test_max_http_buffer_size_for_polling_bodies(daemon):
    d = daemon("--max-http-buffer-size", "1000")
    r = requests.get(d.url + "/socket.io/?EIO=4&transport=polling", timeout=5)
    sid = json.loads(r.text[1:])["sid"]
    url = d.url + "/socket.io/?EIO=4&transport=polling&sid=" + sid
    ok = "4" + "x" * 999
    r = requests.post(url, data=ok, headers={"Content-Type": "text/plain"},
                      timeout=5)
    assert r.status_code == 200, r.text
    r = requests.post(url, data=ok + "x", timeout=5,
                      headers={"Content-Type": "text/plain"})
    assert r.status_code == 413


# ---------------------------------------------------------------------------
# output cap

def test_reader_that_stops_reading_is_disconnected(daemon, monkeypatch):
    # No ASan quarantine here, so RSS reflects what the daemon holds.
    monkeypatch.setenv("ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "") +
                       ":quarantine_size_mb=0")
    d = daemon("--max-output", "262144")
    rpc = d.rpc()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(d.addr)
    s.close()
    w = Ws(d)
    w.send(frame(1, "40"))
    w.expect_connect_reply()
    w.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    before = rss_kb(d.proc.pid)
    big = "y" * 100000
    sent = 0
    # The client reads nothing from here on: 40 MB offered.
    for i in range(400):
        n = rpc.call("emit", event="big", args=[big])["recipients"]
        sent += 1
        if n == 0:
            break
    st = stats(d)
    assert st["output_overflows"] >= 1, st
    assert st["sockets"] == 0 and st["connections"] == 0, st
    grew = rss_kb(d.proc.pid) - before
    assert grew < 24 * 1024, "RSS grew by %d kB" % grew
    w.close()


# ---------------------------------------------------------------------------
# flood control and channels

def ws_client(d):
    w = Ws(d)
    w.send(frame(1, "40"))
    w.expect_connect_reply()
    return w


def acks(w, n, timeout=2.0):
    """Ack ids of the ack packets received within timeout (up to n)."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        try:
            op, fin, p = w.recv_frame(deadline - time.monotonic())
        except AssertionError:
            break
        if op == 1 and p.startswith(b"43"):
            i = 2
            while p[i:i + 1].isdigit():
                i += 1
            got.append(int(p[2:i]))
        elif op == 1 and p.startswith(b"41"):
            got.append("disconnect")
            break
    return got


def test_event_rate_drops_the_excess(daemon):
    d = daemon("--max-event-rate", "10", "--event-burst", "10")
    w = ws_client(d)
    w.send(b"".join(frame(1, '42%d["subscribe","r"]' % i) for i in range(50)))
    got = acks(w, 50, timeout=1.5)
    assert 10 <= len(got) <= 15, got  # the burst, and what refilled meanwhile
    assert got[:10] == list(range(10))
    st = stats(d)
    assert st["events_rate_limited"] == 50 - len(got), st
    # The bucket refills: after a second, events pass again.
    time.sleep(1.0)
    w.send(frame(1, '4299["subscribe","r"]'))
    assert acks(w, 1) == [99]
    assert st["sockets"] == 1


def test_event_rate_disconnects_when_configured(daemon):
    d = daemon("--max-event-rate", "5", "--event-burst", "5",
               "--event-rate-action", "disconnect")
    w = ws_client(d)
    w.send(b"".join(frame(1, '42%d["subscribe","r"]' % i) for i in range(20)))
    got = acks(w, 20, timeout=3)
    assert got[-1] == "disconnect", got
    assert got[:-1] == list(range(5)), got
    wait_until(lambda: stats(d)["sockets"] == 0, what="socket gone")
    assert stats(d)["events_rate_limited"] == 1


def test_max_channels_per_socket(daemon):
    d = daemon("--max-channels", "3")
    w = ws_client(d)
    for i in range(4):
        w.send(frame(1, '42%d["subscribe","ch%d"]' % (i, i)))
    replies = []
    while len(replies) < 4:
        op, fin, p = w.recv_frame()
        if op == 1 and p.startswith(b"43"):
            replies.append(p)
    assert replies[:3] == [b'43%d[null,"ch%d"]' % (i, i) for i in range(3)]
    assert replies[3] == b'433["too many channels for one socket"]'
    chans = d.rpc().call("channels")["channels"]
    assert sorted(c["name"] for c in chans) == ["ch0", "ch1", "ch2"]


# ---------------------------------------------------------------------------
# control RPC line

def test_max_rpc_line(daemon):
    d = daemon("--max-rpc-line", "1024")
    ok = json.dumps({"id": 1, "method": "stats", "params": {}}).encode()
    long_line = json.dumps({"id": 2, "method": "emit", "params": {
        "event": "x", "args": ["z" * 2000]}}).encode()
    # A whole line over the limit, and one that never ends: each is
    # answered with -32003 and that control connection closed.
    for tail in (long_line + b"\n" + ok + b"\n", b"{" + b" " * 5000):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(d.rpc_path)
        s.sendall(ok + b"\n")
        s.sendall(tail)
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:  # it closed with our bytes unread
                break
            if not chunk:
                break
            buf += chunk
        lines = [json.loads(x) for x in buf.split(b"\n") if x]
        assert lines[0]["id"] == 1 and "result" in lines[0], lines
        assert lines[1]["error"]["code"] == -32003, lines
        assert len(lines) == 2, lines
        s.close()
    d.rpc().call("stats")  # other clients unaffected


# ---------------------------------------------------------------------------
# EMFILE

def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def test_accept_pauses_on_emfile(tmp_path):
    d = Daemon(tmp_path, ["--max-connections", "100000"], name="lowfd")
    real = d.command

    def limited():
        return ["prlimit", "--nofile=48:48", "--"] + real()

    d.command = limited
    d.start()
    problems = []
    held = []
    try:
        # More than the descriptors left: accept() hits EMFILE.
        for _ in range(80):
            held.append(socket.create_connection(d.addr, timeout=5))
        time.sleep(0.5)
        cpu0 = proc_cpu_seconds(d.proc.pid)
        time.sleep(2.0)
        used = proc_cpu_seconds(d.proc.pid) - cpu0
        assert used < 0.5, "the daemon spun on accept: %.2f s CPU" % used
        assert "pausing accepts" in d.stderr()
        for s in held:
            s.close()
        held = []
        # Accepting resumes by itself.
        wait_until(lambda: handshake_ok(d), timeout=10, what="accepting again")
        d.assert_alive()
    finally:
        for s in held:
            s.close()
        problems = d.stop()
    assert not problems, problems
