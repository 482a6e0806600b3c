"""Hardening 2 (issue 14), items 10, 12, 13 and 14: only strict JSON
reaches clients; the message log's cap and escapes; Origins same-origin by
default; the control socket in a private directory."""

import json
import socket

import pytest

from e2e_lib import RawWs, wait_until

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
