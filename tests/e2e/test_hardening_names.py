"""What an anonymous client names and piles up cannot hurt the daemon
(issue 14): names with a NUL, other control bytes or bad UTF-8 are refused
(namespaces with CONNECT_ERROR as Node socket.io refuses an unknown one,
channels as a refused subscribe / an RPC error, event names with the ack
error an event the app cannot answer gets); the namespaces of one
connection are capped and looked up in O(1); the binary attachments of a
packet are capped in bytes and time; the bytes queued toward the app per
socket are capped. Every refusal is counted in `stats`."""

import json
import os
import sys
import threading
import time

import pytest
import requests

from e2e_lib import NodeHandle, RawWs, assert_still_serving, wait_until

sys.path.insert(0, os.path.dirname(__file__))
from test_upstream import App, SECRET  # noqa: E402

RS = "\x1e"  # Engine.IO v4 polling payload separator


def stats(d):
    return d.rpc().call("stats")


def channels_of(rpc, sid):
    r = rpc.call("session", sid=sid)
    return r.get("session", r)["channels"]


def sockets_of(d, eio_sid):
    return [s for s in d.rpc().call("sessions")["sessions"]
            if s["eio_sid"] == eio_sid]


class Polling:
    """A raw Engine.IO v4 (or v3) long-polling session."""

    def __init__(self, d, eio=4):
        self.d = d
        self.eio = eio
        self.base = d.url + "/socket.io/?EIO=%d&transport=polling" % eio
        r = requests.get(self.base, timeout=10)
        text = r.content.decode()
        if eio == 3:  # "<len>:0{...}" then the "/" CONNECT
            text = text.split(":", 1)[1]
        assert text.startswith("0"), text
        self.sid = json.loads(text[1:text.index("}") + 1])["sid"]
        self.url = self.base + "&sid=" + self.sid

    def post(self, body, timeout=30):
        if isinstance(body, str):
            body = body.encode()
        r = requests.post(self.url, data=body, timeout=timeout,
                          headers={"Content-Type": "text/plain;charset=UTF-8"})
        assert r.status_code == 200, (r.status_code, r.text[:200])

    def get(self, timeout=10):
        r = requests.get(self.url, timeout=timeout)
        assert r.status_code == 200, (r.status_code, r.text[:200])
        return r.content


# ---------------------------------------------------------------------------
# 1(a): names with NUL, control bytes, bad UTF-8

def test_namespace_with_nul_gets_connect_error_v5(daemon):
    d = daemon()
    c = RawWs(d)  # joined "/"
    before = stats(d)["names_refused"]
    c.ws.send("40/\x00x,")
    assert c.recv_packet() == '4/?x,{"message":"Invalid namespace"}'
    c.ws.send("40/a\x1e,")  # the polling separator: echoed as '?'
    assert c.recv_packet() == '4/a?,{"message":"Invalid namespace"}'
    c.ws.send("40/t\tab,")
    assert c.recv_packet() == '4/t?ab,{"message":"Invalid namespace"}'
    assert stats(d)["names_refused"] == before + 3
    # One socket in "/", none in a cut-down namespace.
    socks = sockets_of(d, c.open["sid"])
    assert [s["namespace"] for s in socks] == ["/"]
    assert_still_serving(d, c)


def test_namespace_with_nul_gets_connect_error_v4(daemon):
    """Protocol v4 (Engine.IO 3): the refusal is the message string, as the
    daemon refuses there (Node 4.x sends {"message": ...} to both)."""
    d = daemon()
    c = RawWs(d, eio=3)
    c.ws.send("40/\x00x")
    assert c.recv_packet() == '4/?x,"Invalid namespace"'
    assert [s["namespace"] for s in sockets_of(d, c.open["sid"])] == ["/"]
    assert stats(d)["names_refused"] == 1


def test_namespace_bad_utf8_over_polling(daemon):
    """Polling bodies are checked as UTF-8 like WebSocket text frames: a
    CONNECT to a namespace in invalid UTF-8 never reaches Socket.IO (400,
    the session closed); a name over the length limit is refused with
    CONNECT_ERROR and the session stays."""
    d = daemon()
    p = Polling(d)
    r = requests.post(p.url, data=b"40/\xff\xfe,", timeout=10)
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert sockets_of(d, p.sid) == []
    assert stats(d)["polling_invalid_utf8"] == 1
    p = Polling(d)
    long_name = "/" + "n" * 1100
    p.post("40" + long_name + ",")
    got = p.get().decode()
    assert got == '44%s,{"message":"Invalid namespace"}' % long_name
    assert sockets_of(d, p.sid) == []
    assert stats(d)["names_refused"] == 1
    p.post("40/ok,")
    assert p.get().decode().startswith('40/ok,{"sid":')


def test_event_name_with_nul_refused_with_ack_error(daemon):
    d = daemon()
    c = RawWs(d)
    rpc = d.rpc()
    # "subscribe\u0000x" was cut to "subscribe" and joined "room".
    c.ws.send('421["subscribe\\u0000x","room"]')
    assert c.recv_packet() == '31[{"error":"invalid_name"}]'
    c.ws.send('422["ev\\n"]')
    assert c.recv_packet() == '32[{"error":"invalid_name"}]'
    c.ws.send('42["ev\\u0001"]')  # no ack wanted: dropped
    c.ws.send('423["subscribe","ok"]')
    assert c.recv_packet() == '33[null,"ok"]'
    assert channels_of(rpc, c.sid) == ["ok"]
    assert stats(d)["names_refused"] == 3


def test_channel_with_nul_refused(daemon):
    d = daemon()
    c = RawWs(d)
    rpc = d.rpc()
    c.ws.send('421["subscribe","a\\u0000b"]')
    assert c.recv_packet() == '31["invalid channel name"]'
    c.ws.send('422["subscribe","a\\u001fb"]')
    assert c.recv_packet() == '32["invalid channel name"]'
    c.ws.send('423["unsubscribe","a\\u0000b"]')
    assert c.recv_packet() == '33["invalid channel name"]'
    assert rpc.call("channels")["channels"] == []
    # The RPC join: an error, nothing joined.
    for name in ("a\x00b", "a\x07b", "a\nb"):
        with pytest.raises(Exception) as e:
            rpc.call("join", sid=c.sid, channel=name)
        assert "invalid channel name" in str(e.value)
    assert rpc.call("channels")["channels"] == []
    assert stats(d)["names_refused"] == 6
    rpc.call("join", sid=c.sid, channel="a b")
    assert channels_of(rpc, c.sid) == ["a b"]


def test_rpc_emit_to_a_cut_name_refused(daemon):
    """An emit to channel "room\u0000x" (or namespace "/\u0000x") must not
    reach "room" (or "/") as cJSON's cut would make it."""
    d = daemon()
    c = RawWs(d)
    rpc = d.rpc()
    rpc.call("join", sid=c.sid, channel="room")
    for params in ({"channel": "room\x00x"}, {"namespace": "/\x00x"},
                   {"event": "ev\x00il"}):
        p = dict({"event": "leak", "args": [1]}, **params)
        with pytest.raises(Exception) as e:
            rpc.call("emit", params=p)
        assert "NUL" in str(e.value)
    rpc.call("emit", event="fine", args=[2], channel="room")
    assert c.wait_event("fine") == [2]
    assert [p for p in c.packets if p.startswith("2")] == ['2["fine",2]']
    assert stats(d)["names_refused"] == 3


def test_binary_packet_nul_namespace_not_cut(daemon):
    """A BINARY_EVENT for "/\\0x" is not delivered to "/"."""
    d = daemon("--relay")
    a, b = RawWs(d), RawWs(d)
    for c in (a, b):
        c.ws.send('42["subscribe","r"]')
    wait_until(lambda: len(d.rpc().call("sessions", channel="r")
                           ["sessions"]) == 2)
    a.ws.send('451-/\x00x,["up",{"_placeholder":true,"num":0}]')
    a.ws.send_binary(b"\x01\x02")
    a.ws.send('42["up","text"]')
    assert b.wait_event("up") == ["text"]
    assert not [p for p in b.packets if isinstance(p, bytes) or
                p.startswith("5")], b.packets


# ---------------------------------------------------------------------------
# 3: namespaces per connection

def test_max_namespaces_refuses_with_connect_error(daemon):
    d = daemon("--max-namespaces", "3")
    c = RawWs(d, connect=False)
    for n in ("/a", "/b", "/c"):
        c.ws.send("40%s," % n)
        assert c.recv_packet().startswith('0%s,{"sid":' % n)
    c.ws.send("40/d,")
    assert c.recv_packet() == '4/d,{"message":"too many namespaces"}'
    c.ws.send("40/caf\u00e9,")  # a valid name is echoed as it came
    assert c.recv_packet() == \
        '4/caf\u00e9,{"message":"too many namespaces"}'
    c.ws.send("40/a,")  # already joined: not refused, not answered again
    c.ws.send("41/a,")
    c.ws.send("40/d,")
    assert c.recv_packet().startswith('0/d,{"sid":')
    assert stats(d)["namespaces_refused"] == 2
    assert sorted(s["namespace"] for s in sockets_of(d, c.open["sid"])) == [
        "/b", "/c", "/d"]


@pytest.mark.parametrize("flavour", ["v4", "v2"])
def test_max_namespaces_with_the_official_client(daemon, node, flavour):
    """socket.io-client multiplexes the namespaces of one URL on one
    connection: over the cap, the client's connect_error (2.x: "error")
    says why, and the sockets it has keep working."""
    # Protocol v4 (2.x) has "/" joined by itself: one more.
    d = daemon("--max-namespaces", "3" if flavour == "v2" else "2")
    cl = node(flavour)
    opts = {"forceNew": False}
    held = []
    for n in ("/a", "/b"):
        h = NodeHandle(cl, flavour + n)
        h.connect(d.url, namespace=n, extra_opts=opts)
        held.append(h)
    over = NodeHandle(cl, flavour + "/c")
    over.connect(d.url, namespace="/c", wait=False, extra_opts=opts)
    ev = cl.wait_for(lambda e: e.get("cid") == flavour + "/c" and e["ev"] in (
        "connect", "connect_error"), timeout=15, what="connect of /c")
    assert ev["ev"] == "connect_error"
    assert "too many namespaces" in ev["message"]
    rpc = d.rpc()
    eio = {s["eio_sid"] for s in rpc.call("sessions")["sessions"]}
    assert len(eio) == 1  # one connection carried them all
    assert stats(d)["namespaces_refused"] >= 1
    rpc.call("emit", event="hi", args=[1], namespace="/b")
    assert held[1].wait_event("hi")


@pytest.mark.timeout(120)
def test_60000_connects_in_one_post(daemon):
    """60,000 CONNECTs to distinct namespaces in one polling POST: answered
    quickly (a linear lookup took 13 s), while another client's round trip
    stays short; the cap refuses all but 100, counted."""
    d = daemon()
    other = RawWs(d)
    rpc = d.rpc()
    p = Polling(d)
    body = RS.join("40/n%d," % i for i in range(60000))
    assert len(body) < 1000000
    worst = [0.0]
    done = threading.Event()

    def probe():
        while not done.is_set():
            t = time.monotonic()
            rpc.call("emit", event="probe", args=[1])
            other.wait_event("probe", timeout=30)
            worst[0] = max(worst[0], time.monotonic() - t)
            time.sleep(0.05)

    th = threading.Thread(target=probe)
    th.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    try:
        p.post(body, timeout=60)
        s = rpc.call("stats", rpc_timeout=60)  # after the loop took it all
        took = time.monotonic() - t0
        time.sleep(0.3)
    finally:
        done.set()
        th.join(60)
    print("60000 CONNECTs: POST answered in %.2f s, worst probe %.2f s"
          % (took, worst[0]))
    assert took < 5.0
    assert worst[0] < 5.0
    assert s["namespaces_refused"] == 60000 - 100
    assert len(sockets_of(d, p.sid)) == 100
    first = p.get().decode().split(RS)
    assert first[0].startswith('40/n0,{"sid":')
    assert_still_serving(d, other)


def test_many_namespaces_with_a_high_cap(daemon):
    """With the cap raised, the per-connection lookup still is O(1): 20,000
    namespaces joined, then each one left, through the map."""
    d = daemon("--max-namespaces", "20000")
    p = Polling(d)
    t0 = time.monotonic()
    p.post(RS.join("40/n%d," % i for i in range(20000)), timeout=60)
    p.post(RS.join("41/n%d," % i for i in range(0, 20000, 2)), timeout=60)
    took = time.monotonic() - t0
    print("20000 namespaces joined, 10000 left: %.2f s" % took)
    assert took < 10.0
    assert len(sockets_of(d, p.sid)) == 10000
    assert stats(d)["namespaces_refused"] == 0


# ---------------------------------------------------------------------------
# 5: binary attachments and the queue toward the app

def test_attachments_over_the_cap_close_the_session(daemon):
    d = daemon("--max-attachment-bytes", "1000")
    c = RawWs(d)
    c.ws.send('452-["up",{"_placeholder":true,"num":0},'
              '{"_placeholder":true,"num":1}]')
    c.ws.send_binary(b"x" * 600)
    c.ws.send_binary(b"y" * 600)
    with pytest.raises((ConnectionError, OSError, Exception)):
        for _ in range(10):
            c.recv_packet(timeout=5)
    assert stats(d)["attachments_refused"] == 1
    ok = RawWs(d)  # within the cap: delivered
    ok.ws.send('451-7["up",{"_placeholder":true,"num":0}]')
    ok.ws.send_binary(b"x" * 1000)
    assert ok.recv_packet() == "37[]"


def test_unfinished_attachments_time_out(daemon):
    d = daemon("--attachment-timeout", "500")
    c = RawWs(d)
    c.ws.send('451-["up",{"_placeholder":true,"num":0}]')
    t0 = time.monotonic()
    with pytest.raises((ConnectionError, OSError, Exception)):
        for _ in range(10):
            c.recv_packet(timeout=5)
    assert time.monotonic() - t0 < 4
    assert stats(d)["attachment_timeouts"] == 1


def test_attachment_timeout_zero_is_off(daemon):
    d = daemon("--attachment-timeout", "0")
    c = RawWs(d)
    c.ws.send('451-3["up",{"_placeholder":true,"num":0}]')
    time.sleep(1.0)
    c.ws.send_binary(b"late")
    assert c.recv_packet() == "33[]"
    assert stats(d)["attachment_timeouts"] == 0


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.mark.timeout(120)
def test_queue_toward_the_app_capped_in_bytes(daemon, tmp_path):
    """A slow app holds one event; four events with 1 MB attachments wait
    behind it. Their bytes are capped per socket (4 MiB): the fourth is
    refused as upstream_overloaded, as a full queue refuses."""
    app = App("http", tmp_path)
    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    try:
        d = daemon("--upstream", app.url, "--upstream-secret", str(secret))
        c = RawWs(d)
        c.ws.send('420["slow",30]')  # in flight for 30 s
        wait_until(lambda: app.records(event="slow"), timeout=10)
        rss0 = rss_kb(d.proc.pid)
        blob = b"\xab" * 999000
        for i in range(4):
            c.ws.send('451-%d["big",{"_placeholder":true,"num":0}]' % (i + 1))
            c.ws.send_binary(blob)
        got = c.recv_packet(timeout=20)
        while not got.startswith("3"):  # the app's "welcome"
            got = c.recv_packet(timeout=20)
        assert got == '34[{"error":"upstream_overloaded"}]', got
        rss1 = rss_kb(d.proc.pid)
        print("RSS %d kB before, %d kB with the events queued (+%d kB)"
              % (rss0, rss1, rss1 - rss0))
        s = stats(d)
        assert s["upstream_overflows"] == 1
    finally:
        app.stop()


def test_app_join_of_a_cut_channel_refused(daemon, tmp_path):
    """The app answers with a join action naming "room\u0000evil": cJSON
    would cut it to "room"; the action is skipped and counted instead."""
    app = App("http", tmp_path)
    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    try:
        d = daemon("--upstream", app.url, "--upstream-secret", str(secret))
        rpc = d.rpc()
        c = RawWs(d)
        c.wait_event("welcome", timeout=10)
        before = rpc.call("stats")["upstream_bad_actions"]
        codes = [ord(ch) for ch in "room\x00evil"]
        c.ws.send('421["join-codes",%s]' % json.dumps(codes))
        got = c.recv_packet(timeout=10)
        while not got.startswith("3"):
            got = c.recv_packet(timeout=10)
        assert got == '31["ok"]'
        assert channels_of(rpc, c.sid) == ["user:anon"]
        assert rpc.call("stats")["upstream_bad_actions"] == before + 1
        c.ws.send('422["join-codes",%s]' % json.dumps(
            [ord(ch) for ch in "room"]))
        got = c.recv_packet(timeout=10)
        assert got == '32["ok"]', got
        assert sorted(channels_of(rpc, c.sid)) == ["room", "user:anon"]
    finally:
        app.stop()
