"""The options table seen from outside (issue 16, items 1 and 4): strict
values on the command line and in a config file, errors that name the
option (and file:line), port 0, the generated reference in
docs/configuration.md, and SIGHUP reading the config file again without
dropping a connection."""

import os
import re
import signal
import socket
import subprocess
import time

import requests

from e2e_lib import daemon_command, free_port, session_sids, wait_until
from test_limits import acks, stats, ws_client
from test_ws_conformance import frame

SRCDIR = os.environ.get("SOCKETIOD_SRCDIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))


def run(args, tmp_path, timeout=10):
    return subprocess.run(daemon_command() + args, capture_output=True,
                          timeout=timeout, cwd=str(tmp_path))


def refused(args, tmp_path):
    """stderr of a daemon that must refuse to start with `args`."""
    r = run(args + ["--rpc", str(tmp_path / "x.sock")], tmp_path)
    assert r.returncode == 2, (args, r.returncode, r.stderr)
    return r.stderr.decode()


def relayed(d):
    """True when a client event reaches another socket of its channel."""
    a, b = ws_client(d), ws_client(d)
    for w in (a, b):
        w.send(frame(1, '421["subscribe","r"]'))
        assert acks(w, 1) == [1]
    a.send(frame(1, '42["x",1]'))
    try:
        op, fin, p = b.recv_frame(1.0)
    except AssertionError:
        return False
    assert p == b'42["x",1]', p
    return True


def test_config_file_relay_false_is_off(daemon, tmp_path):
    # Before the table, any value but "no" turned relay on.
    on, off = tmp_path / "on.conf", tmp_path / "off.conf"
    on.write_text("relay = yes\n")
    off.write_text("relay = false\n")
    assert relayed(daemon("-c", str(on)))
    assert not relayed(daemon("-c", str(off)))
    assert relayed(daemon("--relay"))
    assert not relayed(daemon("--relay=off"))


def test_bool_values_are_strict(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("# comment\nrelay = maybe\n")
    err = refused(["-c", str(conf)], tmp_path)
    assert "%s:2:" % conf in err and "--relay" in err and "maybe" in err
    err = refused(["--private-channels=yess"], tmp_path)
    assert "--private-channels" in err


def test_listen_port_out_of_range_is_an_error(tmp_path):
    # Before the table this silently listened on port 99999 - 65536.
    err = refused(["--listen", "127.0.0.1:99999"], tmp_path)
    assert "--listen" in err and "99999" in err
    for bad in ("127.0.0.1:", "127.0.0.1:-1", "127.0.0.1:80x", "nohost",
                "[::1]:70000"):
        assert "--listen" in refused(["--listen", bad], tmp_path), bad


def test_numbers_are_range_checked_and_named(tmp_path):
    for args, name in ((["--ping-interval", "0"], "--ping-interval"),
                       (["--max-event-rate", "-1"], "--max-event-rate"),
                       (["--max-output", "1e6"], "--max-output"),
                       (["--upstream-retries", "11"], "--upstream-retries"),
                       (["--event-rate-action", "kick"],
                        "--event-rate-action")):
        assert name in refused(args, tmp_path), args
    conf = tmp_path / "n.conf"
    conf.write_text("max-channels = 10\nmax-header-size = 12\n")
    err = refused(["-c", str(conf)], tmp_path)
    assert "%s:2:" % conf in err and "--max-header-size" in err
    conf.write_text("no-such-thing = 1\n")
    assert "%s:1:" % conf in refused(["-c", str(conf)], tmp_path)


def test_sizes_and_durations_take_units(daemon):
    d = daemon("--ping-interval", "2s", "--max-http-buffer-size", "64k")
    o = requests.get(d.url + "/socket.io/?EIO=4&transport=polling",
                     timeout=5).text
    assert '"pingInterval":2000' in o and '"maxPayload":65536' in o, o


def test_port_zero_logs_the_port_bound(tmp_path):
    err = tmp_path / "err"
    with open(err, "wb") as f:
        p = subprocess.Popen(daemon_command() + [
            "--listen", "127.0.0.1:0", "--rpc", str(tmp_path / "c.sock")],
            stdout=subprocess.DEVNULL, stderr=f, cwd=str(tmp_path))
    try:
        m = wait_until(lambda: re.search(r"listening on 127\.0\.0\.1:(\d+)",
                                         err.read_text()),
                       timeout=10, what="the listening line")
        port = int(m.group(1))
        assert port != 0
        r = requests.get("http://127.0.0.1:%d/socket.io/?EIO=4&transport="
                         "polling" % port, timeout=5)
        assert r.text.startswith("0{"), r.text
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0, err.read_text()


def test_generated_reference_is_committed(tmp_path):
    """docs/configuration.md's option list is what the table prints: edit
    sidecar/options.c, then scripts/gen-options.sh."""
    r = run(["--print-options=md"], tmp_path)
    assert r.returncode == 0, r.stderr
    doc = open(os.path.join(SRCDIR, "docs", "configuration.md")).read()
    m = re.search(r"<!-- options: begin.*?-->\n(.*)<!-- options: end -->",
                  doc, re.S)
    assert m, "docs/configuration.md has no generated options section"
    assert m.group(1) == r.stdout.decode(), \
        "docs/configuration.md is stale: run scripts/gen-options.sh"
    helptext = run(["--help"], tmp_path).stdout.decode()
    for name in re.findall(r"^\| `([a-z-]+)`", r.stdout.decode(), re.M):
        assert "--" + name in helptext, name
        assert "\\-\\-" + name.replace("-", "\\-") in run(
            ["--print-options=man"], tmp_path).stdout.decode(), name


def origin_ok(d, origin):
    r = requests.get(d.url + "/socket.io/?EIO=4&transport=polling",
                     headers={"Origin": origin}, timeout=5)
    return r.status_code == 200 and \
        r.headers.get("Access-Control-Allow-Origin") == origin


def test_sighup_reloads_without_dropping(daemon, clients, tmp_path):
    conf = tmp_path / "socketiod.conf"
    p2, p3 = free_port(), free_port()

    def write(rate, origins, verbose, listen):
        conf.write_text("max-event-rate = %d\norigins = %s\nverbose = %d\n"
                        "listen = 127.0.0.1:%d\nping-interval = 25000\n"
                        % (rate, origins, verbose, listen))

    write(1000, "http://a.example", 0, p2)
    d = daemon("-c", str(conf))
    rpc = d.rpc()
    py = clients("py", d, mode="polling")
    node = clients("v4", d)
    w = ws_client(d)
    sids = set(session_sids(rpc))
    assert len(sids) == 3
    assert origin_ok(d, "http://a.example")
    assert not origin_ok(d, "http://b.example")
    w.send(b"".join(frame(1, '42%d["subscribe","r"]' % i) for i in range(20)))
    assert len(acks(w, 20)) == 20
    quiet = len(d.stderr())
    requests.get(d.url + "/nothing", timeout=5)
    time.sleep(0.3)
    assert "conn " not in d.stderr()[quiet:]

    write(5, "http://a.example,http://b.example", 2, p3)
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "settings read again" in d.stderr(), timeout=10,
               what="the reload")
    log = d.stderr()
    assert re.search(r"max-event-rate is now '5'", log), log
    assert re.search(r"listen changed .*needs a restart", log), log
    d.assert_alive()

    # every client is still there and still served
    assert set(session_sids(rpc)) == sids
    rpc.call("emit", event="after", to=py.sid)
    rpc.call("emit", event="after", to=node.sid)
    py.wait_event("after")
    node.wait_event("after")
    # the new values apply
    assert origin_ok(d, "http://b.example")
    before = stats(d)["events_rate_limited"]
    w.send(b"".join(frame(1, '42%d["subscribe","r"]' % i)
                    for i in range(100, 120)))
    got = acks(w, 20, timeout=1.5)
    assert 5 <= len(got) < 12, got
    assert stats(d)["events_rate_limited"] > before
    quiet = len(d.stderr())
    requests.get(d.url + "/nothing", timeout=5)
    wait_until(lambda: "conn " in d.stderr()[quiet:], timeout=5,
               what="-vv lines after the reload")
    # the listeners did not move
    with socket.create_connection(("127.0.0.1", p2), timeout=5):
        pass
    try:
        socket.create_connection(("127.0.0.1", p3), timeout=1).close()
        assert False, "listened on the new address without a restart"
    except OSError:
        pass


def test_sighup_with_a_broken_file_changes_nothing(daemon, tmp_path):
    conf = tmp_path / "socketiod.conf"
    conf.write_text("max-event-rate = 1000\n")
    d = daemon("-c", str(conf))
    w = ws_client(d)
    conf.write_text("max-event-rate = 5\nrelay = maybe\n")
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "unchanged" in d.stderr(), timeout=10,
               what="the refused reload")
    assert "%s:2:" % conf in d.stderr()
    w.send(b"".join(frame(1, '42%d["subscribe","r"]' % i) for i in range(20)))
    assert len(acks(w, 20)) == 20
    d.assert_alive()


def test_sighup_applies_upstream_timeout(daemon, clients, tmp_path):
    from test_upstream import SECRET, App
    app = App("http", tmp_path)
    try:
        secret = tmp_path / "upstream.secret"
        secret.write_text(SECRET + "\n")
        conf = tmp_path / "socketiod.conf"
        conf.write_text("upstream = %s\nupstream-secret = %s\n"
                        "upstream-timeout = 5s\n" % (app.url, secret))
        d = daemon("-c", str(conf))
        a = clients("v4", d)

        def slow():
            req, mark = a.node.send("emit", cid=a.cid, event="slow",
                                    args=[1.5], ack=True, timeout=10000)
            return a.node.wait_for(
                lambda e: e.get("req") == req and e["ev"] == "ack",
                since=mark, timeout=10, what="the slow ack")["args"]

        assert slow() == ["late"]
        conf.write_text(conf.read_text().replace("5s", "500ms"))
        d.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "upstream-timeout is now '500'" in d.stderr(),
                   timeout=10, what="the reload")
        assert slow() == [{"error": "upstream_timeout"}]
        assert a.emit("echo", 1, ack=True) == [1]
        assert d.rpc().call("stats")["upstream_timeouts"] == 1
    finally:
        app.stop()
