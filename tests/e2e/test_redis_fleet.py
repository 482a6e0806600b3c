"""Scale-out (issue 17, item 5): the control RPC covers the fleet. With
--redis, sessions, session, channels, emit, join, leave and disconnect
mean the whole fleet unless "local": true, asking the other nodes with
@socket.io/redis-adapter's requests, as a Node node's fetchSockets(),
socketsJoin() or emitWithAck() would. The other node here is Node
socket.io 4.8 with the adapter 8.3, which answers every request."""

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from e2e_lib import RpcError, node_modules_dir, wait_until
from test_observe import admin_daemon, sample, scrape
from test_redis import NodePeer, Url, joined, redis  # noqa: F401 (fixture)

PEER = Path(__file__).resolve().parent / "node" / "fleet-peer.js"


class FleetPeer(NodePeer):
    """tests/e2e/node/fleet-peer.js: Node socket.io + redis-adapter."""

    def __init__(self, redis, workdir):
        env = dict(os.environ, REDIS_URL=redis.url, PORT="0",
                   NODE_PATH=node_modules_dir())
        self.err = open(Path(workdir) / "fleet-peer.stderr", "wb")
        self.proc = subprocess.Popen(["node", str(PEER)], env=env,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err)
        self.lines = []
        self.cond = threading.Condition()
        self.req = 0
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.wait(lambda m: m["ev"] in ("ready", "fatal"))
        assert ready["ev"] == "ready", ready
        self.url = "http://127.0.0.1:%d" % ready["port"]

    def rooms(self, sid, nsp="/"):
        """The socket's rooms as Node sees them (None: not there)."""
        self.req += 1
        c = dict(req=self.req, cmd="rooms", nsp=nsp, sid=sid)
        self.proc.stdin.write((json.dumps(c) + "\n").encode())
        self.proc.stdin.flush()
        m = self.wait(lambda m: m.get("req") == c["req"])
        assert m["ev"] == "done", m
        return m["rooms"]

    def close(self):
        try:
            os.kill(self.proc.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        super().close()


@pytest.fixture
def fleet(daemon, redis, tmp_path, clients):  # noqa: F811
    """socketiod (two clients, a in lobby) and a Node node (two clients,
    n1 in lobby and /admin's n3 in staff) on one Redis."""
    peers = []

    class Fleet:
        pass

    f = Fleet()
    f.redis = redis
    f.d = admin_daemon(daemon, "--redis", redis.url,
                       "--redis-requests-timeout", "1500")
    f.rpc = joined(f.d)
    f.peer = FleetPeer(redis, tmp_path)
    peers.append(f.peer)
    node = Url(f.peer.url)
    f.a, f.b = clients("v4", f.d), clients("v4", f.d)
    f.n1, f.n2 = clients("v4", node), clients("v4", node)
    f.n3 = clients("v4", node, "/admin")
    assert f.a.subscribe("lobby") == [None, "lobby"]
    assert f.n1.subscribe("lobby") == [None, "lobby"]
    assert f.n3.subscribe("staff") == [None, "staff"]
    f.uid = f.rpc.call("stats")["redis"]["uid"]
    yield f
    for p in peers:
        p.close()


def by_sid(sessions):
    return {s["sid"]: s for s in sessions}


def test_sessions_span_the_fleet(fleet):
    f = fleet
    t0 = time.monotonic()
    r = f.rpc.call("sessions")
    assert time.monotonic() - t0 < 1.4  # every node answered: no waiting
    assert "incomplete" not in r
    s = by_sid(r["sessions"])
    # this node's sockets, and Node's in "/" and in /admin (a namespace
    # this node has no socket of is asked when named)
    assert set(s) == {f.a.sid, f.b.sid, f.n1.sid, f.n2.sid}
    assert s[f.a.sid]["node"] == f.uid and s[f.b.sid]["node"] == f.uid
    assert s[f.n1.sid]["node"] is None  # Node's answers do not say
    assert s[f.n1.sid]["channels"] == ["lobby"]
    assert s[f.n2.sid]["channels"] == []
    assert s[f.n1.sid]["namespace"] == "/"
    assert s[f.n1.sid]["remote_addr"].endswith("127.0.0.1")
    assert abs(s[f.n1.sid]["connected_at"] - time.time()) < 120
    r = f.rpc.call("sessions", namespace="/admin")
    assert [x["sid"] for x in r["sessions"]] == [f.n3.sid]
    assert r["sessions"][0]["channels"] == ["staff"]
    # filtered by channel, across nodes
    r = f.rpc.call("sessions", channel="lobby")
    assert sorted(x["sid"] for x in r["sessions"]) == \
        sorted([f.a.sid, f.n1.sid])
    # "local": this node only
    r = f.rpc.call("sessions", local=True)
    assert sorted(x["sid"] for x in r["sessions"]) == \
        sorted([f.a.sid, f.b.sid])
    st = f.rpc.call("stats")["cluster"]
    assert st["uid"] == f.uid and st["nodes"] == 2
    assert st["requests"] >= 3 and st["pending"] == 0
    # the same counters for Prometheus, one node's each (it sums them)
    fams, _ = scrape(f.d)
    assert sample(fams, "socketiod_cluster_nodes") == 2
    assert sample(fams, "socketiod_cluster_requests_total") >= 3
    assert sample(fams, "socketiod_cluster_pending") == 0


def test_session_and_channels_of_the_fleet(fleet):
    f = fleet
    r = f.rpc.call("session", sid=f.n1.sid)
    assert r["session"]["sid"] == f.n1.sid
    assert r["session"]["channels"] == ["lobby"]
    assert f.rpc.call("session", sid=f.n3.sid,
                      namespace="/admin")["session"]["channels"] == ["staff"]
    with pytest.raises(RpcError) as ei:
        f.rpc.call("session", sid=f.n1.sid, local=True)
    assert ei.value.code == -32001
    with pytest.raises(RpcError) as ei:
        f.rpc.call("session", sid="nobody-anywhere")
    assert ei.value.code == -32001
    chans = {(c["namespace"], c["name"]): c["members"]
             for c in f.rpc.call("channels")["channels"]}
    assert chans == {("/", "lobby"): 2}
    chans = {(c["namespace"], c["name"]): c["members"]
             for c in f.rpc.call("channels", local=True)["channels"]}
    assert chans == {("/", "lobby"): 1}
    assert f.rpc.call("channels", namespace="/admin")["channels"] == [
        {"namespace": "/admin", "name": "staff", "members": 1}]


def test_emit_join_leave_disconnect_of_a_node_socket(fleet):
    f = fleet
    # emit and send to a Node sid: a broadcast to its room of one
    r = f.rpc.call("emit", event="hi", args=[1, "x"], to=f.n2.sid)
    assert r == {"recipients": 0, "published": True}
    assert f.n2.wait_event("hi") == [1, "x"]
    f.rpc.call("send", message="note", to=f.n2.sid)
    assert f.n2.wait_event("message") == ["note"]
    assert f.n1.events("hi") == [] and f.a.events("hi") == []
    with pytest.raises(RpcError) as ei:
        f.rpc.call("emit", event="hi", to=f.n2.sid, local=True)
    assert ei.value.code == -32001
    # join: Node's socket.rooms shows it, and an emit to the channel
    # reaches it
    r = f.rpc.call("join", sid=f.n2.sid, channel="vip")
    assert r == {"sid": f.n2.sid, "remote": True}
    assert sorted(f.peer.rooms(f.n2.sid)) == sorted([f.n2.sid, "vip"])
    f.rpc.call("emit", event="vip-news", args=[7], channel="vip")
    assert f.n2.wait_event("vip-news") == [7]
    assert f.rpc.call("session", sid=f.n2.sid)["session"]["channels"] == \
        ["vip"]
    r = f.rpc.call("leave", sid=f.n2.sid, channel="vip")
    assert r == {"sid": f.n2.sid, "remote": True}
    assert f.peer.rooms(f.n2.sid) == [f.n2.sid]
    # an unknown sid: nobody answers, -32001 after the bounded wait
    t0 = time.monotonic()
    with pytest.raises(RpcError) as ei:
        f.rpc.call("join", sid="nobody-anywhere", channel="vip")
    assert ei.value.code == -32001
    assert 1.3 < time.monotonic() - t0 < 10
    # disconnect
    r = f.rpc.call("disconnect", sid=f.n2.sid)
    assert r == {"sid": f.n2.sid, "remote": True}
    f.n2.wait_disconnect()
    assert f.peer.rooms(f.n2.sid) is None
    with pytest.raises(RpcError) as ei:
        f.rpc.call("disconnect", sid=f.n1.sid, local=True)
    assert ei.value.code == -32001


def test_emit_with_ack_collects_node_clients_acks(fleet):
    f = fleet
    t0 = time.monotonic()
    r = f.rpc.call("emit", event="ping", args=[1], ack=True, timeout=8000)
    # every client answered: no waiting for the timeout
    assert time.monotonic() - t0 < 7
    assert r["recipients"] == 4
    assert sorted(r["acks"]) == sorted([f.a.sid, f.b.sid])
    assert r["timeouts"] == []
    assert sorted(r["remote_acks"]) == sorted(
        [["ack:" + f.n1.cid], ["ack:" + f.n2.cid]])
    assert r["remote_timeouts"] == 0
    assert "incomplete" not in r
    # to a channel; a client that does not answer is a remote timeout
    f.n1.set_ack_reply(None, noack=True)
    r = f.rpc.call("emit", event="ping2", channel="lobby", ack=True,
                   timeout=1500)
    assert r["recipients"] == 2
    assert list(r["acks"]) == [f.a.sid]
    assert r["remote_acks"] == [] and r["remote_timeouts"] == 1
    # to one Node socket
    r = f.rpc.call("emit", event="ping3", to=f.n2.sid, ack=True,
                   timeout=3000)
    assert r == {"recipients": 1, "args": ["ack:" + f.n2.cid]}
    with pytest.raises(RpcError) as ei:
        f.rpc.call("emit", event="ping4", to=f.n1.sid, ack=True,
                   timeout=1000)
    assert ei.value.code == -32002  # there, but silent
    # local: this node's clients only
    r = f.rpc.call("emit", event="ping5", ack=True, local=True,
                   timeout=3000)
    assert r["recipients"] == 2 and "remote_acks" not in r
    # a channel with no member here (the hub answers its part at once)
    r = f.rpc.call("emit", event="ping6", channel="staff",
                   namespace="/admin", ack=True, timeout=3000)
    assert r == {"recipients": 1, "acks": {}, "timeouts": [],
                 "remote_acks": [["ack:" + f.n3.cid]], "remote_timeouts": 0}
    r = f.rpc.call("emit", event="ping7", channel="staff", ack=True,
                   local=True, timeout=3000)
    assert r == {"recipients": 0, "acks": {}, "timeouts": []}


def test_stopped_node_and_redis_down(fleet):
    f = fleet
    os.kill(f.peer.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        r = f.rpc.call("sessions")
        took = time.monotonic() - t0
        assert r["incomplete"] is True
        assert 1.3 < took < 10  # --redis-requests-timeout 1500
        assert sorted(x["sid"] for x in r["sessions"]) == \
            sorted([f.a.sid, f.b.sid])
        assert f.rpc.call("stats")["cluster"]["incomplete"] >= 1
    finally:
        os.kill(f.peer.proc.pid, signal.SIGCONT)
    # Node is back: complete again
    r = f.rpc.call("sessions")
    assert "incomplete" not in r and len(r["sessions"]) == 4
    f.redis.stop()
    wait_until(lambda: not f.rpc.call("stats")["redis"]["connected"],
               timeout=10, what="socketiod sees Redis gone")
    for method in ("sessions", "channels"):
        t0 = time.monotonic()
        r = f.rpc.call(method)
        assert time.monotonic() - t0 < 1  # at once
        assert r["incomplete"] is True
    assert sorted(x["sid"] for x in f.rpc.call("sessions")["sessions"]) == \
        sorted([f.a.sid, f.b.sid])
    r = f.rpc.call("emit", event="ping", ack=True, timeout=3000)
    assert r["recipients"] == 2 and r["incomplete"] is True
    with pytest.raises(RpcError) as ei:
        f.rpc.call("join", sid=f.n1.sid, channel="x")
    assert ei.value.code == -32001


def socketioctl(d, *args):
    exe = os.environ.get("SOCKETIOCTL", "build-asan/socketioctl")
    return subprocess.run([exe, "-s", d.rpc_path] + list(args),
                          capture_output=True, text=True, timeout=30)


def test_socketioctl_shows_each_sessions_node(fleet):
    f = fleet
    p = socketioctl(f.d, "sessions")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split()[-1] == "NODE"
    rows = {ln.split()[0]: ln.split()[-1] for ln in lines[1:]}
    assert rows == {f.a.sid: f.uid, f.b.sid: f.uid, f.n1.sid: "-",
                    f.n2.sid: "-"}
    p = socketioctl(f.d, "sessions", "--local")
    assert sorted(ln.split()[0] for ln in p.stdout.splitlines()[1:]) == \
        sorted([f.a.sid, f.b.sid])
    p = socketioctl(f.d, "join", f.n2.sid, "vip")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "%s (on another node): done\n" % f.n2.sid
    assert "vip" in f.peer.rooms(f.n2.sid)
    p = socketioctl(f.d, "join", f.n2.sid, "vip2", "--local")
    assert p.returncode == 1


def test_a_channel_subscribed_and_matched_is_read_once(daemon, redis,  # noqa
                                                       clients):
    """A channel this node subscribes to exactly and also matches by a
    pattern (here python-socketio's channel named inside "socket.io#*";
    tomorrow a namespace's request channel inside "socket.io-request#*")
    comes twice from Redis: it is handled once."""
    d = daemon("--redis", redis.url, "--redis-python-channel",
               "socket.io#/#py#")
    rpc = joined(d)
    k = clients("v4", d)
    redis.command("PUBLISH", "socket.io#/#py#", json.dumps(
        {"method": "emit", "event": "once", "data": 1, "namespace": "/"}))
    redis.command("PUBLISH", "socket.io#/#py#", json.dumps(
        {"method": "emit", "event": "end", "data": None, "namespace": "/"}))
    k.wait_event("end")
    assert k.events("once") == [[1]]
    assert rpc.call("stats")["redis"]["python"] == 2


def test_hostile_answers_dropped_and_counted(fleet):
    """Anyone who can publish on Redis can answer: malformed answers are
    dropped and counted, answers to no request of ours too, and the calls
    go on."""
    f = fleet
    bad = [b"", b"{", b"{}", b"\xc1", b"[1]", b'{"requestId":""}',
           b'{"requestId":"x","sockets":{}}',
           b'{"requestId":"x","sockets":[{"id":"a\\u0000b"}]}',
           b'{"requestId":"x","type":8,"clientCount":-5}',
           b"\x83\xa4type\x09\xa9requestId\xa1z\xa6packet",
           b"\x91" * 200 + b"\xc0"]
    for m in bad:
        assert f.redis.command("PUBLISH", "socket.io-response#/#", m) \
            is not None
    f.redis.command("PUBLISH", "socket.io-response#/#" + f.uid + "#",
                    b'{"requestId":"nobody-asked","sockets":[]}')
    wait_until(lambda: f.rpc.call("stats")["cluster"]["malformed"] ==
               len(bad) and f.rpc.call("stats")["cluster"]["unknown"] >= 1,
               timeout=5, what="answers counted")
    r = f.rpc.call("sessions")
    assert "incomplete" not in r and len(r["sessions"]) == 4
    f.d.assert_alive()
