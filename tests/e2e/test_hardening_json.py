"""Hardening 2 (issue 14), items 10, 12, 13 and 14: only strict JSON
reaches clients; the message log's cap and escapes; Origins same-origin by
default; the control socket in a private directory."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from e2e_lib import (REPO, SANITIZER_MARKS, RawWs, daemon_command, free_port,
                     wait_until)

# Text cJSON takes and browsers' JSON.parse refuses, as an event's data.
LENIENT = [
    b'["chat","a\x01b"]',           # a raw control character in a string
    b'["chat","\x1b[2J\x07"]',      # terminal escapes, raw
    b'["chat","x"]junk',            # bytes after the value
    b'["chat",01]',                 # a leading zero
    b'["chat",1.]',                 # a number cut short
    b'["chat",-.5]',
]


def raw_subscribed(d, channel):
    """A RawWs socket subscribed to `channel` (through the ack'd event)."""
    w = RawWs(d)
    w.ws.send('421["subscribe",%s]' % json.dumps(channel))
    pkt = w.recv_packet()
    assert pkt.startswith("31["), pkt
    return w


def closed_by_server(w, timeout=5.0):
    """True when the server ends the raw session (close frame, Engine.IO
    close or the TCP connection)."""
    try:
        while True:
            w.recv_packet(timeout)
    except (ConnectionError, OSError):
        return True
    except AssertionError:
        return False
    except Exception:  # websocket-client's own "connection closed"
        return True


def test_relay_forwards_only_strict_json(daemon, clients):
    d = daemon("--relay")
    rpc = d.rpc()
    ws = clients("v4", d, mode="websocket")
    poll = clients("v4", d, mode="polling")
    for h in (ws, poll):
        assert h.subscribe("room") == [None, "room"]
    for bad in LENIENT:
        w = raw_subscribed(d, "room")
        w.ws.send((b"42" + bad).decode())
        # as Node socket.io does with a packet it cannot parse: the
        # sender's connection is closed, nothing is relayed
        assert closed_by_server(w), bad
        w.close()
        good = raw_subscribed(d, "room")
        good.ws.send('42["chat","after %s"]' % bad.hex())
        for h in (ws, poll):
            h.wait_event("chat", pred=lambda a, b=bad: a == ["after " +
                                                            b.hex()])
        good.close()
    # the receivers never saw the bad packets and never dropped
    for h in (ws, poll):
        assert [a for a in h.events("chat")] == [
            ["after " + b.hex()] for b in LENIENT]
        assert h.node.find(lambda e: e.get("cid") == h.cid and
                           e.get("ev") == "disconnect") == []
        assert h.state()["connected"]
    stats = rpc.call("stats")
    assert stats["sio_invalid_json"] == len(LENIENT)
    assert stats["sio_protocol_errors"] >= len(LENIENT)


def test_invalid_utf8_by_polling_is_not_relayed(daemon, clients):
    """A polling body is not checked as UTF-8 by a WebSocket layer: relayed
    to a WebSocket receiver as a text frame, invalid UTF-8 fails the
    receiver's connection (RFC 6455 8.1)."""
    import requests
    d = daemon("--relay")
    ws = clients("v4", d, mode="websocket")
    assert ws.subscribe("room") == [None, "room"]
    base = d.url + "/socket.io/?EIO=4&transport=polling"
    r = requests.get(base, timeout=5)
    sid = json.loads(r.text[1:])["sid"]
    url = base + "&sid=" + sid
    requests.post(url, data=b"40", timeout=5)
    assert requests.get(url, timeout=5).text.startswith("40")
    requests.post(url, data=b'421["subscribe","room"]', timeout=5)
    assert requests.get(url, timeout=5).text.startswith("431")
    requests.post(url, data=b'42["chat","\xff\xfe"]', timeout=5)
    wait_until(lambda: d.rpc().call("stats")["sio_invalid_json"] == 1,
               what="the packet refused")
    d.rpc().call("emit", event="chat", args=["next"], channel="room")
    assert ws.wait_event("chat") == ["next"]
    assert ws.events("chat") == [["next"]]
    assert ws.state()["connected"]


@pytest.mark.parametrize("line", [
    b'{"id":1,"method":"emit","params":{"event":"chat","args":[01]}}',
    b'{"id":1,"method":"send","params":{"message":"\x1b]0;pwn\x07"}}',
    b'{"id":1,"method":"emit","params":{"event":"chat","args":[1]}} x',
])
def test_rpc_refuses_what_is_not_strict_json(daemon, clients, line):
    d = daemon()
    h = clients("v4", d)
    rpc = d.rpc()
    rpc.send_raw(line + b"\n")
    resp = rpc.wait_unmatched(lambda m: "error" in m)
    assert resp["error"]["code"] == -32700
    assert "strict JSON" in resp["error"]["message"]
    # the connection is still usable, and nothing reached the client
    assert rpc.call("emit", event="chat", args=["ok"])["recipients"] == 1
    assert h.wait_event("chat") == ["ok"]
    assert h.events("chat") == [["ok"]]


# ---------------------------------------------------------------------------
# item 13: Origins, same-origin by default

def poll_handshake(d, origin=None, host=None, extra=None):
    import requests
    headers = dict(extra or {})
    if origin:
        headers["Origin"] = origin
    if host:
        headers["Host"] = host
    return requests.get(d.url + "/socket.io/?EIO=4&transport=polling",
                        headers=headers, timeout=5)


def ws_handshake(d, origin=None, host=None, extra=b""):
    """The status of a WebSocket handshake (101 when it is let in)."""
    import base64
    import os
    s = socket.create_connection(d.addr, timeout=5)
    try:
        host = (host or "%s:%d" % d.addr).encode()
        o = b"Origin: %s\r\n" % origin.encode() if origin else b""
        s.sendall(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                  b"Host: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                  b"%s%s\r\n" % (host, base64.b64encode(os.urandom(16)), o,
                                 extra))
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return None
            data += chunk
        return int(data.split(b" ")[1])
    finally:
        s.close()


EVIL = "http://evil.example"


def test_cross_site_origin_refused_by_default(daemon, clients):
    d = daemon()
    own = "http://%s:%d" % d.addr
    # another site's page: no session, no CORS grant, no WebSocket
    r = poll_handshake(d, EVIL)
    assert r.status_code == 403
    assert "Access-Control-Allow-Origin" not in r.headers
    assert ws_handshake(d, EVIL) == 403
    # nor another port of the same host (the app's dev server is one)
    assert poll_handshake(d, "http://%s:1" % d.host).status_code == 403
    # the daemon's own pages: let in
    r = poll_handshake(d, own)
    assert r.status_code == 200 and r.text.startswith("0{")
    assert r.headers["Access-Control-Allow-Origin"] == own
    assert ws_handshake(d, own) == 101
    assert ws_handshake(d, "https://site.example",
                        host="site.example") == 101
    # without Origin (python-socketio, node socket.io-client): let in
    assert poll_handshake(d).status_code == 200
    assert ws_handshake(d) == 101
    clients("py", d, mode="polling")
    clients("v4", d, mode="upgrade")
    assert d.rpc().call("stats")["origins_refused"] == 3


def test_origins_option_widens(daemon):
    page = "http://127.0.0.1:8000"
    d = daemon("--origins", page)
    assert poll_handshake(d, page).status_code == 200
    assert ws_handshake(d, page) == 101
    assert poll_handshake(d, EVIL).status_code == 403
    assert ws_handshake(d, EVIL) == 403
    own = "http://%s:%d" % d.addr
    assert ws_handshake(d, own) == 101  # its own site still
    anyone = daemon("--origins", "*")
    r = poll_handshake(anyone, EVIL)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == EVIL
    assert ws_handshake(anyone, EVIL) == 101


def test_forwarded_host_only_from_trusted_proxies(daemon):
    site = "https://chat.example"
    fwd = b"X-Forwarded-Host: chat.example\r\n"
    plain = daemon()
    # anyone may send the header: believed only from a trusted proxy
    assert ws_handshake(plain, site, extra=fwd) == 403
    assert poll_handshake(plain, site, extra={
        "X-Forwarded-Host": "chat.example"}).status_code == 403
    proxied = daemon("--trusted-proxies", "127.0.0.1")
    assert ws_handshake(proxied, site, extra=fwd) == 101
    assert poll_handshake(proxied, site, extra={
        "X-Forwarded-Host": "chat.example, inner.example"}).status_code == 200
    assert ws_handshake(proxied, EVIL, extra=fwd) == 403


# ---------------------------------------------------------------------------
# item 14: the control socket in a private directory

UID, GID = 54321, 54322  # an unprivileged identity that exists nowhere
needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="switching users needs root")


def as_user(uid, gid):
    def switch():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return switch


def run_daemon(tmp_path, args, env=None, user=None, name="d"):
    """socketiod with `args` (and a free --listen port), as `user` (uid,
    gid). Returns the Popen, its stderr file, and a stop() that checks a
    clean exit."""
    cmd = daemon_command() + ["--listen", "127.0.0.1:%d" % free_port()]
    err = open(tmp_path / ("%s.stderr" % name), "wb+")
    e = dict(os.environ)
    e.pop("XDG_RUNTIME_DIR", None)
    e.update(env or {})
    p = subprocess.Popen(cmd + list(args), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=err, env=e,
                         cwd="/", preexec_fn=as_user(*user) if user else None)

    def stop():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        text = (tmp_path / ("%s.stderr" % name)).read_text(errors="replace")
        assert p.returncode == 0, text
        for mark in SANITIZER_MARKS:
            assert mark not in text, text
        return text
    return p, tmp_path / ("%s.stderr" % name), stop


def connectable(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def refused_at_start(tmp_path, args, name):
    p, err, _ = run_daemon(tmp_path, args, name=name)
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)
        raise AssertionError("the daemon started: %s" % err.read_text())
    assert rc != 0
    return err.read_text(errors="replace")


def test_control_socket_directory_must_be_private(tmp_path):
    # a directory anyone may write (like /tmp): another user could bind
    # the name first, so the daemon will not start there
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    text = refused_at_start(tmp_path, ["--rpc", str(shared / "s.sock")],
                            "shared")
    assert "writable by other users" in text, text
    os.chmod(shared, 0o775)  # group-writable: the group's users as well
    text = refused_at_start(tmp_path, ["--rpc", str(shared / "s.sock")],
                            "group")
    assert "writable by other users" in text, text
    if os.geteuid() == 0:
        theirs = tmp_path / "theirs"
        theirs.mkdir(mode=0o700)
        os.chown(theirs, UID, GID)
        text = refused_at_start(tmp_path, ["--rpc", str(theirs / "s.sock")],
                                "theirs")
        assert "belongs to uid %d" % UID in text, text
    # a missing directory is made, for the daemon's user alone
    mine = tmp_path / "run" / "socketiod"
    (tmp_path / "run").mkdir(mode=0o755)
    path = str(mine / "s.sock")
    p, err, stop = run_daemon(tmp_path, ["--rpc", path], name="mine")
    wait_until(lambda: connectable(path) or p.poll() is not None,
               what="the control socket")
    assert connectable(path), err.read_text()
    assert os.stat(mine).st_mode & 0o777 == 0o700
    stop()


@needs_root
def test_default_control_socket_is_private(tmp_path):
    """Another local user held the old default /tmp/socketiod.sock: the
    daemon refused to start ("in use by another running daemon") and apps
    would have sent their emits to the squatter. The default is now in a
    directory of the daemon's user."""
    squat_path = "/tmp/socketiod.sock"
    squat = None
    if not os.path.exists(squat_path):
        squat = socket.socket(socket.AF_UNIX)
        squat.bind(squat_path)
        os.chmod(squat_path, 0o666)
        squat.listen(8)
    own = "/tmp/socketiod-%d" % UID
    shutil.rmtree(own, ignore_errors=True)
    # pytest's directories are root's alone; uid 54321 needs a way in
    outer = tempfile.mkdtemp(prefix="siod-xdg-")
    os.chmod(outer, 0o755)
    xdg = Path(outer) / "xdg"
    xdg.mkdir(mode=0o700)
    os.chown(xdg, UID, GID)
    try:
        # without XDG_RUNTIME_DIR: /tmp/socketiod-<uid>/, made 0700
        p, err, stop = run_daemon(tmp_path, [], user=(UID, GID), name="tmp")
        path = own + "/socketiod.sock"
        wait_until(lambda: os.path.exists(path) or p.poll() is not None,
                   what="the default control socket")
        assert p.poll() is None, err.read_text()
        st = os.stat(own)
        assert (st.st_uid, st.st_mode & 0o777) == (UID, 0o700)
        # socketioctl finds it without -s
        out = subprocess.run(
            [os.environ.get("SOCKETIOCTL", str(REPO / "build" /
                                                "socketioctl")),
             "--json", "stats"],
            env={k: v for k, v in os.environ.items()
                 if k not in ("XDG_RUNTIME_DIR", "SOCKETIOD_RPC")},
            preexec_fn=as_user(UID, GID), capture_output=True, timeout=20)
        assert out.returncode == 0, out
        assert "uptime" in json.loads(out.stdout)
        stop()
        # with XDG_RUNTIME_DIR: $XDG_RUNTIME_DIR/socketiod/
        p, err, stop = run_daemon(tmp_path, [], user=(UID, GID),
                                  env={"XDG_RUNTIME_DIR": str(xdg)},
                                  name="xdg")
        path = str(xdg / "socketiod" / "socketiod.sock")
        wait_until(lambda: os.path.exists(path) or p.poll() is not None,
                   what="the XDG control socket")
        assert p.poll() is None, err.read_text()
        assert os.stat(xdg / "socketiod").st_mode & 0o777 == 0o700
        stop()
    finally:
        shutil.rmtree(own, ignore_errors=True)
        shutil.rmtree(outer, ignore_errors=True)
        if squat is not None:
            squat.close()
            os.unlink(squat_path)


# ---------------------------------------------------------------------------
# item 12: the message log, its readers' terminals and its size

LOGFMT = "%(CHANNEL)s %(EVENT)s %(MESSAGE)s"
EVIL_CHANNEL = "\x1b]0;pwned\x07\x1b[2J"


def socketioctl_log(d, *args, db="log.sqlite3"):
    exe = os.environ.get("SOCKETIOCTL") or str(
        Path(daemon_command()[0]).with_name("socketioctl"))
    out = subprocess.run([exe, "log", "--db", str(d.workdir / db), *args],
                         capture_output=True, timeout=20)
    assert out.returncode == 0, out
    return out.stdout


def wait_logged(d, n):
    rpc = d.rpc()
    wait_until(lambda: rpc.call("stats")["messages_logged"] >= n,
               what="%d rows logged" % n)


def test_log_output_escapes_terminal_controls(daemon):
    d = daemon("--message-log-format", LOGFMT, "--message-log", "log.sqlite3")
    w = raw_subscribed(d, EVIL_CHANNEL)
    w.ws.send('42["\\u001b[31mred\\u0007",{"t":"\\u009b2J"}]')
    d.rpc().call("emit", event="news", args=["x"], channel=EVIL_CHANNEL)
    wait_logged(d, 3)
    for args in ((), ("--lines",)):
        out = socketioctl_log(d, *args)
        # no raw C0 control (ESC, BEL) but the line ends, no C1 (CSI)
        assert not [b for b in out if b < 0x20 and b != 0x0a], out
        assert "\u009b".encode() not in out and b"\x9b" not in out, out
        assert b"\\x1b]0;pwned\\x07\\x1b[2J" in out, out
    # --json is for programs: the values as they are, in valid JSON
    rows = [json.loads(line) for line in
            socketioctl_log(d, "--json").decode().splitlines()]
    assert EVIL_CHANNEL in [r["channel"] for r in rows]
    assert "\x1b[31mred\x07" in [r["event"] for r in rows]
    w.close()


def test_log_payload_capped_per_row(daemon):
    d = daemon("--message-log-format", LOGFMT, "--message-log", "log.sqlite3",
               "--max-http-buffer-size", "2000000")
    w = raw_subscribed(d, "room")
    big = "é" * 60000  # 120,000 bytes of UTF-8, cut on a character
    w.ws.send('42["chat",%s]' % json.dumps(big, ensure_ascii=False))
    w.ws.send('42["small","hi"]')
    wait_logged(d, 3)
    rows = [json.loads(line) for line in
            socketioctl_log(d, "--json").decode().splitlines()]
    chat = [r for r in rows if r["event"] == "chat"][0]
    text = chat["payload"]  # no longer JSON: a string
    assert isinstance(text, str)
    size = len(('["chat",%s]' % json.dumps(big, ensure_ascii=False))
               .encode())
    assert text.endswith("...[truncated: %d bytes]" % size), text[-80:]
    kept = text[:-len("...[truncated: %d bytes]" % size)]
    assert 4096 - 1 <= len(kept.encode()) <= 4096
    assert len(chat["line"].encode()) < 4096 + 100
    small = [r for r in rows if r["event"] == "small"][0]
    assert small["payload"] == ["small", "hi"]
    assert d.rpc().call("stats")["messages_log_truncated"] == 1
    w.close()
    # 0: kept whole, as before
    whole = daemon("--message-log-format", LOGFMT, "--message-log",
                   "whole.sqlite3", "--message-log-max-payload", "0",
                   "--max-http-buffer-size", "2000000", name="whole")
    w = raw_subscribed(whole, "room")
    w.ws.send('42["chat",%s]' % json.dumps(big, ensure_ascii=False))
    wait_logged(whole, 2)
    rows = [json.loads(line) for line in
            socketioctl_log(whole, "--json", db="whole.sqlite3")
            .decode().splitlines()]
    assert [r for r in rows if r["event"] == "chat"][0]["payload"] == [
        "chat", big]
    w.close()


def test_upstream_answer_not_strict_json_is_not_applied(daemon, clients,
                                                        tmp_path):
    from test_upstream import SECRET, App
    app = App("http", tmp_path)
    try:
        secret = tmp_path / "upstream.secret"
        secret.write_text(SECRET + "\n")
        d = daemon("--upstream", app.url, "--upstream-secret", str(secret))
        rx = clients("v4", d)
        tx = clients("v4", d)
        d.rpc().call("join", sid=rx.sid, channel="room")
        # the ack and the emit in it would make both clients drop
        assert tx.emit("lenient", "room", ack=True) == [
            {"error": "upstream_bad_response"}]
        assert d.rpc().call("stats")["upstream_bad_responses"] == 1
        assert "not strict JSON" in d.stderr()
        d.rpc().call("emit", event="after", channel="room")
        rx.wait_event("after")
        assert rx.events("lenient") == []
        for h in (rx, tx):
            assert h.node.find(lambda e, h=h: e.get("cid") == h.cid and
                               e.get("ev") == "disconnect") == []
    finally:
        app.stop()
