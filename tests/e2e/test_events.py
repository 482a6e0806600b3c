"""Events both ways: RPC emit / send to everyone, a channel, one sid, all
but one sid; binary data; client events relayed with --relay."""

import pytest

from e2e_lib import KINDS, MODES, binary, unbinary

PAYLOAD = bytes(range(256)) * 5 + b"\x00\xff\x00"


def counts(h, names):
    return {n: len(h.events(n)) for n in names}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_rpc_emit_reaches_exactly_the_right_clients(daemon, clients, kind,
                                                    mode):
    d = daemon()
    rpc = d.rpc()
    a = clients(kind, d, mode=mode)
    b = clients(kind, d, mode=mode)
    c = clients(kind, d, mode=mode)
    assert a.subscribe("room") == [None, "room"]
    assert b.subscribe("room") == [None, "room"]

    def emit(expected, **params):
        r = rpc.call("emit", **params)
        assert r["recipients"] == expected, (params, r)

    emit(3, event="all", args=["x", 1, {"deep": [True, None]}])
    emit(2, event="room", args=[2], channel="room")
    emit(1, event="one", args=[{"k": "v"}], to=c.sid)
    emit(1, event="room-but-a", args=[], channel="room",
         params={"except": a.sid})
    emit(2, event="all-but-b", args=["y"], params={"except": b.sid})
    emit(0, event="nobody", args=[], channel="empty-channel")
    # Events of one socket arrive in order: once "end" is in, everything
    # sent before it to that socket is too.
    emit(3, event="end", args=[])
    for h in (a, b, c):
        h.wait_event("end")

    names = ["all", "room", "one", "room-but-a", "all-but-b", "nobody"]
    assert counts(a, names) == {"all": 1, "room": 1, "one": 0,
                                "room-but-a": 0, "all-but-b": 1, "nobody": 0}
    assert counts(b, names) == {"all": 1, "room": 1, "one": 0,
                                "room-but-a": 1, "all-but-b": 0, "nobody": 0}
    assert counts(c, names) == {"all": 1, "room": 0, "one": 1,
                                "room-but-a": 0, "all-but-b": 1, "nobody": 0}
    assert a.events("all") == [["x", 1, {"deep": [True, None]}]]
    assert c.events("one") == [[{"k": "v"}]]
    assert b.events("room-but-a") == [[]]


@pytest.mark.parametrize("kind", KINDS)
def test_send_is_the_message_event(daemon, clients, kind):
    d = daemon()
    rpc = d.rpc()
    a = clients(kind, d)
    b = clients(kind, d)
    b.subscribe("news")
    assert rpc.call("send", message={"text": "hello"})["recipients"] == 2
    assert rpc.call("send", message="to-b", channel="news")["recipients"] == 1
    assert rpc.call("send", message=[1, 2], to=a.sid)["recipients"] == 1
    assert rpc.call("send", message="not-a", params={"except": a.sid}
                    )["recipients"] == 1
    rpc.call("emit", event="end")
    a.wait_event("end")
    b.wait_event("end")
    assert a.events("message") == [[{"text": "hello"}], [[1, 2]]]
    assert b.events("message") == [[{"text": "hello"}], ["to-b"], ["not-a"]]


@pytest.mark.parametrize("kind", KINDS)
def test_namespaces_are_separate(daemon, clients, kind):
    d = daemon()
    rpc = d.rpc()
    root = clients(kind, d, "/")
    chat = clients(kind, d, "/chat")
    chat.subscribe("room")
    root.subscribe("room")
    assert rpc.call("emit", event="hi", namespace="/chat")["recipients"] == 1
    assert rpc.call("emit", event="in-room", namespace="/chat",
                    channel="room")["recipients"] == 1
    chat.wait_event("hi")
    chat.wait_event("in-room")
    r = rpc.call("emit", event="end", namespace="/")
    # a 2.x client's /chat connection also holds a "/" socket
    assert r["recipients"] == (2 if kind == "v2" else 1)
    root.wait_event("end")
    assert root.events("hi") == [] and root.events("in-room") == []
    assert chat.events("end") == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_rpc_emit_binary_reaches_client_as_binary(daemon, clients, kind,
                                                  mode):
    d = daemon()
    rpc = d.rpc()
    h = clients(kind, d, mode=mode)
    r = rpc.call("emit", event="bin", to=h.sid,
                 args=[binary(PAYLOAD), "text",
                       {"nested": binary(b"\x00\xff"), "n": 1},
                       [binary(b""), binary(b"z")]])
    assert r["recipients"] == 1
    args = h.wait_event("bin")
    assert len(args) == 4
    assert unbinary(args[0]) == PAYLOAD
    assert args[1] == "text"
    assert unbinary(args[2]["nested"]) == b"\x00\xff"
    assert args[2]["n"] == 1
    assert unbinary(args[3][1]) == b"z"
    # an empty buffer is still binary
    assert unbinary(args[3][0]) == b""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_relay_binary_between_clients(daemon, clients, kind, mode):
    d = daemon("--relay")
    rpc = d.rpc()
    a = clients(kind, d, mode=mode)
    b = clients(kind, d, mode=mode)
    c = clients(kind, d, mode=mode)
    a.subscribe("room")
    b.subscribe("room")
    # relay acks with the number of receivers: b (not the sender, not c)
    assert a.emit("up", binary(PAYLOAD), {"meta": binary(b"\x01\x02"),
                                          "s": "t"}, ack=True) == [1]
    args = b.wait_event("up")
    assert unbinary(args[0]) == PAYLOAD
    assert unbinary(args[1]["meta"]) == b"\x01\x02"
    assert args[1]["s"] == "t"
    # and text events too
    assert b.emit("chat", "hi", ack=True) == [1]
    assert a.wait_event("chat") == ["hi"]
    rpc.call("emit", event="end")
    for h in (a, b, c):
        h.wait_event("end")
    assert a.events("up") == [] and c.events("up") == []
    assert c.events("chat") == [] and b.events("chat") == []
    assert len(b.events("up")) == 1


@pytest.mark.parametrize("mode", MODES)
def test_relay_between_client_kinds(daemon, clients, mode):
    d = daemon("--relay")
    hs = {k: clients(k, d, mode=mode) for k in KINDS}
    for h in hs.values():
        assert h.subscribe("mix") == [None, "mix"]
    for k, h in hs.items():
        assert h.emit("from", k, binary(k.encode()), ack=True) == [2]
    for k, h in hs.items():
        for other in KINDS:
            if other == k:
                continue
            args = h.wait_event("from", pred=lambda a, o=other: a[0] == o)
            assert unbinary(args[1]) == other.encode()
    rpc = d.rpc()
    rpc.call("emit", event="end")
    for k, h in hs.items():
        h.wait_event("end")
        assert sorted(a[0] for a in h.events("from")) == \
            sorted(o for o in KINDS if o != k)
