"""Scale-out (issue 17): socketiod answers the requests of Node socket.io
nodes (@socket.io/redis-adapter 8.3, classic), so their cluster APIs --
fetchSockets, allRooms, serverCount, serverSideEmit(WithAck), emitWithAck
-- see socketiod's sockets, each well before the adapter's 5 s timeout."""

import json
from pathlib import Path
from unittest import mock

import pytest

import test_redis
from test_redis import NodePeer, Url, joined, redis, redis_stats  # noqa: F401
from e2e_lib import b64, wait_until

PEER = Path(__file__).resolve().parent / "node" / "cluster-peer.js"
# Generous: Node gives up at 5 s; an answer takes milliseconds.
FAST_MS = 2000


@pytest.fixture
def peer(redis, tmp_path):  # noqa: F811
    """tests/e2e/node/cluster-peer.js, started as test_redis starts its
    peer."""
    with mock.patch.object(test_redis, "PEER", PEER):
        p = NodePeer(redis, tmp_path)
    yield p
    p.close()


def send(peer, cmd, **kw):
    """Starts a peer command; returns its request number."""
    peer.req += 1
    c = dict(req=peer.req, cmd=cmd, **kw)
    peer.proc.stdin.write((json.dumps(c) + "\n").encode())
    peer.proc.stdin.flush()
    return c["req"]


def ask(peer, cmd, fails=False, req=None, **kw):
    """Runs a peer command (or waits for the one started as `req`);
    returns (value, milliseconds it took), or with `fails` (error message,
    milliseconds)."""
    req = req or send(peer, cmd, **kw)
    m = peer.wait(lambda m: m.get("req") == req, timeout=20)
    assert m["ev"] == ("error" if fails else "done"), m
    return m.get("message") if fails else m["value"], m["ms"]


def fast(peer, cmd, **kw):
    value, ms = ask(peer, cmd, **kw)
    print("%s: %.1f ms" % (cmd, ms))  # shown with pytest -s
    assert ms < FAST_MS, (cmd, ms)
    return value


def stats(rpc):
    return rpc.call("stats")


def fleet(daemon, redis, peer, *args):  # noqa: F811
    """A socketiod in the peer's fleet, counted by the Node node."""
    d = daemon("--redis", redis.url, *args)
    rpc = joined(d)
    wait_until(lambda: ask(peer, "serverCount")[0] == 2, timeout=10,
               what="Node counts socketiod")
    return d, rpc


def test_server_count_fetch_sockets_all_rooms(daemon, redis, peer, clients):
    d, rpc = fleet(daemon, redis, peer)
    a = clients("v4", d, auth={"token": "t-a"})
    b = clients("v4", d)
    n = clients("v4", Url(peer.url))
    assert a.subscribe("lobby") == [None, "lobby"]
    assert n.subscribe("lobby") == [None, "lobby"]
    assert fast(peer, "serverCount") == 2

    socks = {s["id"]: s for s in fast(peer, "fetchSockets")}
    assert set(socks) == {a.sid, b.sid, n.sid}
    assert sorted(socks[a.sid]["rooms"]) == sorted([a.sid, "lobby"])
    assert socks[b.sid]["rooms"] == [b.sid]
    hs = socks[a.sid]["handshake"]
    assert hs["address"] == "127.0.0.1" and hs["secure"] is False
    assert hs["query"]["EIO"] == "4"
    assert hs["query"]["transport"] == "websocket"
    assert hs["url"].startswith("/socket.io/?") and "EIO=4" in hs["url"]
    assert isinstance(hs["issued"], int) and "GMT" in hs["time"]
    assert "cookie" not in hs["headers"]
    assert socks[a.sid]["data"] == {}
    # Node's own socket, for comparison: the same shape
    assert set(socks[n.sid]["handshake"]) <= set(hs) | {"headers"}

    lobby = fast(peer, "fetchSockets", to=["lobby"])
    assert sorted(s["id"] for s in lobby) == sorted([a.sid, n.sid])
    rest = fast(peer, "fetchSockets", **{"except": ["lobby"]})
    assert [s["id"] for s in rest] == [b.sid]
    one = fast(peer, "fetchSockets", to=[b.sid])
    assert [s["id"] for s in one] == [b.sid]

    rooms = fast(peer, "allRooms")
    assert {"lobby", a.sid, b.sid, n.sid} <= set(rooms)

    # a namespace the hub creates later is subscribed and answered too
    c = clients("v4", d, "/admin")
    wait_until(lambda: ask(peer, "serverCount", nsp="/admin")[0] == 2,
               timeout=10, what="Node counts socketiod in /admin")
    admin = fast(peer, "fetchSockets", nsp="/admin")
    assert [s["id"] for s in admin] == [c.sid]
    assert c.sid in fast(peer, "allRooms", nsp="/admin")
    st = stats(rpc)
    assert st["redis_answers"] == 7 and st["redis_answers_dropped"] == 0


def test_server_side_emit_with_and_without_ack(daemon, redis, peer):
    d, rpc = fleet(daemon, redis, peer)
    assert fast(peer, "serverSideEmit", event="hello", args=[1]) is None
    wait_until(lambda: stats(rpc)["redis_server_side_emits"] == 1,
               timeout=5, what="serverSideEmit seen")
    # socketiod has no server-side handler: its ack is null, at once
    got = fast(peer, "serverSideEmit", event="hello", args=[2], ack=True)
    assert got == [None]
    assert stats(rpc)["redis_server_side_emits"] == 2


def test_emit_with_ack_gets_socketiod_clients_acks(daemon, redis, peer, clients):
    d, rpc = fleet(daemon, redis, peer)
    a = clients("v4", d, ack_reply=["from-a", 1])
    b = clients("v4", d, ack_reply=[{"k": [True, None]}])
    n = clients("v4", Url(peer.url), ack_reply=["from-n"])
    py = clients("py", d, ack_reply=["from-py"])
    assert a.subscribe("lobby") == [None, "lobby"]
    assert n.subscribe("lobby") == [None, "lobby"]

    got = fast(peer, "emitWithAck", event="ping", args=[1, "x"], timeout=3000)
    # only the first argument of an ack crosses nodes (as between Node nodes)
    assert sorted(map(json.dumps, got)) == sorted(map(json.dumps, [
        "from-a", {"k": [True, None]}, "from-n", "from-py"]))
    for k in (a, b, py):
        assert k.events("ping")[-1] == [1, "x"]
    got = fast(peer, "emitWithAck", event="ping", args=[2], to=["lobby"],
               timeout=3000)
    assert sorted(got) == ["from-a", "from-n"]
    # binary both ways: the event's Buffer reaches socketiod's client as an
    # attachment, its binary ack reaches Node as a Buffer
    a.set_ack_reply([{"_binary": b64(b"\x00\xffack")}])
    got = fast(peer, "emitWithAck", event="bin", args=[{"_binary":
               b64(bytes(range(5)))}], to=[a.sid], timeout=3000)
    assert got == [{"type": "Buffer", "data": [0, 255, 97, 99, 107]}]
    assert a.events("bin") == [[{"_binary": b64(bytes(range(5)))}]]
    # a client that never answers: Node reports the timeout
    b.set_ack_reply([], noack=True)
    err, ms = ask(peer, "emitWithAck", fails=True, event="ping", args=[3],
                  to=[b.sid, a.sid], timeout=1000)
    assert "timed out" in err and ms >= 900
    # one that goes away while socketiod waits for its ack: the broadcast
    # ends there (nothing left behind: ASan checks the daemon's exit), Node
    # still times out for want of its ack
    req = send(peer, "emitWithAck", event="ping", args=[4], to=[b.sid, a.sid],
               timeout=2000)
    b.wait_event("ping", pred=lambda args: args == [4])
    b.disconnect()
    err, ms = ask(peer, None, fails=True, req=req)
    assert "timed out" in err
    assert stats(rpc)["redis_answers_dropped"] == 0


def test_legacy_single_socket_requests(daemon, redis, peer, clients):
    d, rpc = fleet(daemon, redis, peer)
    a = clients("v4", d)
    b = clients("v4", d)
    assert a.subscribe("lobby") == [None, "lobby"]

    def request(**req):
        got = fast(peer, "request", request=req, wait=1000)
        return [{k: v for k, v in m.items() if k != "requestId"}
                for m in got]

    # SOCKETS (allSockets of older adapters): both nodes answer
    got = fast(peer, "request", request={"type": 0, "rooms": ["lobby"]},
               count=2)
    assert sorted(m["sockets"] for m in got) == [[], [a.sid]]
    # remoteJoin / remoteLeave of adapter 6.x: the owner answers
    assert request(type=2, sid=b.sid, room="r1") == [{}]
    assert sorted(s["id"] for s in fast(peer, "fetchSockets", to=["r1"])) \
        == [b.sid]
    assert request(type=3, sid=b.sid, room="r1") == [{}]
    assert fast(peer, "fetchSockets", to=["r1"]) == []
    # a socket that is not here: nobody answers (Node's nodes neither)
    assert request(type=2, sid="not-a-socket-of-ours", room="r1") == []
    # remoteDisconnect
    assert request(type=4, sid=b.sid, close=False) == [{}]
    wait_until(lambda: [s["id"] for s in ask(peer, "fetchSockets")[0]]
               == [a.sid], timeout=5, what="b disconnected")


def test_malformed_requests_counted_next_answered(daemon, redis, peer,
                                                  clients):
    d, rpc = fleet(daemon, redis, peer, "--redis-max-message", "65536")
    a = clients("v4", d)
    # /bad: a namespace only socketiod serves (a Node node crashes on some
    # of these: its handlers trust the requests)
    x = clients("v4", d, "/bad")
    wait_until(lambda: ask(peer, "request", nsp="/bad", request={"type": 1},
                           wait=300)[0] != [],
               timeout=10, what="socketiod subscribed to /bad")
    before = redis_stats(rpc)
    bad = [
        "{not json",
        json.dumps({"uid": "x", "requestId": "r", "type": "5"}),
        json.dumps({"uid": "x", "requestId": 7, "type": 5}),
        json.dumps({"uid": "x", "requestId": "r", "type": 5, "opts": []}),
        json.dumps({"uid": "x", "requestId": "r", "type": 0,
                    "rooms": ["r"] * 1000}),
        json.dumps({"uid": "x", "requestId": "r", "type": 1,
                    "extra": [[[[[[]]]]]] * 1 + ["\u0000"]}),
        json.dumps({"uid": "x", "type": 6, "data": []}),
        json.dumps({"uid": "x", "requestId": "r", "type": 7}),
        "\x81\xa4type\x07",
        json.dumps({"uid": "x", "requestId": "r" * 100, "type": 1}),
    ]
    for m in bad:
        fast(peer, "request", nsp="/bad", raw=m, wait=1, count=0)
    fast(peer, "request", nsp="/bad", raw="{" + " " * 100000 + "}", wait=1,
         count=0)
    wait_until(lambda: redis_stats(rpc)["malformed"] -
               before["malformed"] == len(bad), timeout=5,
               what="malformed requests counted")
    wait_until(lambda: redis_stats(rpc)["oversized"] -
               before["oversized"] == 1, timeout=5, what="huge one counted")
    # the next requests are answered, on /bad and on /
    got = fast(peer, "request", nsp="/bad", request={"type": 1})
    assert [sorted(m["rooms"]) for m in got] == [[x.sid]]
    assert [s["id"] for s in fast(peer, "fetchSockets")] == [a.sid]
    assert stats(rpc)["redis_answers_dropped"] == 0


def test_big_answers_cut_to_fit(daemon, redis, peer, node):
    """An answer is cut to what fits under --redis-max-message (at most
    8 MiB): the requester gets part of the list at once rather than
    waiting 5 s for nothing."""
    d, rpc = fleet(daemon, redis, peer, "--redis-max-message", "65536")
    many = node("v4").connect_many("m", 300, d.url)
    assert many["connected"] == 300, many
    # 300 ids fit in 64 KiB...
    rooms = fast(peer, "allRooms")
    assert len(rooms) == 300
    assert stats(rpc)["redis_answers_truncated"] == 0
    # ...300 sockets with their handshakes do not
    socks = fast(peer, "fetchSockets")
    assert 0 < len(socks) < 300
    assert set(s["id"] for s in socks) <= set(rooms)
    assert stats(rpc)["redis_answers_truncated"] == 1
