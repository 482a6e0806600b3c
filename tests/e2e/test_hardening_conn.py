# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Hardening of the read path, the closing state, the FastCGI/SCGI fronts and
the control RPC (issue 14, items 6-9), over raw sockets: a closing peer that
never reads is dropped after --drain-timeout; messages and bodies right at
the size limit pass back to back; a FastCGI connection cannot buffer more
than --max-front-buffer nor params over --max-header-size, and unfinished
front requests and idle front connections time out; a control client that
pipelines without reading is paused, not buffered without bound."""

import json
import os
import signal
import socket
import struct
import threading
import time

import pytest

from bridge_lib import (FCGI_BEGIN_REQUEST, FCGI_PARAMS, FCGI_RESPONDER,
                        FCGI_KEEP_CONN, FCGI_STDIN, FcgiConn, cgi_params,
                        Response, nv_pairs, record, scgi_request)
from e2e_lib import free_port, wait_until
from test_ws_conformance import Ws, frame

POLL = "/socket.io/?EIO=4&transport=polling"


def stats(d):
    return d.rpc().call("stats")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def no_quarantine(monkeypatch):
    """No ASan quarantine, so RSS reflects what the daemon holds."""
    monkeypatch.setenv("ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "") +
                       ":quarantine_size_mb=0")


def recv_until_closed(sock, timeout):
    """Everything `sock` receives until the peer closes; None when it is
    still open after `timeout`."""
    sock.settimeout(0.2)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    return None


# ---------------------------------------------------------------------------
# item 6: a closing connection whose peer never reads

def test_closing_websocket_whose_peer_never_reads_is_dropped(daemon):
    d = daemon("--drain-timeout", "1500", "--max-output", str(64 << 20))
    rpc = d.rpc()
    w = Ws(d)
    w.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    w.send(frame(1, "40"))
    w.expect_connect_reply()
    # More than the kernel's buffers take (tcp_wmem's 4 MB at most), well
    # under --max-output: the rest waits in the daemon's queue.
    big = "y" * 100000
    for _ in range(100):
        assert rpc.call("emit", event="big", args=[big])["recipients"] == 1
    # The client closes: the server's close frame goes behind 10 MB the
    # client never reads.
    w.send(frame(8, struct.pack("!H", 1000)))
    wait_until(lambda: stats(d)["sockets"] == 0, what="the socket closed")
    st = stats(d)
    assert st["connections"] == 1, st
    wait_until(lambda: stats(d)["connections"] == 0, timeout=10,
               what="the closing connection dropped")
    st = stats(d)
    assert st["drain_timeouts"] == 1, st
    assert st["output_overflows"] == 0, st
    w.close()


def test_closing_fastcgi_connection_whose_peer_never_reads_is_dropped(
        daemon, tmp_path):
    js = tmp_path / "big.js"
    js.write_bytes(b"/*" + b"x" * 200000 + b"*/\n")
    fport = free_port()
    d = daemon("--fcgi", "127.0.0.1:%d" % fport, "--drain-timeout", "1500",
               "--max-output", str(64 << 20), client_js=str(js))
    s = socket.create_connection(("127.0.0.1", fport))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data = b""
    # 10 MB of answers, none read; the last request lets the connection go.
    for rid in range(1, 51):
        data += record(FCGI_BEGIN_REQUEST, rid,
                       struct.pack(">HB5x", FCGI_RESPONDER,
                                   FCGI_KEEP_CONN if rid < 50 else 0))
        data += record(FCGI_PARAMS, rid, nv_pairs(
            cgi_params("GET", "/socket.io/socket.io.js")))
        data += record(FCGI_PARAMS, rid) + record(FCGI_STDIN, rid)
    s.sendall(data)
    wait_until(lambda: stats(d)["fcgi_requests"] == 50, what="50 requests: %s" % stats(d))
    st = stats(d)
    assert st["fcgi_connections"] == 1, st
    wait_until(lambda: stats(d)["fcgi_connections"] == 0, timeout=10,
               what="the closing FastCGI connection dropped")
    assert stats(d)["drain_timeouts"] == 1
    s.close()


# ---------------------------------------------------------------------------
# item 7: messages at the size limit, back to back

def event_packet(size):
    """A Socket.IO EVENT of exactly `size` bytes (Engine.IO '4' included)."""
    head, tail = '42["big","', '"]'
    return head + "x" * (size - len(head) - len(tail)) + tail


def send_while_stopped(d, sock, data):
    """Sends `data` while the daemon is stopped, so that its reads find
    the socket full (a fast peer on a real network) rather than a trickle
    it keeps pace with on loopback."""
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        t = threading.Thread(target=sock.sendall, args=(data,), daemon=True)
        t.start()
        time.sleep(0.5)
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    t.join(20)


def test_websocket_messages_at_the_limit_back_to_back(daemon):
    d = daemon()  # maxHttpBufferSize 1e6
    w = Ws(d)
    w.send(frame(1, "40"))
    w.expect_connect_reply()
    before = stats(d)["messages_in"]
    msg = frame(1, event_packet(990000), key=b"\0\0\0\0")
    # Ten, so that wherever the reads fall, one message ends within a
    # read of the limit (a read is 64 KB, a message 6,974 bytes over 15).
    send_while_stopped(d, w.sock, msg * 10)
    def delivered():
        st = stats(d)
        if st["connections"] == 0:
            raise RuntimeError("the sender was disconnected: %s" % st)
        return st["messages_in"] == before + 10

    wait_until(delivered, timeout=30, what="ten 990 KB messages delivered")
    w.send(frame(9, b"still"))
    w.expect_frame(10, b"still")
    st = stats(d)
    assert st["ws_protocol_errors"] == 0 and st["connections"] == 1, st
    w.close()


def test_polling_bodies_at_the_limit_pipelined(daemon):
    d = daemon()
    s = socket.create_connection(d.addr, timeout=10)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % POLL).encode())
    head = b""
    while b'"sid"' not in head or not head.endswith(b"}"):
        head += s.recv(65536)
    sid = json.loads(head[head.index(b"0{") + 1:])["sid"]
    s.sendall(("POST %s&sid=%s HTTP/1.1\r\nHost: x\r\n"
               "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n40"
               % (POLL, sid)).encode())
    before = stats(d)["messages_in"]
    body = event_packet(990000).encode()
    req = ("POST %s&sid=%s HTTP/1.1\r\nHost: x\r\n"
           "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
           % (POLL, sid, len(body))).encode() + body
    send_while_stopped(d, s, req * 10)
    out = b""
    deadline = time.monotonic() + 30
    while out.count(b"\r\n\r\nok") < 11 and time.monotonic() < deadline:
        chunk = s.recv(65536)
        assert chunk, "closed: %r" % out[-300:]
        out += chunk
    assert out.count(b"HTTP/1.1 200") == 11, out
    wait_until(lambda: stats(d)["messages_in"] == before + 10,
               what="ten 990 KB bodies delivered")
    s.close()


def test_bodies_pipelined_behind_a_held_poll(daemon):
    """While a long-poll is held, reading pauses once one request waits
    behind it, and resumes when the poll is answered (here by a ping)."""
    d = daemon("--ping-interval", "1000", "--ping-timeout", "10000")
    s = socket.create_connection(d.addr, timeout=10)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % POLL).encode())
    head = b""
    while b'"sid"' not in head or not head.endswith(b"}"):
        head += s.recv(65536)
    sid = json.loads(head[head.index(b"0{") + 1:])["sid"]
    s.sendall(("POST %s&sid=%s HTTP/1.1\r\nHost: x\r\n"
               "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n40"
               % (POLL, sid)).encode())
    out = b""
    while out.count(b"\r\n\r\nok") < 1:
        out += s.recv(65536)
    before = stats(d)["messages_in"]
    body = event_packet(990000).encode()
    post = ("POST %s&sid=%s HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
            % (POLL, sid, len(body))).encode() + body
    get = ("GET %s&sid=%s HTTP/1.1\r\nHost: x\r\n\r\n"
           % (POLL, sid)).encode()
    # The GET is held (the CONNECT reply may answer the first one at once:
    # then the second is held).
    send_while_stopped(d, s, get + get + post * 4)
    out = b""
    deadline = time.monotonic() + 30
    while out.count(b"\r\n\r\nok") < 4 and time.monotonic() < deadline:
        chunk = s.recv(65536)
        assert chunk, "closed: %r" % out[-300:]
        out += chunk
    assert out.count(b"\r\n\r\nok") == 4, out[-500:]
    wait_until(lambda: stats(d)["messages_in"] == before + 4,
               what="four 990 KB bodies delivered")
    s.close()


# ---------------------------------------------------------------------------
# item 8: FastCGI and SCGI fronts

def fcgi_status(resp):
    return resp.parsed()[0]


def test_fastcgi_params_over_max_header_size(daemon):
    fport = free_port()
    d = daemon("--fcgi", "127.0.0.1:%d" % fport, "--max-header-size", "4096")
    fc = FcgiConn(("127.0.0.1", fport))
    fc.request(1, "GET", POLL, extra={"HTTP_X_PAD": "a" * 7000})
    assert fcgi_status(fc.response(1)) == 200
    # --max-header-size and 4 KB for the web server's CGI variables
    fc.request(2, "GET", POLL, extra={"HTTP_X_PAD": "a" * 8500})
    assert fcgi_status(fc.response(2)) == 431
    # The connection goes on.
    fc.request(3, "GET", POLL)
    assert fcgi_status(fc.response(3)) == 200
    assert stats(d)["fcgi_bad_requests"] == 1


def test_fastcgi_connection_cannot_buffer_past_its_limit(daemon, monkeypatch):
    no_quarantine(monkeypatch)
    fport = free_port()
    d = daemon("--fcgi", "127.0.0.1:%d" % fport, "--handshake-timeout", "0")
    fc = FcgiConn(("127.0.0.1", fport), timeout=30)
    rss0 = rss_kb(d.proc.pid)
    # 2,000 requests, each with 16,000 bytes of params that never end:
    # 32 MB if kept, against the default --max-front-buffer of 8 MB.
    pad = nv_pairs({"HTTP_X_PAD": "p" * 15980})
    for base in range(1, 2001, 100):
        data = b""
        for rid in range(base, base + 100):
            fc.responses[rid] = Response()
            data += record(FCGI_BEGIN_REQUEST, rid,
                           struct.pack(">HB5x", FCGI_RESPONDER,
                                       FCGI_KEEP_CONN))
            data += record(FCGI_PARAMS, rid, pad)
        fc.send(data)
    # The daemon may still be refusing what it has not read yet: wait until
    # every refusal it has counted has reached us.
    def settled():
        n = sum(r.ended for r in fc.responses.values())
        return n >= 1400 and n == stats(d)["fcgi_refused"]
    fc.wait(settled, timeout=30, what="the refusals")
    st = stats(d)
    grew = rss_kb(d.proc.pid) - rss0
    refused = [r for r in fc.responses.values() if r.ended]
    assert all(fcgi_status(r) == 503 for r in refused)
    assert st["fcgi_refused"] == len(refused) >= 1400, st
    assert grew < 20 * 1024, "RSS grew by %d kB" % grew
    # Other connections are served.
    fc2 = FcgiConn(("127.0.0.1", fport))
    fc2.request(1, "GET", POLL)
    assert fcgi_status(fc2.response(1)) == 200


def test_fastcgi_unfinished_request_times_out(daemon):
    fport = free_port()
    d = daemon("--fcgi", "127.0.0.1:%d" % fport, "--handshake-timeout", "1000")
    fc = FcgiConn(("127.0.0.1", fport))
    fc.begin(1)
    fc.send(record(FCGI_PARAMS, 1, nv_pairs(cgi_params("GET", POLL))))
    t0 = time.monotonic()
    assert fcgi_status(fc.response(1, timeout=5)) == 408
    assert 0.8 < time.monotonic() - t0 < 4
    fc.request(2, "GET", POLL)  # the connection goes on
    assert fcgi_status(fc.response(2)) == 200
    assert stats(d)["fcgi_timeouts"] == 1


def test_fastcgi_idle_connection_is_closed(daemon):
    fport = free_port()
    d = daemon("--fcgi", "127.0.0.1:%d" % fport,
               "--front-idle-timeout", "1000")
    idle = socket.create_connection(("127.0.0.1", fport))
    fc = FcgiConn(("127.0.0.1", fport))
    fc.request(1, "GET", POLL)  # keep-conn: idle after its answer
    assert fcgi_status(fc.response(1)) == 200
    assert recv_until_closed(idle, 5) == b""
    fc.wait_eof(5)
    wait_until(lambda: stats(d)["fcgi_connections"] == 0, what="closed")
    assert stats(d)["fcgi_timeouts"] == 2


def test_scgi_limits(daemon):
    sport = free_port()
    d = daemon("--scgi", "127.0.0.1:%d" % sport, "--max-header-size", "4096",
               "--handshake-timeout", "1000")
    # An unfinished request times out with 408.
    s = socket.create_connection(("127.0.0.1", sport))
    s.sendall(scgi_request("GET", POLL)[:40])
    out = recv_until_closed(s, 5)
    assert out is not None and out.startswith(b"Status: 408"), out
    # Headers over --max-header-size (and 4 KB for the web server's CGI
    # variables): 431, whole or not.
    for cut in (None, 8500):
        s = socket.create_connection(("127.0.0.1", sport))
        req = scgi_request("GET", POLL, extra={"HTTP_X_PAD": "a" * 8500})
        s.sendall(req[:cut] if cut else req)
        out = recv_until_closed(s, 5)
        assert out is not None and out.startswith(b"Status: 431"), out
    st = stats(d)
    assert st["scgi_timeouts"] == 1 and st["scgi_bad_requests"] == 2, st


# ---------------------------------------------------------------------------
# item 9: control RPC backpressure

@pytest.mark.timeout(180)
def test_rpc_client_that_never_reads_is_paused(daemon, monkeypatch):
    no_quarantine(monkeypatch)
    d = daemon()
    n = 100000
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.rpc_path)
    stats(d)  # warm up
    rss0 = rss_kb(d.proc.pid)
    lines = b"".join(b'{"id":%d,"method":"stats"}\n' % i
                     for i in range(1, n + 1))
    writer = threading.Thread(target=s.sendall, args=(lines,), daemon=True)
    writer.start()
    # The daemon answers until the unread answers pass the watermark,
    # then stops reading: the writer blocks with most lines unsent.
    def settled():
        before = stats(d)["rpc_requests"]
        time.sleep(0.5)
        return stats(d)["rpc_requests"] <= before + 1  # the stats call

    wait_until(settled, timeout=60, what="the daemon to stop reading")
    grew = rss_kb(d.proc.pid) - rss0
    st = stats(d)  # another control client is served meanwhile
    print("RSS grew by %d kB while the client did not read (%d requests "
          "read)" % (grew, st["rpc_requests"]))
    assert grew < 16 * 1024, "RSS grew by %d kB" % grew
    assert st["rpc_paused"] >= 1 and st["rpc_requests"] < n / 2, st
    # Reading everything: every answer arrives, in order.
    f = s.makefile("rb")
    for i in range(1, n + 1):
        line = f.readline()
        assert line, "closed after %d answers" % (i - 1)
        assert json.loads(line)["id"] == i
    writer.join(10)
    assert not writer.is_alive()
    grew = rss_kb(d.proc.pid) - rss0
    print("RSS grew by %d kB over %d pipelined requests" % (grew, n))
    s.close()
