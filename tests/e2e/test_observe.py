# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Watching the daemon: --admin's /metrics (parsed by prometheus_client),
/healthz and /readyz, sd_notify to a fake NOTIFY_SOCKET, log lines (RFC
3339, --log-format json) and floods summarised to a line a second."""

import json
import os
import re
import socket
import subprocess
import time

import pytest
import requests

from e2e_lib import exchange, free_port, wait_until
from test_ws_conformance import Ws, frame

parser = pytest.importorskip("prometheus_client.parser")

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def rpc(d):
    if getattr(d, "obs_rpc", None) is None:
        d.obs_rpc = d.rpc()
    return d.obs_rpc


def stats(d):
    return rpc(d).call("stats")


def admin_daemon(daemon, *args):
    port = free_port()
    d = daemon("--admin", "127.0.0.1:%d" % port, *args)
    d.admin = "http://127.0.0.1:%d" % port
    return d


def scrape(d):
    r = requests.get(d.admin + "/metrics", timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    fams = {f.name: f for f in parser.text_string_to_metric_families(r.text)}
    return fams, r.text


def sample(fams, name, **labels):
    """The value of a sample by its full name (counters: with _total)."""
    for f in fams.values():
        for s in f.samples:
            if s.name == name and all(s.labels.get(k) == v
                                      for k, v in labels.items()):
                return s.value
    return None


def test_metrics_every_stats_counter_and_moves_with_traffic(daemon):
    d = admin_daemon(daemon)
    fams, text = scrape(d)
    st = stats(d)
    # Every stats number is there, typed, helped, prefixed.
    for name, v in st.items():
        if not isinstance(v, (int, float)):
            continue  # message_log: a path
        total = sample(fams, "socketiod_%s_total" % name)
        plain = sample(fams, "socketiod_%s" % name)
        other = sample(fams, "socketiod_%s_seconds" % name)
        assert (total, plain, other) != (None, None, None), name
    for f in fams.values():
        assert f.name.startswith("socketiod_"), f.name
        assert f.documentation, f.name
        assert f.type in ("counter", "gauge", "histogram"), f.name
        if f.type == "counter":
            assert all(s.name.endswith("_total") for s in f.samples), f.name
    assert fams["socketiod_connections"].type == "gauge"
    assert fams["socketiod_sessions"].type == "gauge"
    assert fams["socketiod_handshakes"].type == "counter"
    for h in ("socketiod_upstream_request_duration_seconds",
              "socketiod_rpc_request_duration_seconds",
              "socketiod_broadcast_fanout"):
        assert fams[h].type == "histogram", h
    before_hs = sample(fams, "socketiod_handshakes_total")

    # Real traffic: two WebSocket clients in a channel, one RPC broadcast.
    ws = []
    for _ in range(2):
        w = Ws(d)
        w.send(frame(1, "40"))
        w.expect_connect_reply()
        ws.append(w)
    r = rpc(d)
    for s in r.call("sessions")["sessions"]:
        r.call("join", sid=s["sid"], channel="room")
    r.call("emit", event="hi", args=[1], channel="room")
    fams, text = scrape(d)
    assert sample(fams, "socketiod_handshakes_total") == before_hs + 2
    assert sample(fams, "socketiod_sessions") == 2
    assert sample(fams, "socketiod_sessions_websocket") == 2
    assert sample(fams, "socketiod_messages_out_total") >= 2
    assert sample(fams, "socketiod_rpc_request_duration_seconds_count",
                  method="emit") == 1
    assert sample(fams, "socketiod_rpc_request_duration_seconds_count",
                  method="join") == 2
    assert sample(fams, "socketiod_broadcast_fanout_count",
                  namespace="/") == 1
    assert sample(fams, "socketiod_broadcast_fanout_sum", namespace="/") == 2
    assert sample(fams, "socketiod_broadcast_fanout_bucket", namespace="/",
                  le="1") == 0
    assert sample(fams, "socketiod_broadcast_fanout_bucket", namespace="/",
                  le="10") == 1
    # The same numbers through the RPC: one table feeds both.
    st = stats(d)
    assert st["handshakes"] == sample(fams, "socketiod_handshakes_total")
    for w in ws:
        w.close()


def test_public_port_never_serves_admin_paths(daemon, tmp_path):
    d = admin_daemon(daemon, "--static", str(tmp_path))
    (tmp_path / "metrics").write_text("not the metrics")
    for path in ("/metrics", "/healthz", "/readyz"):
        assert requests.get(d.admin + path, timeout=5).status_code == 200
        r = requests.get(d.url + path, timeout=5)
        assert "socketiod_" not in r.text and r.text not in ("ok\n",
                                                             "ready\n"), path
    assert requests.get(d.url + "/healthz", timeout=5).status_code == 404
    # Without --admin nothing listens for them at all.
    plain = daemon()
    assert requests.get(plain.url + "/metrics", timeout=5).status_code == 404
    # And the admin port answers nothing else.
    assert requests.get(d.admin + "/socket.io/?EIO=4&transport=polling",
                        timeout=5).status_code == 404
    assert requests.post(d.admin + "/metrics", timeout=5).status_code == 405


def test_admin_on_a_unix_socket(daemon, tmp_path):
    path = str(tmp_path / "admin.sock")
    daemon("--admin", path)
    got = exchange(path, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 5)
    assert got.startswith(b"HTTP/1.1 200 "), got
    assert got.endswith(b"\r\n\r\nok\n"), got


def test_readyz_follows_the_upstream(daemon):
    app = socket.socket()
    app.bind(("127.0.0.1", 0))
    app.listen(16)
    port = app.getsockname()[1]
    d = admin_daemon(daemon, "--upstream",
                     "http://127.0.0.1:%d/events" % port)
    r = requests.get(d.admin + "/readyz", timeout=5)
    assert r.status_code == 200 and r.text == "ready\n", r.text
    app.close()
    r = requests.get(d.admin + "/readyz", timeout=5)
    assert r.status_code == 503, r.text
    assert "upstream unreachable" in r.text, r.text
    # Liveness is not readiness: the loop still turns.
    assert requests.get(d.admin + "/healthz", timeout=5).status_code == 200


def notify_socket(tmp_path):
    path = str(tmp_path / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(10)
    return s, path


def recv_until(s, want, got):
    deadline = time.monotonic() + 10
    while not any(want in m for m in got):
        s.settimeout(max(0.01, deadline - time.monotonic()))
        got.append(s.recv(4096).decode())
    return got


def test_sd_notify_ready_watchdog_stopping(daemon, tmp_path, monkeypatch):
    s, path = notify_socket(tmp_path)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "200000")
    d = daemon()
    got = recv_until(s, "READY=1", [])
    ready = [m for m in got if "READY=1" in m][0]
    assert "STATUS=" in ready
    # READY came after listening: the port answers (daemon() waited too,
    # but READY is the first message and nothing else precedes it).
    assert got[0] == ready, got
    t0 = time.monotonic()
    dogs = 0
    while time.monotonic() - t0 < 1.0:
        m = s.recv(4096).decode()
        dogs += m.startswith("WATCHDOG=1\n")
        if dogs:
            # with the live counts for `systemctl status`
            assert re.match(r"WATCHDOG=1\nSTATUS=\d+ connections, "
                            r"\d+ sessions, \d+ sockets$", m), m
    # Every 100 ms (half of WATCHDOG_USEC): about 10 in a second.
    assert 5 <= dogs <= 15, dogs
    assert d.stop() == []  # SIGTERM; the datagrams wait in the socket
    got = recv_until(s, "STOPPING=1", [])
    assert any("STOPPING=1" in m and "STATUS=" in m for m in got), got
    s.close()


def test_ready_only_once_everything_answers(tmp_path):
    """READY=1 means listening: at the moment it arrives the public port,
    the admin port and the control socket all accept, with no retry."""
    import subprocess
    from e2e_lib import Daemon
    s, path = notify_socket(tmp_path)
    admin = free_port()
    d = Daemon(tmp_path, ["--admin", "127.0.0.1:%d" % admin])
    env = dict(os.environ, NOTIFY_SOCKET=path)
    proc = subprocess.Popen(d.command(), env=env, stdin=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=str(tmp_path))
    try:
        recv_until(s, "READY=1", [])
        socket.create_connection(d.addr, timeout=2).close()
        socket.create_connection(("127.0.0.1", admin), timeout=2).close()
        c = socket.socket(socket.AF_UNIX)
        c.connect(d.rpc_path)
        c.close()
        r = requests.get("http://127.0.0.1:%d/readyz" % admin, timeout=5)
        assert r.status_code == 200, r.text
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
        s.close()


def test_no_watchdog_without_watchdog_usec(daemon, tmp_path, monkeypatch):
    s, path = notify_socket(tmp_path)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    daemon()
    recv_until(s, "READY=1", [])
    s.settimeout(0.5)
    with pytest.raises(socket.timeout):
        s.recv(4096)
    s.close()


def test_log_lines_have_rfc3339_time_and_level(daemon):
    d = daemon("-v")
    stats(d)
    lines = [l for l in d.stderr().splitlines()
             if not l.startswith("socketiod: ")]
    assert lines, d.stderr()
    for l in lines:
        stamp, level = l.split(" ")[:2]
        assert RFC3339.match(stamp), l
        assert level in ("warn", "info", "debug", "trace"), l


def json_lines(d):
    out = []
    for l in d.stderr().splitlines():
        if l.startswith("{"):
            out.append(json.loads(l))
    return out


def test_json_log_has_no_plain_line(daemon, tmp_path):
    """A log collector fed --log-format json gets JSON from the first line:
    what listens where, and a start-up failure too."""
    d = daemon("--log-format", "json", "-v")
    stats(d)
    lines = d.stderr().splitlines()
    assert lines and all(l.startswith("{") for l in lines), lines
    notices = [j["msg"] for j in json_lines(d) if j["level"] == "notice"]
    assert any(m.startswith("listening on 127.0.0.1:") for m in notices), \
        notices
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    with busy:
        p = subprocess.run(
            [os.environ["SOCKETIOD"], "--log-format", "json", "--listen",
             "127.0.0.1:%d" % busy.getsockname()[1],
             "--rpc", str(tmp_path / "s.sock")],
            capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, p.stderr
    last = json.loads(p.stderr.splitlines()[-1])
    assert last["level"] == "fatal" and "--listen" in last["msg"], last


def test_refused_connection_flood_is_summarised(daemon):
    d = daemon("--log-format", "json", "--max-connections-per-ip", "1")
    wait_until(lambda: stats(d)["connections"] == 0, what="probe gone")
    held = socket.create_connection(d.addr, timeout=5)
    wait_until(lambda: stats(d)["connections"] == 1, what="1 open")
    t0 = time.monotonic()
    for _ in range(5000):
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        c.connect(d.addr)
        c.close()
    wait_until(lambda: stats(d)["connections_refused"] == 5000,
               what="5000 refused")
    spent = time.monotonic() - t0
    time.sleep(1.2)  # the last second's summary
    held.close()
    lines = [j for j in json_lines(d)
             if "over --max-connections-per-ip" in j["msg"]]
    # A line a second at most, and together they count every refusal.
    assert 1 <= len(lines) <= spent + 3, lines
    assert sum(j["count"] for j in lines) == 5000, lines
    for j in json_lines(d):
        assert RFC3339.match(j["time"]) and \
            j["level"] in ("warn", "info", "notice"), j
    assert lines[0]["peer"] == "127.0.0.1", lines[0]


def test_rate_limited_events_are_summarised(daemon):
    d = daemon("--max-event-rate", "10", "--event-burst", "10")
    w = Ws(d)
    w.send(frame(1, "40"))
    w.expect_connect_reply()
    w.send(b"".join(frame(1, '42["ev",%d]' % i) for i in range(2000)))
    wait_until(lambda: stats(d)["events_rate_limited"] >= 1900,
               what="rate limited")
    time.sleep(1.2)
    lines = [l for l in d.stderr().splitlines()
             if "client events over --max-event-rate" in l]
    assert 1 <= len(lines) <= 4, lines
    assert " warn socketiod: " in lines[0] and " sid=" in lines[0], lines
    counted = 0
    for l in lines:
        m = re.search(r": (\d+) in the last", l)
        counted += int(m.group(1)) if m else 1
    assert counted == stats(d)["events_rate_limited"], lines
    w.close()


def test_output_overflow_is_logged(daemon):
    d = daemon("--max-output", "65536")
    w = Ws(d)
    w.send(frame(1, "40"))
    w.expect_connect_reply()
    w.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    big = "y" * 100000
    r = rpc(d)
    for _ in range(100):
        if r.call("emit", event="big", args=[big])["recipients"] == 0:
            break
    wait_until(lambda: stats(d)["output_overflows"] == 1, what="overflow")
    lines = [l for l in d.stderr().splitlines()
             if "queued output over --max-output" in l]
    assert len(lines) == 1 and " warn " in lines[0], d.stderr()
    assert "peer=127.0.0.1" in lines[0], lines
    w.close()


def test_unit_is_notify_and_sandboxed(tmp_path):
    """The shipped unit: Type=notify with a watchdog, and systemd's own
    offline review of its sandboxing (no systemd runs in the test
    container, so the unit itself is not started here)."""
    import shutil
    import subprocess
    if shutil.which("systemd-analyze") is None:
        pytest.skip("no systemd-analyze")
    src = os.path.join(os.environ.get("SOCKETIOD_SRCDIR", "."),
                       "etc/systemd/socketiod.service")
    text = open(src).read()
    for line in ("Type=notify", "WatchdogSec=", "ProtectSystem=strict",
                 "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                 "RuntimeDirectory=socketiod", "StateDirectory=socketiod"):
        assert "\n" + line in text, line
    unit = tmp_path / "socketiod.service"
    unit.write_text(text.replace("/usr/local/bin/socketiod",
                                 os.environ.get("SOCKETIOD", "/bin/true")))
    # --man=no: the unit names man:socketiod(8), not installed here
    v = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                       capture_output=True, text=True, timeout=60)
    assert v.returncode == 0 and "socketiod.service" not in v.stderr, v.stderr
    s = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        str(unit)], capture_output=True, text=True,
                       timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([\d.]+)", s.stdout)
    assert m and float(m.group(1)) <= 2.0, s.stdout[-2000:]


def test_refused_handshakes_are_summarised(daemon):
    d = daemon("--log-format", "json", "--max-sessions-per-ip", "1")
    s = requests.Session()
    url = d.url + "/socket.io/?EIO=4&transport=polling"
    assert s.get(url, timeout=5).status_code == 200
    for _ in range(300):
        assert s.get(url, timeout=5).status_code == 503
    time.sleep(1.2)
    lines = [j for j in json_lines(d)
             if "over --max-sessions-per-ip" in j["msg"]]
    assert 1 <= len(lines) <= 6, lines
    assert sum(j["count"] for j in lines) == 300, lines
    assert stats(d)["sessions_refused"] == 300
