"""Command-line options seen from outside: --transports, --path,
--origins, --connect-timeout, --max-output, -l unix:PATH, -c FILE, signals,
-h / -V, and a second instance on the same control socket."""

import base64
import json
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from e2e_lib import (RawWs, daemon_command, free_port, session_sids,
                     wait_until)


def handshake(d, eio=4, headers=None):
    return requests.get(
        d.url + "/socket.io/?EIO=%d&transport=polling" % eio,
        headers=headers or {}, timeout=5)


def open_packet(r):
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.text.startswith("0{"), r.text
    return json.loads(r.text[1:].split("\x1e")[0])


def ws_upgrade_status(d, origin=None):
    s = socket.create_connection(d.addr, timeout=5)
    try:
        extra = b"Origin: %s\r\n" % origin.encode() if origin else b""
        s.sendall(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                  b"Host: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                  b"Sec-WebSocket-Version: 13\r\n%s\r\n" % (
                      base64.b64encode(os.urandom(16)), extra))
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return None
            data += chunk
        return int(data.split(b" ")[1])
    finally:
        s.close()


def test_transports_websocket_only(daemon, clients):
    d = daemon("--transports", "websocket")
    r = handshake(d)
    assert r.status_code == 400
    assert r.json() == {"code": 0, "message": "Transport unknown"}
    raw = RawWs(d)
    assert raw.open["upgrades"] == []
    h = clients("v4", d, mode="websocket")
    assert d.rpc().call("emit", event="e", to=h.sid)["recipients"] == 1
    h.wait_event("e")


def test_transports_polling_only(daemon, clients):
    d = daemon("--transports", "polling")
    assert open_packet(handshake(d))["upgrades"] == []
    assert ws_upgrade_status(d) != 101
    # a client allowed both stays on polling
    h = clients("v4", d, mode="polling",
                extra_opts={"transports": ["polling", "websocket"]})
    time.sleep(0.5)
    assert h.transport() == "polling"
    rpc = d.rpc()
    assert rpc.call("session", sid=h.sid)["session"]["transport"] == "polling"
    rpc.call("emit", event="e", to=h.sid)
    h.wait_event("e")


def test_custom_path(daemon, clients):
    d = daemon("--path", "/rt/")
    h = clients("v4", d, mode="upgrade", extra_opts={"path": "/rt/"})
    assert d.rpc().call("emit", event="e", to=h.sid)["recipients"] == 1
    h.wait_event("e")
    assert handshake(d).status_code != 200
    r = requests.get(d.url + "/rt/?EIO=4&transport=polling", timeout=5)
    assert open_packet(r)["sid"]


def test_origins(daemon, clients):
    good = "http://good.example:8080"
    d = daemon("--origins", good + ",https://other.example")
    r = handshake(d, headers={"Origin": good})
    open_packet(r)
    assert r.headers.get("Access-Control-Allow-Origin") == good
    # a foreign page must not get in
    r = handshake(d, headers={"Origin": "http://evil.example"})
    assert r.status_code >= 400 or \
        r.headers.get("Access-Control-Allow-Origin") not in (
            "http://evil.example", "*")
    assert ws_upgrade_status(d, "http://evil.example") != 101
    assert ws_upgrade_status(d, good) == 101
    # non-browser clients send no Origin (over polling: websocket-client
    # sends one of its own, http://127.0.0.1:PORT, which is not allowed)
    open_packet(handshake(d))
    clients("py", d, mode="polling")


def test_connect_timeout(daemon):
    import websocket
    d = daemon("--connect-timeout", "500")
    rpc = d.rpc()
    raw = RawWs(d, connect=False)  # an engine.io session, no namespace
    t0 = time.monotonic()
    with pytest.raises((ConnectionError, websocket.WebSocketException,
                        OSError)):
        for _ in range(50):
            raw.recv_packet(timeout=5)
    assert time.monotonic() - t0 < 4
    raw.close()
    wait_until(lambda: rpc.call("stats")["sessions"] == 0, timeout=5,
               what="the session to go")
    # one that connects in time stays
    ok = RawWs(d)
    time.sleep(1.0)
    assert session_sids(rpc) == [ok.sid]
    ok.close()


@pytest.mark.timeout(90)
def test_slow_reader_is_cut_off(daemon, node):
    d = daemon("--max-output", "262144")
    rpc = d.rpc()
    # a healthy reader (node, counting) and one that never reads
    n = node("v4")
    n.connect_many("ok", 1, d.url, opts={"transports": ["websocket"]})
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.settimeout(5)
    slow.connect(d.addr)
    mask = b"\x00\x00\x00\x00"
    slow.sendall(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                 b"Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
    slow.sendall(b"\x81\x82" + mask + b"40")
    wait_until(lambda: len(session_sids(rpc)) == 2, timeout=5,
               what="both clients to be connected")
    slow_sid = [s for s in rpc.call("sessions")["sessions"]
                if s["remote_port"] == slow.getsockname()[1]][0]["sid"]
    chunk = "x" * 50000
    total = 300  # 15 MB, far past the cap and the kernel's buffers
    ids = [rpc.call_async("emit", event="flood", args=[i, chunk])
           for i in range(total)]
    for i in ids:
        assert "result" in rpc.wait(i, timeout=30)
    wait_until(lambda: slow_sid not in session_sids(rpc), timeout=20,
               what="the slow reader to be disconnected")

    def healthy_count():
        req, mark = n.send("counts", prefix="ok", event="flood")
        return n.wait_for(lambda e: e["ev"] == "counts" and
                          e.get("req") == req, since=mark)["counts"]["ok0"]
    wait_until(lambda: healthy_count() == total, timeout=30, interval=0.3,
               what="the healthy client to get every message")
    slow.close()
    d.assert_alive()


def test_unix_listener(daemon, tmp_path):
    path = str(tmp_path / "http.sock")
    d = daemon("--listen", "unix:" + path)
    wait_until(lambda: os.path.exists(path), timeout=5, what="unix listener")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
              b"Host: localhost\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or b"0{" not in data:
        chunk = s.recv(4096)
        assert chunk, "closed: %r" % data
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 200")
    # the TCP listener works beside it
    open_packet(handshake(d))


def test_config_file(daemon, tmp_path):
    cfg = tmp_path / "socketiod.conf"
    cfg.write_text("# socketiod test config\n"
                   "ping-interval = 1234\n"
                   "\n"
                   "ping-timeout = 2345\n"
                   "max-http-buffer-size = 5555\n")
    d = daemon("-c", str(cfg))
    o = open_packet(handshake(d))
    assert o["pingInterval"] == 1234
    assert o["pingTimeout"] == 2345
    assert o["maxPayload"] == 5555


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_exit_cleanly(daemon, clients, sig):
    d = daemon()
    clients("v4", d)
    clients("py", d, mode="polling")
    problems = d.stop(sig=sig)
    assert problems == []


def test_help_and_version():
    cmd = daemon_command()
    r = subprocess.run(cmd + ["-h"], capture_output=True, timeout=10)
    assert r.returncode == 0
    assert b"--listen" in r.stdout + r.stderr
    r = subprocess.run(cmd + ["-V"], capture_output=True, timeout=10)
    assert r.returncode == 0
    out = r.stdout + r.stderr
    assert b"socketiod" in out and any(c in out for c in b"0123456789")


def test_bad_option_fails(tmp_path):
    r = subprocess.run(daemon_command() + ["--no-such-option"],
                       capture_output=True, timeout=10, cwd=str(tmp_path))
    assert r.returncode != 0
    assert r.stderr


def test_second_instance_leaves_the_first_alone(daemon, tmp_path):
    d = daemon()
    # same control socket, another port: must refuse, not take it over
    cmd = daemon_command() + ["--listen", "127.0.0.1:%d" % free_port(),
                              "--rpc", d.rpc_path]
    for n, attempt in enumerate((cmd, d.command())):  # and the same port
        err = tmp_path / ("second.%d.stderr" % n)
        with open(err, "wb") as f:
            p = subprocess.Popen(attempt, stdout=subprocess.DEVNULL,
                                 stderr=f, cwd=str(tmp_path))
        try:
            rc = p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
            pytest.fail("a second socketiod on the same control socket "
                        "kept running: %s" % " ".join(attempt))
        assert rc != 0, err.read_text()
        assert d.rpc().call("stats")["uptime"] >= 0, \
            "the first daemon lost its control socket"
    d.assert_alive()


def emit_burst(d, sid, count):
    """Emits ("n", k) to one session for k in 0..count-1, all lines in one
    write (so they are queued in one loop turn), and reads the answers."""
    lines = "".join(json.dumps({"id": k, "method": "emit", "params": {
        "event": "n", "args": [k], "to": sid}}) + "\n" for k in range(count))
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(d.rpc_path)
        s.sendall(lines.encode())
        f = s.makefile("rb")
        for _ in range(count):
            assert "result" in json.loads(f.readline())


def test_poll_max_packets_on_the_wire(daemon):
    d = daemon("--poll-max-packets", "4")
    base = d.url + "/socket.io/?EIO=4&transport=polling"
    sid = open_packet(handshake(d))["sid"]
    assert requests.post(base + "&sid=" + sid, data="40", timeout=5).ok
    r = requests.get(base + "&sid=" + sid, timeout=5)
    assert r.text.startswith("40{"), r.text
    emit_burst(d, json.loads(r.text[2:])["sid"], 10)
    sizes = [len(requests.get(base + "&sid=" + sid, timeout=5)
                 .text.split("\x1e")) for _ in range(3)]
    assert sizes == [4, 4, 2]


def test_python_client_polling_gets_a_burst(daemon, clients):
    """python-engineio (Debian's 4.3) drops a polling connection whose
    answer holds more than 16 packets, losing them; by default an answer
    holds at most 16 (--poll-max-packets), so a burst of 200 arrives whole,
    in order, on the first connection."""
    d = daemon()
    a = clients("py", d, mode="polling")
    emit_burst(d, a.sid, 200)
    wait_until(lambda: len(a.events("n")) == 200, timeout=20,
               what="200 events over polling")
    assert [args[0] for args in a.events("n")] == list(range(200))
    assert a.connects == 1
