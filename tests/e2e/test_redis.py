"""Scale-out (issue 17): the hub's audience through the RPC (lists of
channels, sids and except-rooms), and Redis interop with Node socket.io's
@socket.io/redis-adapter and @socket.io/redis-emitter."""

import pytest

from e2e_lib import RpcError


def test_rpc_emit_lists(daemon, clients):
    d = daemon()
    rpc = d.rpc()
    a, b, c, e = (clients("py", d) for _ in range(4))
    a.subscribe("red")
    a.subscribe("blue")
    b.subscribe("blue")
    c.subscribe("green")

    def hear(event):
        rpc.call("emit", event="end-" + event)
        got = []
        for k in (a, b, c, e):
            k.wait_event("end-" + event)
            got.append(len(k.events(event)))
        return got

    # several channels: each member once, even in two of them
    r = rpc.call("emit", event="e1", args=[1], channel=["red", "blue"])
    assert r["recipients"] == 2
    assert hear("e1") == [1, 1, 0, 0]
    # a list of sids, less a channel whose member is among them
    r = rpc.call("emit", event="e2", to=[a.sid, c.sid, e.sid],
                 **{"except": ["green"]})
    assert r["recipients"] == 2
    assert hear("e2") == [1, 0, 0, 1]
    # everyone less a channel and a sid
    r = rpc.call("emit", event="e3", **{"except": ["blue", c.sid]})
    assert r["recipients"] == 1
    assert hear("e3") == [0, 0, 0, 1]
    # today's forms are unchanged: an unknown single sid is an error, a
    # string except is a sid
    with pytest.raises(RpcError) as ei:
        rpc.call("emit", event="x", to="nobody-at-all-here")
    assert ei.value.code == -32001
    r = rpc.call("emit", event="e4", channel="blue", **{"except": b.sid})
    assert r["recipients"] == 1
    assert hear("e4") == [1, 0, 0, 0]
    # bad lists are refused
    for bad in ({"channel": []}, {"to": [a.sid, 3]}, {"except": [None]},
                {"channel": ["red"], "to": [a.sid]}, {"volatile": "yes"}):
        with pytest.raises(RpcError) as ei:
            rpc.call("emit", event="x", **bad)
        assert ei.value.code == -32602
    with pytest.raises(RpcError) as ei:
        rpc.call("emit", event="x", channel=["red", "r\u0000x"])
    assert ei.value.code == -32602


def test_rpc_emit_ack_to_sid_list(daemon, clients):
    d = daemon()
    rpc = d.rpc()
    a, b = clients("py", d), clients("py", d)
    r = rpc.call("emit", event="ping", to=[a.sid, b.sid], ack=True,
                 timeout=3000)
    assert r["recipients"] == 2
    assert sorted(r["acks"]) == sorted([a.sid, b.sid])
