"""The FastCGI and SCGI responder fronts at the protocol level.

Raw FastCGI clients (bridge_lib.FcgiConn) and cgi-fcgi (libfcgi-bin) check
records, multiplexed long-polls, FCGI_KEEP_CONN, FCGI_ABORT_REQUEST,
FCGI_GET_VALUES, malformed input and peers that vanish; raw SCGI checks the
netstring front. The web servers themselves: test_bridge_servers.py."""
import os
import socket
import struct
import subprocess
import time

import pytest

from bridge_lib import (FCGI_GET_VALUES, FCGI_GET_VALUES_RESULT,
                        FCGI_PARAMS, FCGI_STDIN, FCGI_UNKNOWN_ROLE,
                        FCGI_UNKNOWN_TYPE, FCGI_AUTHORIZER, FcgiConn,
                        eio_open, nv_pairs, parse_nv, record, scgi_call)
from e2e_lib import SANITIZER_MARKS, free_port, read_to_close, wait_until

POLL = "/socket.io/?EIO=4&transport=polling"


def handshake(fc, rid, **kw):
    fc.request(rid, "GET", POLL, **kw)
    status, _, body = fc.response(rid).parsed()
    assert status == 200, body
    return eio_open(body)["sid"]


def cgi_fcgi_handshake(front):
    """An Engine.IO handshake by cgi-fcgi, the reference client from
    libfcgi: (its environment, its run)."""
    env = dict(os.environ, REQUEST_METHOD="GET", REQUEST_URI=POLL,
               QUERY_STRING="EIO=4&transport=polling",
               REMOTE_ADDR="192.0.2.10", SERVER_PROTOCOL="HTTP/1.1")
    return env, subprocess.run(
        ["cgi-fcgi", "-bind", "-connect", "%s:%d" % front.fcgi],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)


def test_cgi_fcgi_handshake(front):
    """cgi-fcgi, the reference client from libfcgi, opens a session."""
    env, out = cgi_fcgi_handshake(front)
    assert out.returncode == 0, out
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"Status: 200"), out.stdout
    sid = eio_open(body)["sid"]
    # cgi-fcgi's POST body travels as FCGI_STDIN.
    env.update(REQUEST_METHOD="POST", REQUEST_URI=POLL + "&sid=" + sid,
               CONTENT_LENGTH="2", CONTENT_TYPE="text/plain")
    out = subprocess.run(
        ["cgi-fcgi", "-bind", "-connect", "%s:%d" % front.fcgi],
        env=env, input=b"40", capture_output=True, timeout=10)
    assert out.stdout.endswith(b"\r\n\r\nok"), out.stdout
    rpc = front.rpc()
    wait_until(lambda: rpc.call("sessions")["sessions"], what="the socket")
    s = rpc.call("sessions")["sessions"]
    assert [x["remote_addr"] for x in s] == ["192.0.2.10"]
    assert s[0]["transport"] == "polling"


def test_get_values(front):
    fc = FcgiConn(front.fcgi)
    fc.send(record(FCGI_GET_VALUES, 0, nv_pairs(
        {"FCGI_MAX_CONNS": "", "FCGI_MAX_REQS": "", "FCGI_MPXS_CONNS": "",
         "SOMETHING_ELSE": ""})))
    fc.wait(lambda: fc.management, what="GET_VALUES_RESULT")
    rtype, content = fc.management[0]
    assert rtype == FCGI_GET_VALUES_RESULT
    v = parse_nv(content)
    assert v["FCGI_MPXS_CONNS"] == "1"
    assert int(v["FCGI_MAX_CONNS"]) > 0 and int(v["FCGI_MAX_REQS"]) > 0
    assert "SOMETHING_ELSE" not in v
    # An unknown management record is answered with FCGI_UNKNOWN_TYPE.
    fc.send(record(FCGI_UNKNOWN_TYPE, 0, b"\0" * 8))
    fc.wait(lambda: len(fc.management) == 2, what="UNKNOWN_TYPE")
    assert fc.management[1][0] == FCGI_UNKNOWN_TYPE
    assert fc.management[1][1][0] == FCGI_UNKNOWN_TYPE
    # The connection still serves requests.
    handshake(fc, 1)
    fc.close()


def test_multiplexed_long_polls(front):
    """Many sessions long-poll at once on one FastCGI connection; a
    broadcast answers every held poll."""
    n = 25
    fc = FcgiConn(front.fcgi)
    sids = [handshake(fc, 1 + i) for i in range(n)]
    # Hold a GET per session, then connect the namespace with a POST on
    # the same connection: each held GET returns the CONNECT packet.
    for i, sid in enumerate(sids):
        fc.request(100 + i, "GET", POLL + "&sid=" + sid)
    time.sleep(0.2)
    assert not any(fc.ended(100 + i) for i in range(n))
    for i, sid in enumerate(sids):
        fc.request(200 + i, "POST", POLL + "&sid=" + sid, body=b"40")
    for i in range(n):
        assert fc.response(200 + i).parsed()[2] == b"ok"
        st, _, body = fc.response(100 + i).parsed()
        assert st == 200 and body.startswith(b"40{"), body
    rpc = front.rpc()
    socks = rpc.call("sessions")["sessions"]
    assert len(socks) == n
    for s in socks:
        rpc.call("join", sid=s["sid"], channel="room")
    for i, sid in enumerate(sids):
        fc.request(300 + i, "GET", POLL + "&sid=" + sid)
    time.sleep(0.2)
    assert not any(fc.ended(300 + i) for i in range(n))
    assert rpc.call("emit", event="news", args=["hi"],
                    channel="room")["recipients"] == n
    for i in range(n):
        st, _, body = fc.response(300 + i).parsed()
        assert body == b'42["news","hi"]', body
    fc.close()


def test_keep_conn(front):
    """Without FCGI_KEEP_CONN the responder closes after the answer; with
    it the connection carries request after request."""
    fc = FcgiConn(front.fcgi)
    fc.request(1, "GET", POLL, keep=False)
    assert fc.response(1).parsed()[0] == 200
    fc.wait_eof()
    fc.close()
    fc = FcgiConn(front.fcgi)
    for rid in (1, 2, 1, 7):  # ids are reused once a request ended
        fc.responses[rid] = None
        handshake(fc, rid)
    assert not fc.eof
    fc.close()


def test_abort_releases_held_poll(front):
    fc = FcgiConn(front.fcgi)
    sid = handshake(fc, 1)
    fc.request(2, "GET", POLL + "&sid=" + sid)
    time.sleep(0.1)
    assert not fc.ended(2)
    fc.abort(2)
    r = fc.response(2)
    assert r.stdout == b"" and r.protocol_status == 0
    # The session lives on and takes the next poll (no "overlapping poll").
    fc.request(3, "GET", POLL + "&sid=" + sid)
    fc.request(4, "POST", POLL + "&sid=" + sid, body=b"40")
    assert fc.response(4).parsed()[2] == b"ok"
    assert fc.response(3).parsed()[2].startswith(b"40{")
    # An abort of a request that is not running is ignored.
    fc.abort(99)
    handshake(fc, 5)
    fc.close()


def test_stdin_body_in_pieces(front):
    fc = FcgiConn(front.fcgi)
    sid = handshake(fc, 1)
    fc.request(2, "POST", POLL + "&sid=" + sid,
               body=b'40\x1e42["a","' + b"x" * 70000 + b'"]',
               stdin_pieces=5)
    assert fc.response(2).parsed()[2] == b"ok"
    fc.close()


def test_body_over_max_is_413(daemon):
    port = free_port()
    d = daemon("--fcgi", "127.0.0.1:%d" % port,
               "--max-http-buffer-size", "1000")
    fc = FcgiConn(("127.0.0.1", port))
    fc.request(1, "POST", POLL, body=b"x" * 2000, stdin_pieces=2)
    assert fc.response(1).parsed()[0] == 413
    fc.close()
    d.assert_alive()


@pytest.mark.parametrize("bad", [
    "version", "stdin-first", "duplicate-begin", "stdout-from-peer",
    "huge-type"])
def test_malformed_records_close_the_connection(front, bad):
    fc = FcgiConn(front.fcgi)
    sid = handshake(fc, 1)
    fc.request(2, "GET", POLL + "&sid=" + sid)  # held
    if bad == "version":
        fc.send(record(FCGI_PARAMS, 3, b"", version=2))
    elif bad == "stdin-first":
        fc.begin(3)
        fc.send(record(FCGI_STDIN, 3, b"x"))
    elif bad == "duplicate-begin":
        fc.begin(2)
    elif bad == "stdout-from-peer":
        fc.send(record(6, 2, b"x"))
    else:
        fc.send(struct.pack(">BBHHBB", 1, 200, 3, 0, 0, 0))
    fc.wait_eof()
    fc.close()
    # The held poll was released: the session polls again elsewhere.
    fc = FcgiConn(front.fcgi)
    fc.request(4, "GET", POLL + "&sid=" + sid)
    fc.request(5, "POST", POLL + "&sid=" + sid, body=b"40")
    assert fc.response(5).parsed()[2] == b"ok"
    assert fc.response(4).parsed()[2].startswith(b"40{")
    fc.close()
    front.assert_alive()


def test_unknown_role_and_bad_params(front):
    fc = FcgiConn(front.fcgi)
    fc.begin(1, role=FCGI_AUTHORIZER)
    r = fc.response(1)
    assert r.protocol_status == FCGI_UNKNOWN_ROLE and r.stdout == b""
    # No REQUEST_METHOD: a 400, and the connection stays.
    fc.begin(2)
    fc.send(record(FCGI_PARAMS, 2, nv_pairs({"REQUEST_URI": POLL})) +
            record(FCGI_PARAMS, 2) + record(FCGI_STDIN, 2))
    assert fc.response(2).parsed()[0] == 400
    # A truncated name-value pair: a 400 too.
    fc.begin(3)
    fc.send(record(FCGI_PARAMS, 3, b"\x7f\x05abc") + record(FCGI_PARAMS, 3) +
            record(FCGI_STDIN, 3))
    assert fc.response(3).parsed()[0] == 400
    handshake(fc, 4)
    # WebSocket cannot go through FastCGI: the upgrade is refused and the
    # client stays on polling.
    fc.request(5, "GET", "/socket.io/?EIO=4&transport=websocket",
               extra={"HTTP_UPGRADE": "websocket",
                      "HTTP_CONNECTION": "Upgrade",
                      "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
                      "HTTP_SEC_WEBSOCKET_VERSION": "13"})
    assert fc.response(5).parsed()[0] == 400
    fc.close()


def test_peer_vanishes_mid_request(front):
    rpc = front.rpc()
    # Half a record, half the params, a held poll: then the socket closes.
    fc = FcgiConn(front.fcgi)
    sid = handshake(fc, 1)
    fc.request(2, "GET", POLL + "&sid=" + sid)
    fc.begin(3)
    fc.send(record(FCGI_PARAMS, 3, nv_pairs({"REQUEST_METHOD": "GET"})))
    fc.send(record(FCGI_PARAMS, 3, b"x" * 100)[:20])
    time.sleep(0.1)
    fc.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                       struct.pack("ii", 1, 0))  # a reset, not a FIN
    fc.close()
    time.sleep(0.2)
    front.assert_alive()
    assert rpc.call("stats")["sessions"] == 1
    fc = FcgiConn(front.fcgi)
    fc.request(4, "GET", POLL + "&sid=" + sid)
    fc.request(5, "POST", POLL + "&sid=" + sid, body=b"40")
    assert fc.response(4).parsed()[2].startswith(b"40{")
    fc.close()


def test_remote_addr_https_and_forwarded_for(daemon):
    port = free_port()
    d = daemon("--fcgi", "127.0.0.1:%d" % port,
               "--trusted-proxies", "10.0.0.0/8")
    rpc = d.rpc()
    fc = FcgiConn(("127.0.0.1", port))
    cases = [
        # (REMOTE_ADDR, X-Forwarded-For, the address the daemon reports)
        ("203.0.113.5", None, "203.0.113.5"),
        ("203.0.113.6", "198.51.100.1", "203.0.113.6"),  # not trusted
        ("10.1.1.1", "198.51.100.2, 10.2.2.2", "198.51.100.2"),
    ]
    for i, (addr, xff, want) in enumerate(cases):
        extra = {"HTTPS": "on"}
        if xff:
            extra["HTTP_X_FORWARDED_FOR"] = xff
        sid = handshake(fc, 10 + i, remote_addr=addr, extra=extra)
        fc.request(20 + i, "POST", POLL + "&sid=" + sid, body=b"40")
        assert fc.response(20 + i).parsed()[2] == b"ok"
        wait_until(lambda: any(s["eio_sid"] == sid for s in
                               rpc.call("sessions")["sessions"]))
        s = [s for s in rpc.call("sessions")["sessions"]
             if s["eio_sid"] == sid][0]
        assert s["remote_addr"] == want, (addr, xff, s)
    fc.close()


def test_inherited_listening_socket_on_fd0(tmp_path):
    """Spawned as mod_fcgid and spawn-fcgi do: the listening socket is fd 0
    and there is no --fcgi and no --listen."""
    from e2e_lib import daemon_command
    path = str(tmp_path / "fcgi.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(16)
    rpc_path = str(tmp_path / "rpc.sock")
    err = open(tmp_path / "fd0.stderr", "wb")
    p = subprocess.Popen(daemon_command() + ["--rpc", rpc_path],
                         stdin=ls.fileno(), stdout=err, stderr=err)
    ls.close()
    try:
        wait_until(lambda: os.path.exists(rpc_path), what="control socket")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        fc = FcgiConn.__new__(FcgiConn)
        fc.sock, fc.buf, fc.responses, fc.management, fc.eof = \
            s, b"", {}, [], False
        handshake(fc, 1)
        fc.close()
        text = (tmp_path / "fd0.stderr").read_text()
        assert "inherited socket" in text, text
        assert "listening on" not in text, text  # no default HTTP port
    finally:
        p.terminate()
        rc = p.wait(10)
        err.close()
    text = (tmp_path / "fd0.stderr").read_text()
    assert rc == 0, text
    assert not any(m in text for m in SANITIZER_MARKS), text


# ---- SCGI ----------------------------------------------------------------

def test_scgi_session(front):
    st, h, body = scgi_call(front.scgi, "GET", POLL,
                            remote_addr="192.0.2.44")
    assert st == 200 and h["content-type"].startswith("text/plain"), body
    sid = eio_open(body)["sid"]
    st, _, body = scgi_call(front.scgi, "POST", POLL + "&sid=" + sid,
                            body=b"40")
    assert body == b"ok"
    st, _, body = scgi_call(front.scgi, "GET", POLL + "&sid=" + sid)
    assert body.startswith(b"40{"), body
    rpc = front.rpc()
    s = rpc.call("sessions")["sessions"]
    assert s[0]["remote_addr"] == "192.0.2.44"


def test_scgi_held_poll_released_when_the_server_goes(front):
    _, _, body = scgi_call(front.scgi, "GET", POLL)
    sid = eio_open(body)["sid"]
    from bridge_lib import scgi_request
    s = socket.create_connection(front.scgi)
    s.sendall(scgi_request("GET", POLL + "&sid=" + sid))
    time.sleep(0.2)
    s.close()  # the web server dropped the client's poll
    time.sleep(0.1)
    st, _, body = scgi_call(front.scgi, "POST", POLL + "&sid=" + sid,
                            body=b"40")
    assert body == b"ok"
    _, _, body = scgi_call(front.scgi, "GET", POLL + "&sid=" + sid)
    assert body.startswith(b"40{"), body


@pytest.mark.parametrize("raw", [
    b"abc:", b"5:xy", b"3:a\0b,", b"07:x,",
    b"19:REQUEST_METHOD\0GET\0,"])
def test_scgi_malformed(front, raw):
    s = socket.create_connection(front.scgi, timeout=5)
    s.sendall(raw)
    if raw == b"5:xy":
        s.shutdown(socket.SHUT_WR)  # a cut-off netstring: just closed
    data = read_to_close(s)
    s.close()
    if raw != b"5:xy":
        assert data.startswith(b"Status: 400"), data
    front.assert_alive()


def test_front_counters_in_stats(front):
    """The responder fronts' counters in the RPC stats move with real
    requests: cgi-fcgi and raw FastCGI, raw SCGI; open connections go
    back to zero when the web server closes them."""
    rpc = front.rpc()
    names = ["fcgi_connections", "fcgi_connections_accepted",
             "fcgi_requests", "fcgi_bad_requests", "fcgi_protocol_errors",
             "fcgi_aborted", "scgi_connections", "scgi_connections_accepted",
             "scgi_requests", "scgi_bad_requests", "scgi_aborted"]

    def stats():
        st = rpc.call("stats")
        return {k: st[k] for k in names}

    assert set(stats().values()) == {0}
    _, out = cgi_fcgi_handshake(front)
    assert out.stdout.startswith(b"Status: 200"), out
    wait_until(lambda: stats()["fcgi_connections"] == 0,
               what="cgi-fcgi's connection closed")
    st = stats()
    assert st["fcgi_connections_accepted"] == 1 and st["fcgi_requests"] == 1

    fc = FcgiConn(front.fcgi)
    sid = handshake(fc, 1)
    fc.begin(2, role=FCGI_AUTHORIZER)
    assert fc.response(2).protocol_status == FCGI_UNKNOWN_ROLE
    fc.begin(3)
    fc.send(record(FCGI_PARAMS, 3, nv_pairs({"REQUEST_URI": POLL})) +
            record(FCGI_PARAMS, 3) + record(FCGI_STDIN, 3))
    assert fc.response(3).parsed()[0] == 400
    fc.request(4, "GET", POLL + "&sid=" + sid)  # held
    time.sleep(0.1)
    st = stats()
    assert st["fcgi_connections"] == 1, st
    assert st["fcgi_connections_accepted"] == 2, st
    assert st["fcgi_requests"] == 3 and st["fcgi_bad_requests"] == 2, st
    fc.abort(4)
    fc.response(4)
    fc.send(record(FCGI_PARAMS, 5, b"", version=2))
    fc.wait_eof()
    fc.close()
    wait_until(lambda: stats()["fcgi_connections"] == 0,
               what="the FastCGI connection closed")
    st = stats()
    assert st["fcgi_protocol_errors"] == 1 and st["fcgi_aborted"] == 1, st

    _, _, body = scgi_call(front.scgi, "GET", POLL)
    sid = eio_open(body)["sid"]
    held = socket.create_connection(front.scgi)
    held.sendall(b"100:CONTENT_LENGTH")  # the rest never comes
    bad = socket.create_connection(front.scgi, timeout=5)
    bad.sendall(b"abc:")
    assert bad.recv(4096).startswith(b"Status: 400")
    bad.close()
    wait_until(lambda: stats()["scgi_connections"] == 1,
               what="only the held SCGI connection open")
    st = stats()
    assert st["scgi_connections_accepted"] == 3, st
    assert st["scgi_requests"] == 1 and st["scgi_bad_requests"] == 1, st
    held.close()
    wait_until(lambda: stats()["scgi_connections"] == 0,
               what="every SCGI connection closed")
    front.assert_alive()


def test_poll_hold_answers_with_noop(daemon):
    """--poll-hold: a held poll comes back with a NOOP after the hold, so a
    web server serving one request at a time (mod_fcgid) is never stuck
    behind it; data that arrives first is answered at once as usual."""
    port = free_port()
    d = daemon("--fcgi", "127.0.0.1:%d" % port, "--poll-hold", "300")
    fc = FcgiConn(("127.0.0.1", port))
    sid = handshake(fc, 1)
    t = time.monotonic()
    fc.request(2, "GET", POLL + "&sid=" + sid)
    assert fc.response(2).parsed()[2] == b"6"
    assert 0.25 < time.monotonic() - t < 3
    fc.request(3, "GET", POLL + "&sid=" + sid)
    fc.request(4, "POST", POLL + "&sid=" + sid, body=b"40")
    assert fc.response(3).parsed()[2].startswith(b"40{")
    fc.close()
    d.assert_alive()
