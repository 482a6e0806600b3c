"""python-socketio's RedisManager(write_only=True) from Debian 12
(python3-socketio 5.7.2, which publishes pickles) reaching socketiod's
clients (issue 17), and hostile pickles refused without running anything."""

import os
import pickle
import subprocess
import sys

import pytest

from e2e_lib import b64
from test_redis import joined, redis, redis_stats  # noqa: F401 (fixture)

socketio = pytest.importorskip("socketio")
pytest.importorskip("redis")

CHANNEL = "socketio"


def python_daemon(daemon, redis):
    d = daemon("--redis", redis.url, "--redis-python-channel", CHANNEL)
    return d, joined(d)


def ended(mgr, *ks):
    """Emits "end" everywhere and waits until each client has it: Redis
    and socketiod keep the order, so everything before it was handled."""
    for nsp in sorted({k.namespace for k in ks}):
        mgr.emit("end", None, namespace=nsp)
    for k in ks:
        k.wait_event("end")


def test_write_only_manager_reaches_clients(daemon, redis, clients):
    """What python-socketio's docs show for emitting from an external
    process: emit to everyone, a room, a sid, with skip_sid, in a
    namespace, with bytes; tuples are several arguments."""
    d, rpc = python_daemon(daemon, redis)
    a, b = clients("v4", d), clients("v4", d)
    adm = clients("v4", d, "/admin")
    assert a.subscribe("lobby") == [None, "lobby"]
    mgr = socketio.RedisManager(redis.url, write_only=True,
                                channel=CHANNEL)
    mgr.emit("all", {"k": [1, "\u00e9\u2603\U0001f600", None, True, 2.5,
                           -2 ** 40]})
    mgr.emit("room", "hi", room="lobby")
    mgr.emit("sid", [1, 2], room=b.sid)
    mgr.emit("skip", 7, skip_sid=a.sid)
    mgr.emit("multi", (1, "two", None, {"x": [()]}), namespace="/admin")
    blob = bytes(range(256))
    mgr.emit("bin", (b"\x00\x01\xff", {"blob": blob, "n": [b""]}, "t"))
    mgr.emit("one-bin", blob, room="lobby")
    mgr.emit("rooms", None, room=["lobby", "nobody"])
    mgr.emit("quote", 'a"\\\n\t\x01')
    ended(mgr, a, b, adm)

    full = [{"k": [1, "\u00e9\u2603\U0001f600", None, True, 2.5, -2 ** 40]}]
    assert a.events("all") == [full] == b.events("all")
    assert adm.events("all") == []
    assert a.events("room") == [["hi"]] and b.events("room") == []
    assert b.events("sid") == [[[1, 2]]] and a.events("sid") == []
    assert b.events("skip") == [[7]] and a.events("skip") == []
    assert adm.events("multi") == [[1, "two", None, {"x": [[]]}]]
    assert a.events("multi") == []
    want = [{"_binary": b64(b"\x00\x01\xff")},
            {"blob": {"_binary": b64(blob)}, "n": [{"_binary": ""}]}, "t"]
    assert a.events("bin") == [want] == b.events("bin")
    assert a.events("one-bin") == [[{"_binary": b64(blob)}]]
    assert b.events("one-bin") == []
    assert a.events("rooms") == [[]] and b.events("rooms") == []
    assert a.events("quote") == [['a"\\\n\t\x01']]
    st = redis_stats(rpc)
    assert st["python"] == 9 + 2 and st["python_refused"] == 0
    assert st["malformed"] == 0


def test_write_only_manager_rooms_and_disconnect(daemon, redis, clients):
    """close_room and disconnect from Debian's write-only manager;
    enter_room/leave_room as python-socketio 5.10-5.13 publish them (5.7.2
    cannot: its write-only enter_room is local), pickled by python."""
    d, rpc = python_daemon(daemon, redis)
    a, b = clients("v4", d), clients("v4", d)
    adm = clients("v4", d, "/admin")
    assert a.subscribe("lobby") == [None, "lobby"]
    assert b.subscribe("lobby") == [None, "lobby"]
    mgr = socketio.RedisManager(redis.url, write_only=True,
                                channel=CHANNEL)

    def publish(msg):
        redis.command("PUBLISH", CHANNEL, pickle.dumps(msg))

    publish({"method": "enter_room", "sid": a.sid, "room": "red",
             "namespace": "/", "host_id": "h"})
    # the wrong namespace: python-socketio's receivers check is_connected
    publish({"method": "enter_room", "sid": b.sid, "room": "red",
             "namespace": "/admin", "host_id": "h"})
    mgr.emit("to-red", 1, room="red")
    publish({"method": "leave_room", "sid": a.sid, "room": "red",
             "namespace": "/", "host_id": "h"})
    mgr.emit("to-red-after", 1, room="red")
    mgr.close_room("lobby", namespace="/")
    mgr.emit("to-lobby", 1, room="lobby")
    ended(mgr, a, b, adm)
    assert a.events("to-red") == [[1]] and b.events("to-red") == []
    assert a.events("to-red-after") == []
    assert a.events("to-lobby") == [] and b.events("to-lobby") == []
    assert rpc.call("session", sid=a.sid)["session"]["channels"] == []

    mgr.disconnect(b.sid, namespace="/admin")  # not b's namespace
    mgr.disconnect(adm.sid, namespace="/admin")
    assert adm.wait_disconnect() == "io server disconnect"
    mgr.emit("still", 1)
    a.wait_event("still")
    b.wait_event("still")
    st = redis_stats(rpc)
    assert st["python_refused"] == 0 and st["malformed"] == 0


class Evil:
    """What an attacker who can publish on Redis sends to a python-socketio
    server that unpickles: os.system at load time."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, ("touch " + self.path,))


def test_hostile_pickles_refused_and_run_nothing(daemon, redis, clients,
                                                 tmp_path):
    d, rpc = python_daemon(daemon, redis)
    a = clients("v4", d)
    mgr = socketio.RedisManager(redis.url, write_only=True,
                                channel=CHANNEL)
    # The payload is live: Python's own pickle.loads runs the command.
    proof = tmp_path / "proof"
    subprocess.run([sys.executable, "-c",
                    "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"],
                   input=pickle.dumps(Evil(str(proof))), check=True,
                   timeout=30)
    assert proof.exists()

    marker = tmp_path / "pwned"
    evil = {"method": "emit", "event": "evil", "data": Evil(str(marker)),
            "namespace": "/", "room": None, "skip_sid": None,
            "callback": None, "host_id": "x"}
    good = pickle.dumps({"method": "emit", "event": "good", "data": 1})
    nested = []
    for _ in range(200):
        nested = [nested]
    hostile = [
        pickle.dumps(evil),               # protocol 4: STACK_GLOBAL, REDUCE
        pickle.dumps(evil, protocol=2),   # GLOBAL, REDUCE
        pickle.dumps(Evil(str(marker))),  # the bare object
        good[:-5],                        # cut short
        good[:22] + b"\xff" + good[23:],  # not an opcode
        pickle.dumps({"method": "emit", "event": "deep", "data": nested}),
        pickle.dumps({"method": "emit", "event": "set", "data": {1, 2}}),
        b"\x80\x04\x95" + b"\xff" * 8 + b"N.",  # a frame past the end
    ]
    for h in hostile:
        redis.command("PUBLISH", CHANNEL, h)
    redis.command("PUBLISH", CHANNEL, good)
    assert a.wait_event("good") == [1]
    assert a.events("evil") == [] and a.events("deep") == []
    st = redis_stats(rpc)
    assert st["python_refused"] == len(hostile)
    assert st["python"] == 1
    assert not marker.exists()
    # and socketiod goes on delivering
    mgr.emit("after", "ok")
    assert a.wait_event("after") == ["ok"]
    assert not marker.exists()
    d.assert_alive()
