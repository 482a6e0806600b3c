"""Acknowledgements both ways: RPC emit with ack to one sid / a channel, and
the daemon's own acks of subscribe / unsubscribe and of relayed events."""

import pytest

from e2e_lib import KINDS, MODES, RpcError, binary, unbinary


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_rpc_emit_with_ack_to_one_sid(daemon, clients, kind, mode):
    d = daemon()
    rpc = d.rpc()
    reply = ["pong", {"n": 1, "list": [1, "two"]}]
    h = clients(kind, d, mode=mode, ack_reply=reply)
    other = clients(kind, d, mode=mode)
    r = rpc.call("emit", event="ping", args=["hi"], to=h.sid, ack=True)
    assert r["recipients"] == 1
    assert r["args"] == reply
    # The node driver's report of the event may be read after the ack
    # arrived over the RPC: wait for it rather than race it.
    assert h.wait_event("ping") == ["hi"]
    assert h.events("ping") == [["hi"]]
    # only h was asked
    rpc.call("emit", event="end", to=other.sid)
    other.wait_event("end")
    assert other.events("ping") == []


@pytest.mark.parametrize("kind", KINDS)
def test_rpc_ack_carries_binary_back(daemon, clients, kind):
    d = daemon()
    rpc = d.rpc()
    h = clients(kind, d, ack_reply=[binary(b"\x00\x01\xfe\xff"), "t"])
    r = rpc.call("emit", event="need-bytes", args=[binary(b"req")],
                 to=h.sid, ack=True)
    assert unbinary(r["args"][0]) == b"\x00\x01\xfe\xff"
    assert r["args"][1] == "t"
    assert unbinary(h.events("need-bytes")[0][0]) == b"req"


@pytest.mark.parametrize("kind", KINDS)
def test_rpc_emit_with_ack_to_channel_collects_per_sid(daemon, clients,
                                                       kind):
    d = daemon()
    rpc = d.rpc()
    a = clients(kind, d, ack_reply=["from-a"])
    b = clients(kind, d, ack_reply=["from-b", 2])
    # a client that never answers (only the node driver can refuse to ack)
    mute = clients("v4" if kind == "py" else kind, d)
    mute.set_ack_reply([], noack=True)
    outsider = clients(kind, d)
    for h in (a, b, mute):
        h.subscribe("room")
    r = rpc.call("emit", event="q", args=[1], channel="room", ack=True,
                 timeout=1000)
    assert r["recipients"] == 3
    assert r["acks"] == {a.sid: ["from-a"], b.sid: ["from-b", 2]}
    assert r["timeouts"] == [mute.sid]
    rpc.call("emit", event="end", to=outsider.sid)
    outsider.wait_event("end")
    assert outsider.events("q") == []

    # everyone, except one
    r = rpc.call("emit", event="q2", ack=True, timeout=1000,
                 params={"except": mute.sid})
    assert r["recipients"] == 3
    assert set(r["acks"]) == {a.sid, b.sid, outsider.sid}
    assert r["timeouts"] == []


def test_rpc_emit_ack_timeout(daemon, clients):
    d = daemon()
    rpc = d.rpc()
    mute = clients("v4", d)
    mute.set_ack_reply([], noack=True)
    with pytest.raises(RpcError) as e:
        rpc.call("emit", event="q", to=mute.sid, ack=True, timeout=300)
    assert e.value.code == -32002
    assert mute.events("q") == [[]]
    # the RPC connection still works
    assert rpc.call("emit", event="after")["recipients"] == 1


def test_rpc_ack_to_unknown_sid(daemon):
    d = daemon()
    with pytest.raises(RpcError) as e:
        d.rpc().call("emit", event="q", to="nobody", ack=True)
    assert e.value.code == -32001


@pytest.mark.parametrize("kind", KINDS)
def test_subscribe_and_unsubscribe_acks(daemon, clients, kind):
    d = daemon()
    h = clients(kind, d)
    # the reserved events, emitted as any app would without the extension
    assert h.emit("subscribe", "room", ack=True) == [None, "room"]
    assert h.emit("subscribe", "other room/ü", ack=True) == \
        [None, "other room/ü"]
    assert h.emit("unsubscribe", "room", ack=True) == [None, "room"]
    assert sorted(d.rpc().call("session", sid=h.sid)["session"]["channels"]) \
        == ["other room/ü"]
    # a channel must be a string: the ack is one error text
    err = h.emit("subscribe", 42, ack=True)
    assert len(err) >= 1 and isinstance(err[0], str) and err[0]
    err = h.emit("subscribe", ack=True)
    assert len(err) >= 1 and isinstance(err[0], str) and err[0]
    assert d.rpc().call("session", sid=h.sid)["session"]["channels"] == \
        ["other room/ü"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_relay_acks_with_receiver_count(daemon, clients, kind, mode):
    d = daemon("--relay")
    a = clients(kind, d, mode=mode)
    # in no channel: nobody to relay to
    assert a.emit("x", 1, ack=True) == [0]
    a.subscribe("room")
    assert a.emit("x", 2, ack=True) == [0]
    b = clients(kind, d, mode=mode)
    c = clients(kind, d, mode=mode)
    b.subscribe("room")
    c.subscribe("room")
    assert a.emit("x", 3, ack=True) == [2]
    assert b.wait_event("x") == [3]
    assert c.wait_event("x") == [3]
    # a second shared channel does not deliver twice
    a.subscribe("room2")
    b.subscribe("room2")
    assert a.emit("y", ack=True) == [2]
    b.wait_event("y")
    c.wait_event("y")
    d.rpc().call("emit", event="end")
    b.wait_event("end")
    assert len(b.events("y")) == 1
