# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Security points of issue 9 not tested elsewhere: secrets never appear in
the daemon's log or the message log; a session id is refused on a
transport it does not belong to; the Origin allow-list holds for CORS
preflights, polls of an existing session and WebSocket upgrades.

Elsewhere: the control socket's mode, group and SO_PEERCRED allow-list
(test_rpc_access.py); the upstream signature and its timestamp
(test_upstream.py, docs/upstream.md); the handshake's Origin check
(test_options.py's test_origins)."""

import base64
import os
import socket
import sqlite3

import requests

from e2e_lib import wait_until
from test_upstream import SECRET, App

POLL = "/socket.io/?EIO=4&transport=polling"

COOKIE_VALUE = "sessionid=c00kie5ecretvalue42"
AUTH_VALUE = "Bearer auth0rizati0nsecretvalue42"
TOKEN = "t0kensecretvalue42"  # the Socket.IO CONNECT auth payload
# Socket.IO 2.x clients pass their credentials in the query string.
QUERY_TOKEN = "qu3rytokensecretvalue42"


def test_secrets_never_in_logs(daemon, clients, tmp_path):
    """The daemon at its most verbose (-vvv), forwarding to the app with a
    signing secret, the message log on with its default options and a
    format that asks for the cookie and the Authorization header, a client
    that sends a cookie, an Authorization header and an auth token, RPC
    calls that list the session: none of those values appear in stderr or
    anywhere in the message log's files."""
    app = App("http", tmp_path)
    try:
        secret_file = tmp_path / "upstream.secret"
        secret_file.write_text(SECRET + "\n")
        d = daemon("-vvv", "--upstream", app.url, "--upstream-secret",
                   str(secret_file), "--message-log-format",
                   "%(HTTP_COOKIE)s|%(HTTP_AUTHORIZATION)s|%(MESSAGE)s",
                   "--message-log", "log.sqlite3")
        rpc = d.rpc()
        opts = {"extraHeaders": {"Cookie": COOKIE_VALUE,
                                 "Authorization": AUTH_VALUE}}
        for mode in ("websocket", "polling"):
            h = clients("v4", d, mode=mode, auth={"token": TOKEN},
                        extra_opts=opts)
            # The app saw them (they are forwarded, signed) ...
            who = h.emit("whoami", ack=True)
            assert who[0] == COOKIE_VALUE and who[5] == {"token": TOKEN}, who
            assert h.emit("echo", "hello", ack=True) == ["hello"]
            assert rpc.call("emit", event="news", args=[1], to=h.sid)[
                "logged"] is True
        r = requests.get(d.url + POLL + "&token=" + QUERY_TOKEN, timeout=5)
        assert r.status_code == 200 and '"sid"' in r.text, r.text
        info = rpc.call("sessions")
        assert info["sessions"]
        rpc.call("stats")
        wait_until(lambda: rpc.call("stats")["messages_logged"] >= 6,
                   what="the rows")
    finally:
        app.stop()
    # ... and the daemon did log, verbosely, the same traffic.
    err = d.stderr()
    assert "whoami" in err and "upstream" in err, err[-3000:]
    secrets = {"upstream secret": SECRET, "cookie": COOKIE_VALUE,
               "cookie value": COOKIE_VALUE.split("=")[1],
               "authorization": AUTH_VALUE.split()[1], "auth token": TOKEN,
               "query token": QUERY_TOKEN}
    for what, value in secrets.items():
        assert value not in err, "%s in the daemon's log" % what
        assert base64.b64encode(value.encode()).decode() not in err
    files = [p for p in os.listdir(tmp_path) if p.startswith("log.sqlite3")]
    assert "log.sqlite3" in files
    for name in files:
        data = (tmp_path / name).read_bytes()
        for what, value in secrets.items():
            assert value.encode() not in data, "%s in %s" % (what, name)
    db = sqlite3.connect("file:%s?mode=ro" % (tmp_path / "log.sqlite3"),
                         uri=True)
    try:
        lines = [l for (l,) in db.execute("SELECT line FROM messages")]
    finally:
        db.close()
    assert any(l.startswith("||") for l in lines), lines


def _ws_upgrade(d, query, origin=None):
    s = socket.create_connection(d.addr, timeout=5)
    try:
        s.sendall(("GET /socket.io/?%s HTTP/1.1\r\nHost: x\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                   "%s\r\n" % (query, base64.b64encode(os.urandom(16))
                               .decode(), "Origin: %s\r\n" % origin
                               if origin else "")).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
        return int(head.split(b" ", 2)[1]) if head else 0
    finally:
        s.close()


def test_sid_refused_on_other_transports(daemon, clients):
    """A WebSocket session's sid cannot be polled or posted to, nor opened
    again as a second WebSocket; a polling sid cannot be used with another
    Engine.IO version, and once upgraded it takes no more polls."""
    d = daemon()
    rpc = d.rpc()
    ws = clients("py", d, mode="websocket")
    (sess,) = rpc.call("sessions")["sessions"]
    eio_sid = sess.get("eio_sid") or sess.get("engine_sid")
    if eio_sid is None:
        eio_sid = ws.sio.eio.sid
    for method, body in (("GET", None), ("POST", "42[\"x\"]")):
        r = requests.request(method, d.url + POLL + "&sid=" + eio_sid,
                             data=body, timeout=5)
        assert r.status_code == 400, (method, r.status_code, r.text)
    # A second WebSocket completes its handshake and is closed at once, as
    # Node's engine.io does (test_hardening_engine.py checks the close).
    assert _ws_upgrade(d, "EIO=4&transport=websocket&sid=" + eio_sid) == 101
    # The WebSocket session is unharmed.
    assert ws.emit("subscribe", "room", ack=True) == [None, "room"]

    r = requests.get(d.url + POLL, timeout=5)
    psid = r.text[1:].split('"sid":"')[1].split('"')[0]
    r = requests.get(d.url + "/socket.io/?EIO=3&transport=polling&sid=" +
                     psid, timeout=5)
    assert r.status_code == 400
    # Over FastCGI/SCGI there is no socket to upgrade: tested in
    # test_bridge_fcgi.py. Upgrade this one for real, then poll it.
    from test_ws_conformance import frame
    s = socket.create_connection(d.addr, timeout=5)
    s.sendall(("GET /socket.io/?EIO=4&transport=websocket&sid=%s HTTP/1.1\r\n"
               "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (psid, base64.b64encode(os.urandom(16)).decode())).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    s.sendall(frame(1, "2probe"))
    s.sendall(frame(1, "5"))  # UPGRADE
    wait_until(lambda: requests.get(d.url + POLL + "&sid=" + psid,
                                    timeout=5).status_code == 400,
               timeout=5, what="polls refused after the upgrade")
    s.close()
    d.assert_alive()


def test_origin_allow_list_cors_and_websocket(daemon):
    """With --origins, a foreign Origin gets no CORS grant on the preflight
    nor on the handshake, cannot poll or post to a session opened by an
    allowed page (its sid leaked), and cannot open a WebSocket or upgrade
    that session; the allowed Origin can do all of it."""
    good, evil = "https://good.example", "https://evil.example"
    d = daemon("--origins", good)
    pre = {"Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "content-type"}
    r = requests.options(d.url + POLL, headers=dict(pre, Origin=good),
                         timeout=5)
    assert r.status_code in (200, 204)
    assert r.headers.get("Access-Control-Allow-Origin") == good
    assert r.headers.get("Access-Control-Allow-Credentials") == "true"
    r = requests.options(d.url + POLL, headers=dict(pre, Origin=evil),
                         timeout=5)
    assert r.headers.get("Access-Control-Allow-Origin") in (None, ""), \
        r.headers
    assert r.status_code == 403

    r = requests.get(d.url + POLL, headers={"Origin": good}, timeout=5)
    assert r.headers["Access-Control-Allow-Origin"] == good
    sid = r.text[1:].split('"sid":"')[1].split('"')[0]
    for method, body in (("GET", None), ("POST", "40")):
        r = requests.request(method, d.url + POLL + "&sid=" + sid,
                             data=body, headers={"Origin": evil}, timeout=5)
        assert r.status_code == 403, (method, r.status_code)
        assert "Access-Control-Allow-Origin" not in r.headers
    assert requests.post(d.url + POLL + "&sid=" + sid, data="40",
                         headers={"Origin": good}, timeout=5).text == "ok"
    assert _ws_upgrade(d, "EIO=4&transport=websocket", evil) == 403
    assert _ws_upgrade(d, "EIO=4&transport=websocket&sid=" + sid,
                       evil) == 403
    assert _ws_upgrade(d, "EIO=4&transport=websocket", good) == 101
    d.assert_alive()
