"""Scale-out (issue 17): the hub's audience through the RPC (lists of
channels, sids and except-rooms), and Redis interop with Node socket.io's
@socket.io/redis-adapter and @socket.io/redis-emitter."""

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from e2e_lib import (RpcError, b64, free_port, node_modules_dir, wait_until)

HERE = Path(__file__).resolve().parent
PEER = HERE / "node" / "redis-peer.js"


# ---- peers ----------------------------------------------------------------

class Redis:
    """redis-server on a free loopback port, no persistence."""

    def __init__(self, workdir, *extra):
        self.extra = list(extra)
        self.port = free_port()
        self.workdir = Path(workdir)
        self.url = "redis://127.0.0.1:%d" % self.port
        self.proc = None
        self.start()

    def start(self):
        self.log = open(self.workdir / ("redis-%d.log" % self.port), "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
            + self.extra,
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.command("PING") in (b"+PONG", b"-NOAUTH "
                   b"Authentication required."), timeout=10,
                   what="redis-server up")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()

    def command(self, *args):
        """One command (bytes or str arguments); the reply's first line
        (or None when Redis cannot be reached)."""
        req = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            req += b"$%d\r\n%s\r\n" % (len(a), a)
        try:
            with socket.create_connection(("127.0.0.1", self.port), 2) as s:
                s.sendall(req)
                return s.recv(65536).split(b"\r\n")[0]
        except OSError:
            return None


@pytest.fixture
def redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed (scripts/setup.sh)")
    r = Redis(tmp_path)
    yield r
    r.stop()


class NodePeer:
    """tests/e2e/node/redis-peer.js: Node socket.io + redis-adapter, and a
    redis-emitter."""

    def __init__(self, redis, workdir):
        env = dict(os.environ, REDIS_URL=redis.url, PORT="0",
                   NODE_PATH=node_modules_dir())
        self.err = open(Path(workdir) / "redis-peer.stderr", "wb")
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

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(json.loads(line))
                self.cond.notify_all()

    def wait(self, pred, timeout=15):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for m in self.lines:
                    if pred(m):
                        return m
                left = end - time.monotonic()
                assert left > 0, "redis-peer: no answer; %r" % self.lines
                self.cond.wait(left)

    def emit(self, event, *args, via="server", nsp="/", to=(), excl=(),
             volatile=False):
        self.req += 1
        cmd = dict(req=self.req, cmd="emit", via=via, nsp=nsp, event=event,
                   args=list(args), to=list(to), volatile=volatile,
                   **{"except": list(excl)})
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()
        m = self.wait(lambda m: m.get("req") == cmd["req"])
        assert m["ev"] == "done", m

    def command(self, cmd, via="server", nsp="/", to=(), excl=(), **kw):
        self.req += 1
        c = dict(req=self.req, cmd=cmd, via=via, nsp=nsp, to=list(to),
                 **{"except": list(excl)}, **kw)
        self.proc.stdin.write((json.dumps(c) + "\n").encode())
        self.proc.stdin.flush()
        m = self.wait(lambda m: m.get("req") == c["req"])
        assert m["ev"] == "done", m

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.err.close()


@pytest.fixture
def node_peer(redis, tmp_path):
    peers = []

    def start():
        peers.append(NodePeer(redis, tmp_path))
        return peers[-1]

    yield start
    for p in peers:
        p.close()


class Url:
    def __init__(self, url):
        self.url = url


def redis_stats(rpc):
    return rpc.call("stats")["redis"]


def joined(d, *args):
    """A daemon in the fleet, its Redis connections up."""
    rpc = d.rpc()
    wait_until(lambda: redis_stats(rpc)["connected"], timeout=10,
               what="socketiod connected to Redis")
    return rpc


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


# ---- Redis: both ways -------------------------------------------------------

# What the broadcasts carry: the captured example of docs/scale-out.md, a
# unicode string and binary (compared byte for byte).
ARGS = [1, "x", 2.5, None, {"k": [True]}, "h\u00e9\u20ac\U0001f600",
        {"_binary": b64(bytes(range(256)))}]


def test_node_broadcasts_reach_socketiod_clients(daemon, redis, node_peer,
                                                  clients):
    d = daemon("--redis", redis.url)
    rpc = joined(d)
    peer = node_peer()
    # The same audience on both sides: in lobby, not in lobby, /admin.
    ours = [clients("v4", d) for _ in range(2)] + [clients("v4", d, "/admin")]
    theirs = [clients("v4", Url(peer.url)) for _ in range(2)] + \
        [clients("v4", Url(peer.url), "/admin")]
    for side in (ours, theirs):
        assert side[0].subscribe("lobby") == [None, "lobby"]
    # socket.io-client 2.x (Engine.IO v3) and python-socketio, outside lobby
    others = [clients("v2", d), clients("py", d)]
    cases = [
        ("all", {}, [1, 1, 0]),
        ("room", {"to": ["lobby"]}, [1, 0, 0]),
        ("except", {"excl": ["lobby"]}, [0, 1, 0]),
        ("rooms", {"to": ["lobby", "nobody"]}, [1, 0, 0]),
        ("admin", {"nsp": "/admin"}, [0, 0, 1]),
        ("volatile", {"volatile": True}, None),
    ]
    for via in ("server", "emitter"):
        for name, kw, want in cases:
            peer.emit(via + "-" + name, *ARGS, via=via, **kw)
        # to one socket of ours, by its sid (a room of one)
        peer.emit(via + "-sid", *ARGS, via=via, to=[ours[1].sid])
        peer.emit(via + "-end", via=via)
        peer.emit(via + "-end", via=via, nsp="/admin")
        for k in ours + theirs + others:
            k.wait_event(via + "-end")
        for k in others:
            assert [len(k.events(via + "-" + name))
                    for name in ("all", "room", "except", "admin")] == \
                [1, 0, 1, 0], (via, k)
            assert k.events(via + "-all") == [ARGS], (via, k)
        for name, kw, want in cases:
            if want is None:
                continue
            got = [len(k.events(via + "-" + name)) for k in ours]
            assert got == want, (via, name, got)
            node = [len(k.events(via + "-" + name)) for k in theirs]
            assert node == want, (via, name, node)
        assert ours[0].events(via + "-all") == [ARGS]
        assert ours[0].events(via + "-all") == theirs[0].events(via + "-all")
        assert [len(k.events(via + "-sid")) for k in ours] == [0, 1, 0]
    st = redis_stats(rpc)
    assert st["received"] >= 2 * (len(cases) + 1)
    assert st["malformed"] == 0


def test_socketiod_emits_reach_node_clients(daemon, redis, node_peer,
                                            clients):
    d = daemon("--redis", redis.url, "--relay")
    rpc = joined(d)
    peer = node_peer()
    n_lobby, n_other = (clients("v4", Url(peer.url)) for _ in range(2))
    n_admin = clients("v4", Url(peer.url), "/admin")
    ours = clients("v4", d)
    n_lobby.subscribe("lobby")
    ours.subscribe("lobby")
    rpc.call("emit", event="all", args=ARGS)
    rpc.call("emit", event="room", args=ARGS, channel="lobby")
    rpc.call("emit", event="rooms", args=ARGS, channel=["lobby", "x"])
    rpc.call("emit", event="except", args=ARGS, **{"except": "lobby"})
    rpc.call("emit", event="admin", args=ARGS, namespace="/admin")
    assert "published" not in rpc.call("emit", event="local", args=ARGS,
                                       local=True)
    # to a Node socket: unknown here, published to its room of one
    # (test_redis_fleet.py)
    assert rpc.call("emit", event="x", to=n_other.sid) == {
        "recipients": 0, "published": True}
    # relay: a socketiod client's event reaches Node's members of its
    # channels, not the sender
    assert ours.emit("chat", "hello", {"_binary": b64(b"\x00\xff")},
                     ack=True) == [0]  # no other member here
    rpc.call("emit", event="end")
    rpc.call("emit", event="end", namespace="/admin")
    for k in (n_lobby, n_other, n_admin):
        k.wait_event("end")
    assert n_lobby.events("all") == [ARGS] and n_other.events("all") == [ARGS]
    assert n_lobby.events("room") == [ARGS] and n_other.events("room") == []
    assert n_lobby.events("rooms") == [ARGS] and n_other.events("rooms") == []
    assert n_lobby.events("except") == [] and \
        n_other.events("except") == [ARGS]
    assert n_admin.events("admin") == [ARGS] and n_lobby.events("admin") == []
    assert n_lobby.events("local") == [] and n_other.events("local") == []
    assert n_lobby.events("chat") == [["hello", {"_binary": b64(b"\x00\xff")}]]
    assert n_other.events("chat") == []
    st = redis_stats(rpc)
    assert st["published"] >= 7 and st["own"] >= 7


def test_socketiod_nodes_and_redis_restart(daemon, redis, clients):
    a = daemon("--redis", redis.url, "--redis-outbox", "0")  # no replay
    b = daemon("--redis", redis.url, "--redis-timeout", "1000")
    ra, rb = joined(a), joined(b)
    ka, kb = clients("v4", a), clients("v4", b)
    assert ra.call("emit", event="one", args=[1])["recipients"] == 1
    assert kb.wait_event("one") == [1] and ka.wait_event("one") == [1]
    redis.stop()
    # Redis down: local delivery goes on, nothing is published
    wait_until(lambda: not redis_stats(ra)["connected"], timeout=10,
               what="socketiod sees Redis gone")
    assert ra.call("emit", event="two") == {"recipients": 1,
                                            "published": False,
                                            "queued": False}
    ka.wait_event("two")
    assert redis_stats(ra)["unpublished"] >= 1
    redis.start()
    t0 = time.monotonic()
    wait_until(lambda: redis_stats(ra)["connected"] and
               redis_stats(rb)["connected"], timeout=10,
               what="both nodes back on Redis")
    assert time.monotonic() - t0 < 4  # backoff tops at 1 s
    # resubscribed: cross-node delivery is back
    assert ra.call("emit", event="three")["published"] is True
    kb.wait_event("three")
    assert kb.events("two") == []


def test_bad_bus_messages_dropped_and_counted(daemon, redis, clients):
    d = daemon("--redis", redis.url, "--redis-max-message", "4096")
    rpc = joined(d)
    k = clients("v4", d)
    good = bytes.fromhex("93a6") + b"Mo1pRo" + bytes.fromhex(
        "83a474797065 02 a464617461 92a26531 01 a36e7370 a12f"
        " 83a5726f6f6d7390 a6657863657074 90 a5666c61677380".replace(" ", ""))
    bad = [b"", b"\x93", b"{}", good[:-3], b"\xc1" * 10,
           good.replace(b"\xa1/", b"\xa1x"),  # nsp without '/'
           bytes.fromhex("dd7fffffff"),  # array count past the end
           b"\x91" * 200 + b"\xc0",  # too deep
           good.replace(b"\xa2e1", b"\xa2\x00\x01")]  # event name NUL
    for m in bad:
        assert redis.command("PUBLISH", "socket.io#/#", m) is not None
    redis.command("PUBLISH", "socket.io#/#", good + b"\x00" * 5000)
    redis.command("PUBLISH", "socket.io#/#", good)
    assert k.wait_event("e1") == [1]
    st = redis_stats(rpc)
    assert st["malformed"] == len(bad)
    assert st["oversized"] == 1
    assert st["received"] == 1
    d.assert_alive()


def test_redis_url_refused_without_the_password(tmp_path):
    exe = os.environ.get("SOCKETIOD", "build-asan/socketiod")
    p = subprocess.run([exe, "--listen", "127.0.0.1:0", "--redis",
                        "redis://u:s3cr3t@host:99999/0"],
                       capture_output=True, timeout=30)
    assert p.returncode != 0
    assert b"the port is 1 to 65535" in p.stderr
    assert b"s3cr3t" not in p.stderr


@pytest.mark.parametrize("via", ["server", "emitter"])
def test_node_sockets_join_leave_disconnect(daemon, redis, node_peer,
                                            clients, via):
    d = daemon("--redis", redis.url)
    rpc = joined(d)
    peer = node_peer()
    a, b, c = (clients("v4", d) for _ in range(3))
    a.subscribe("lobby")
    b.subscribe("lobby")

    def channels(k):
        return sorted(rpc.call("session", sid=k.sid)["session"]["channels"])

    # socketsJoin of lobby less b, then socketsLeave of a: socketiod's
    # sockets move as a Node node's would
    peer.command("socketsJoin", via=via, to=["lobby"], excl=[b.sid],
                 rooms=["vip", "x"])
    wait_until(lambda: channels(a) == ["lobby", "vip", "x"], timeout=5,
               what="socketsJoin applied")
    assert channels(b) == ["lobby"] and channels(c) == []
    peer.command("socketsLeave", via=via, to=[a.sid], rooms=["x"])
    wait_until(lambda: channels(a) == ["lobby", "vip"], timeout=5,
               what="socketsLeave applied")
    # disconnectSockets of vip: a leaves the namespace, its connection stays
    # with close=false; c's connection closes with close=true
    peer.command("disconnectSockets", via=via, to=["vip"])
    a.wait_disconnect()
    peer.command("disconnectSockets", via=via, to=[c.sid], close=True)
    c.wait_disconnect()
    assert sorted(s["sid"] for s in rpc.call("sessions")["sessions"]) == \
        [b.sid]
    assert redis_stats(rpc)["requests"] == 4


def test_acl_user_and_unix_socket(daemon, tmp_path, clients):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed (scripts/setup.sh)")
    path = str(tmp_path / "redis.sock")
    r = Redis(tmp_path, "--unixsocket", path, "--unixsocketperm", "700",
              "--user", "default", "off", "--user", "ann", "on", ">s3cr3t",
              "~*", "&*", "+@all")
    try:
        d = daemon("-v", "--redis", "unix://ann:s3cr3t@%s?db=1" % path)
        rpc = joined(d)
        k = clients("v4", d)
        rpc.call("emit", event="hi")
        k.wait_event("hi")
        # our own broadcast came back through Redis: published and read
        wait_until(lambda: redis_stats(rpc)["own"] == 1, timeout=5,
                   what="own echo")
        bad = daemon("-v", "--redis", "unix://ann:wrong-pw@%s" % path)
        rb = bad.rpc()
        wait_until(lambda: "AUTH or SELECT refused" in bad.stderr(),
                   timeout=10, what="AUTH refused")
        st = redis_stats(rb)
        assert not st["connected"] and st["connects"] == 0
        for x in (d, bad):
            assert "s3cr3t" not in x.stderr() and "wrong-pw" not in x.stderr()
    finally:
        r.stop()


def test_python_socketio_json_and_pickles(daemon, redis, clients):
    """python-socketio's RedisManager: its JSON form (5.14+) is delivered,
    and the pickles of Debian's 5.7.2 (more in test_redis_python.py)."""
    socketio = pytest.importorskip("socketio")
    pytest.importorskip("redis")
    d = daemon("--redis", redis.url, "--redis-python-channel", "socketio")
    rpc = joined(d)
    a, b = clients("v4", d), clients("v4", d)
    a.subscribe("lobby")
    # Debian 5.7.2's write-only emitter publishes a pickle
    mgr = socketio.RedisManager(redis.url, write_only=True)
    mgr.emit("pickled", {"x": 1}, namespace="/")
    wait_until(lambda: redis_stats(rpc)["python"] == 1, timeout=5,
               what="pickle delivered")
    # the JSON form, as python-socketio 5.14 publishes it
    for m in [
        {"method": "emit", "event": "p1", "data": {"k": [1, "\u00e9"]},
         "namespace": "/", "room": None, "skip_sid": None, "callback": None,
         "host_id": "h"},
        {"method": "emit", "event": "p2", "data": [1, 2], "namespace": "/",
         "room": "lobby", "skip_sid": None, "callback": None},
        {"method": "emit", "event": "p3", "data": None, "namespace": "/",
         "room": None, "skip_sid": [a.sid]},
        {"method": "close_room", "room": "lobby", "namespace": "/"},
    ]:
        redis.command("PUBLISH", "socketio", json.dumps(m))
    redis.command("PUBLISH", "socketio", json.dumps(
        {"method": "emit", "event": "end", "data": None}))
    for k in (a, b):
        k.wait_event("end")
    assert a.events("p1") == [[{"k": [1, "\u00e9"]}]] == b.events("p1")
    assert a.events("p2") == [[[1, 2]]] and b.events("p2") == []
    assert a.events("p3") == [] and b.events("p3") == [[]]
    assert a.events("pickled") == [[{"x": 1}]] == b.events("pickled")
    st = redis_stats(rpc)
    assert st["python"] == 6 and st["malformed"] == 0
    assert st["requests_ignored"] == 0 and st["python_refused"] == 0
