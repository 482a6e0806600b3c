"""Wire details a user notices only when they go wrong: order of many
events (batched polling payloads), non-ASCII text (Engine.IO v3 counts
UTF-16 units), large messages, base64 polling for 2.x, and several
namespaces multiplexed on one connection."""

import pytest

from e2e_lib import KINDS, MODES, binary, session_sids, unbinary, wait_until

TEXTS = ["plain", "ü", "€uro", "😀 emoji", "mixed ü€😀 \u2028 \"q\" \\ /",
         "日本語テキスト", ""]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_many_events_arrive_in_order(daemon, clients, kind, mode):
    d = daemon()
    rpc = d.rpc()
    h = clients(kind, d, mode=mode)
    n = 300
    ids = [rpc.call_async("emit", event="seq", to=h.sid,
                          args=[i, TEXTS[i % len(TEXTS)]]) for i in range(n)]
    for i in ids:
        assert rpc.wait(i)["result"]["recipients"] == 1
    h.wait_event("seq", pred=lambda a: a[0] == n - 1, timeout=20)
    got = h.events("seq")
    assert [a[0] for a in got] == list(range(n))
    assert [a[1] for a in got] == [TEXTS[i % len(TEXTS)] for i in range(n)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_client_events_relayed_in_order(daemon, clients, kind, mode):
    d = daemon("--relay")
    a = clients(kind, d, mode=mode)
    b = clients(kind, d, mode=mode)
    a.subscribe("r")
    b.subscribe("r")
    n = 100
    for i in range(n):
        a.emit("seq", i, TEXTS[i % len(TEXTS)])
    b.wait_event("seq", pred=lambda x: x[0] == n - 1, timeout=20)
    got = b.events("seq")
    assert [x[0] for x in got] == list(range(n))
    assert [x[1] for x in got] == [TEXTS[i % len(TEXTS)] for i in range(n)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_large_messages(daemon, clients, kind, mode):
    d = daemon("--relay")
    rpc = d.rpc()
    a = clients(kind, d, mode=mode)
    b = clients(kind, d, mode=mode)
    a.subscribe("big")
    b.subscribe("big")
    # > 65535 bytes: WebSocket frames with 64-bit lengths
    text = ("0123456789abcdef€" * 20000)[:300000]
    blob = bytes(range(256)) * 800
    r = rpc.call("emit", event="big", to=a.sid, args=[text, binary(blob)])
    assert r["recipients"] == 1
    args = a.wait_event("big", timeout=20)
    assert args[0] == text
    assert unbinary(args[1]) == blob
    # and from a client, relayed (under the 1e6 default limit)
    assert a.emit("up", text[:200000], binary(blob[:150000]),
                  ack=True, timeout=20) == [1]
    args = b.wait_event("up", timeout=20)
    assert args[0] == text[:200000]
    assert unbinary(args[1]) == blob[:150000]


@pytest.mark.parametrize("kind", KINDS)
def test_nul_and_escapes_survive(daemon, clients, kind):
    d = daemon()
    rpc = d.rpc()
    h = clients(kind, d)
    tricky = ["a\u0000b", "tab\tnl\ncr\r", "\u001f", "\ud83d\ude00",
              {"k\u0000": "v"}, 1.5, -0.0, 12345678901234, True, None]
    rpc.call("emit", event="tricky", to=h.sid, args=tricky)
    got = h.wait_event("tricky")
    assert got[:4] == ["a\u0000b", "tab\tnl\ncr\r", "\u001f", "😀"]
    assert got[4] == {"k\u0000": "v"}
    assert got[5] == 1.5 and got[7] == 12345678901234
    assert got[8] is True and got[9] is None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["v4", "v2"])
def test_force_base64_clients(daemon, clients, kind, mode):
    # With forceBase64 the JS clients send binary as text: "b<base64>"
    # (v4) / "b4<base64>" (v3) records in polling payloads (2.x polls with
    # b64=1) and in WebSocket text frames. Node's engine.io accepts both.
    d = daemon("--relay")
    rpc = d.rpc()
    opts = {"forceBase64": True}
    a = clients(kind, d, mode=mode, extra_opts=opts)
    b = clients(kind, d, mode=mode, extra_opts=opts)
    a.subscribe("r")
    b.subscribe("r")
    rpc.call("emit", event="bin", to=a.sid, args=[binary(b"\x00\x01\xff")])
    assert unbinary(a.wait_event("bin")[0]) == b"\x00\x01\xff"
    assert a.emit("up", binary(b"\xfe\x00"), "ü😀", ack=True) == [1]
    args = b.wait_event("up")
    assert unbinary(args[0]) == b"\xfe\x00" and args[1] == "ü😀"


@pytest.mark.parametrize("mode", ["websocket", "polling", "upgrade"])
@pytest.mark.parametrize("kind", ["v4", "v2"])
def test_multiplexed_namespaces_on_one_connection(daemon, clients, kind,
                                                  mode):
    d = daemon()
    rpc = d.rpc()
    shared = {"forceNew": False}
    root = clients(kind, d, "/", mode=mode, extra_opts=shared)
    chat = clients(kind, d, "/chat", mode=mode, extra_opts=shared)
    admin = clients(kind, d, "/admin", mode=mode, extra_opts=shared)
    eio = {rpc.call("session", sid=h.sid)["session"]["eio_sid"]
           for h in (root, chat, admin)}
    assert len(eio) == 1, "the sockets do not share one connection"
    chat.subscribe("room")
    root.subscribe("room")
    assert rpc.call("emit", event="e", namespace="/chat",
                    channel="room")["recipients"] == 1
    assert chat.wait_event("e") == []
    # a server-side disconnect of one namespace leaves the others
    rpc.call("disconnect", sid=chat.sid)
    chat.wait_disconnect()
    wait_until(lambda: session_sids(rpc, namespace="/chat") == [],
               timeout=5, what="/chat to go")
    assert rpc.call("emit", event="still", namespace="/admin")[
        "recipients"] == 1
    admin.wait_event("still")
    assert rpc.call("emit", event="still", channel="room")["recipients"] == 1
    root.wait_event("still")
    # the client leaving one namespace leaves the others too
    admin.disconnect()
    wait_until(lambda: session_sids(rpc, namespace="/admin") == [],
               timeout=5, what="/admin to go")
    assert root.sid in session_sids(rpc, namespace="/")
    rpc.call("emit", event="last", to=root.sid)
    root.wait_event("last")
