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
