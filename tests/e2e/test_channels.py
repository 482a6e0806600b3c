"""Channels: subscribe / unsubscribe, member counts, RPC join / leave, and
what a disconnect does to them."""

import pytest

from e2e_lib import KINDS, RpcError, channel_members, session_sids, wait_until


@pytest.mark.parametrize("kind", KINDS)
def test_subscribe_unsubscribe_and_counts(daemon, clients, kind):
    d = daemon()
    rpc = d.rpc()
    a = clients(kind, d)
    b = clients(kind, d)
    assert a.subscribe("red") == [None, "red"]
    assert a.subscribe("blue") == [None, "blue"]
    assert b.subscribe("red") == [None, "red"]
    # subscribing twice changes nothing
    assert b.subscribe("red") == [None, "red"]

    chans = {c["name"]: c for c in rpc.call("channels")["channels"]}
    assert chans["red"]["members"] == 2
    assert chans["blue"]["members"] == 1
    assert chans["red"]["namespace"] == "/"
    assert sorted(rpc.call("session", sid=a.sid)["session"]["channels"]) == \
        ["blue", "red"]
    assert session_sids(rpc, channel="red") == sorted([a.sid, b.sid])
    assert session_sids(rpc, channel="blue") == [a.sid]
    assert rpc.call("stats")["channels"] == 2

    assert a.unsubscribe("red") == [None, "red"]
    assert channel_members(rpc, "red") == 1
    assert session_sids(rpc, channel="red") == [b.sid]
    assert rpc.call("emit", event="red-news", channel="red")["recipients"] == 1
    rpc.call("emit", event="end")
    a.wait_event("end")
    b.wait_event("end")
    assert a.events("red-news") == [] and len(b.events("red-news")) == 1

    # the last member leaving empties the channel
    assert a.unsubscribe("blue") == [None, "blue"]
    assert channel_members(rpc, "blue") == 0
    assert rpc.call("stats")["channels"] == 1
    # unsubscribing from a channel one is not in is not an error
    assert a.unsubscribe("never") == [None, "never"]


@pytest.mark.parametrize("kind", KINDS)
def test_channels_are_per_namespace(daemon, clients, kind):
    d = daemon()
    rpc = d.rpc()
    root = clients(kind, d, "/")
    chat = clients(kind, d, "/chat")
    root.subscribe("room")
    chat.subscribe("room")
    assert channel_members(rpc, "room", "/") == 1
    assert channel_members(rpc, "room", "/chat") == 1
    assert session_sids(rpc, namespace="/chat", channel="room") == [chat.sid]
    assert rpc.call("emit", event="e", namespace="/chat",
                    channel="room")["recipients"] == 1
    chat.wait_event("e")


@pytest.mark.parametrize("kind", KINDS)
def test_join_and_leave_via_rpc(daemon, clients, kind):
    d = daemon()
    rpc = d.rpc()
    h = clients(kind, d)
    r = rpc.call("join", sid=h.sid, channel="vip")
    assert r == {"sid": h.sid, "channels": ["vip"]}
    assert channel_members(rpc, "vip") == 1
    assert rpc.call("emit", event="for-vips", channel="vip",
                    args=["x"])["recipients"] == 1
    assert h.wait_event("for-vips") == ["x"]
    # a client subscription and a server-side join mix
    h.subscribe("own")
    assert sorted(rpc.call("join", sid=h.sid, channel="vip2")["channels"]) == \
        ["own", "vip", "vip2"]
    r = rpc.call("leave", sid=h.sid, channel="vip")
    assert r["sid"] == h.sid and sorted(r["channels"]) == ["own", "vip2"]
    assert rpc.call("emit", event="for-vips", channel="vip")["recipients"] == 0
    rpc.call("emit", event="end")
    h.wait_event("end")
    assert len(h.events("for-vips")) == 1


def test_join_leave_errors(daemon, clients):
    d = daemon()
    rpc = d.rpc()
    h = clients("v4", d)
    with pytest.raises(RpcError) as e:
        rpc.call("join", sid="nope", channel="x")
    assert e.value.code == -32001
    with pytest.raises(RpcError) as e:
        rpc.call("leave", sid="nope", channel="x")
    assert e.value.code == -32001
    with pytest.raises(RpcError) as e:
        rpc.call("join", sid=h.sid)
    assert e.value.code == -32602
    with pytest.raises(RpcError) as e:
        rpc.call("join", sid=h.sid, channel=7)
    assert e.value.code == -32602
    assert rpc.call("session", sid=h.sid)["session"]["channels"] == []


@pytest.mark.parametrize("kind", KINDS)
def test_disconnect_leaves_all_channels(daemon, clients, kind):
    d = daemon()
    rpc = d.rpc()
    a = clients(kind, d)
    b = clients(kind, d)
    a.subscribe("x")
    a.subscribe("y")
    rpc.call("join", sid=a.sid, channel="z")
    b.subscribe("x")
    assert channel_members(rpc, "x") == 2
    a.disconnect()
    wait_until(lambda: session_sids(rpc, channel="x") == [b.sid], timeout=5,
               what="a to leave x")
    assert channel_members(rpc, "x") == 1
    assert channel_members(rpc, "y") == 0
    assert channel_members(rpc, "z") == 0
    assert session_sids(rpc, channel="y") == []
    assert rpc.call("emit", event="e", channel="x")["recipients"] == 1
    b.wait_event("e")
