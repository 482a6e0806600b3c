"""Scale-out under failure (issue 17 item 6): Redis stopped and restarted
mid-run (the outbox replays in order), Redis down at start, the outbox's
bound, ACL users and Unix sockets without a credential in any log, a slow
(SIGSTOPped) and a killed subscriber, hostile bus messages. Real peers: a
second socketiod node and a Node socket.io 4.8 + @socket.io/redis-adapter
node, with socket.io-client 4 clients."""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import time

import pytest
import requests

from e2e_lib import free_port, wait_until
from test_redis import (Redis, Url, joined, node_peer, redis,
                        redis_stats)

__all__ = ["node_peer", "redis"]  # fixtures, used by name


# ---- helpers ----------------------------------------------------------------

class Raw(bytes):
    """A MessagePack str made of these bytes as they are (not UTF-8)."""


def mp(v):
    """A small MessagePack writer, for hand-made bus messages."""
    if v is None:
        return b"\xc0"
    if v is True or v is False:
        return b"\xc3" if v else b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, (str, Raw)):
        b = bytes(v) if isinstance(v, Raw) else v.encode()
        if len(b) < 32:
            return bytes([0xa0 | len(b)]) + b
        return b"\xdb" + struct.pack(">I", len(b)) + b
    if isinstance(v, bytes):
        return b"\xc6" + struct.pack(">I", len(v)) + v
    if isinstance(v, list):
        return b"\xdd" + struct.pack(">I", len(v)) + b"".join(map(mp, v))
    if isinstance(v, dict):
        return b"\xdf" + struct.pack(">I", len(v)) + b"".join(
            mp(k) + mp(x) for k, x in v.items())
    raise TypeError(v)


def broadcast(event, *args, nsp="/", rooms=(), excl=(), uid="emitter"):
    """A classic adapter broadcast, as @socket.io/redis-emitter sends it."""
    return mp([uid, {"type": 2, "data": [event] + list(args), "nsp": nsp},
               {"rooms": list(rooms), "except": list(excl), "flags": {}}])


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def redis_pipeline(port, commands, auth=None):
    """Sends every command on one connection (after AUTH when given) and
    reads as many replies; returns their first lines."""
    if auth:
        commands = [("AUTH",) + tuple(auth)] + list(commands)
    with socket.create_connection(("127.0.0.1", port), 10) as s:
        s.sendall(b"".join(resp(*c) for c in commands))
        data = b""
        while data.count(b"\r\n") < len(commands):
            chunk = s.recv(1 << 20)
            assert chunk, "Redis closed the connection"
            data += chunk
    return data.split(b"\r\n")[:len(commands)]


def numbers(handle, event="m"):
    """The first argument of each `event` a client received, in order."""
    return [a[0] for a in handle.events(event)]


def no_secret(texts, *secrets):
    for name, text in texts.items():
        for s in secrets:
            assert s not in text, "%s shows %r:\n%s" % (name, s, text[-3000:])


# ---- Redis stopped and restarted ----------------------------------------------

@pytest.mark.timeout(120)
def test_outage_replayed_in_order_after_restart(daemon, redis, node_peer,
                                                clients):
    a = daemon("-v", "--redis", redis.url)
    b = daemon("--redis", redis.url)
    ra, rb = joined(a), joined(b)
    peer = node_peer()
    ka, kb = clients("v4", a), clients("v4", b)
    kn = clients("v4", Url(peer.url))
    assert ra.call("emit", event="m", args=[-1])["published"] is True
    for k in (ka, kb, kn):
        k.wait_event("m")

    redis.stop()
    wait_until(lambda: not redis_stats(ra)["connected"], timeout=10,
               what="socketiod sees Redis gone")
    # Redis down: local delivery goes on; each emit is kept
    for i in range(40):
        assert ra.call("emit", event="m", args=[i]) == {
            "recipients": 1, "published": False, "queued": True}
    # volatile: never kept (late is as good as lost for it)
    assert ra.call("emit", event="v", volatile=True) == {
        "recipients": 1, "published": False, "queued": False}
    # local: nothing to publish, nothing said about it
    assert ra.call("emit", event="m", args=[-2], local=True) == {
        "recipients": 1}
    ka.wait_event("m", lambda x: x == [39])
    st = redis_stats(ra)
    assert st["outbox_messages"] == 40 and st["outbox_kept"] == 40
    assert 40 * 48 < st["outbox_bytes"] < 40 * 200
    assert numbers(kb) == [-1] and numbers(kn) == [-1]

    redis.start()
    t0 = time.monotonic()
    # newer emits, made while the outbox waits for its replay or after it,
    # come after everything kept
    wait_until(lambda: redis_stats(ra)["connected"], timeout=10,
               what="socketiod back on Redis")
    for i in range(40, 45):
        r = ra.call("emit", event="m", args=[i])
        assert r["recipients"] == 1 and (r["published"] or r["queued"])
    for k in (kb, kn):
        k.wait_event("m", lambda x: x == [44], timeout=15)
    took = time.monotonic() - t0
    want = [-1] + list(range(45))
    assert numbers(kb) == want
    assert numbers(kn) == want
    assert numbers(ka) == [-1] + list(range(40)) + [-2] + list(range(40, 45))
    assert kb.events("v") == [] and kn.events("v") == []
    print("outbox replayed to both peers %.2f s after the restart" % took)
    assert took < 5, "delivery resumed %.1f s after the restart" % took
    st = redis_stats(ra)
    assert st["outbox_replayed"] >= 40 and st["outbox_dropped"] == 0
    assert st["outbox_messages"] == 0 and st["outbox_bytes"] == 0
    assert st["unpublished"] == 1  # the volatile one
    assert redis_stats(rb)["received"] == 46
    assert "keeping broadcasts" in a.stderr()
    assert re.search(r"replaying 4[0-5] kept broadcasts", a.stderr())
    assert "the outbox is replayed" in a.stderr()


@pytest.mark.timeout(120)
def test_redis_hung_then_back(daemon, redis, clients):
    """A Redis that stops answering (SIGSTOP) is left after --redis-timeout;
    a reconnect it accepts but does not answer is not taken for up (no
    replay into it); emits wait in the outbox and arrive in order."""
    a = daemon("-v", "--redis", redis.url, "--redis-timeout", "1000")
    b = daemon("--redis", redis.url)
    ra, rb = joined(a), joined(b)
    kb = clients("v4", b)
    redis.proc.send_signal(signal.SIGSTOP)
    try:
        # handed over, unanswered: Redis runs it when it wakes up
        assert ra.call("emit", event="m", args=[0])["published"] is True
        wait_until(lambda: redis_stats(ra)["timeouts"] >= 1, timeout=10,
                   what="the hang seen")
        for i in range(1, 11):
            r = ra.call("emit", event="m", args=[i])
            assert r["published"] is False and r["queued"] is True, r
        time.sleep(2.5)  # connects that Redis's kernel accepts, unanswered
        st = redis_stats(ra)
        assert not st["connected"] and st["outbox_messages"] == 10
        assert st["outbox_replayed"] == 0
    finally:
        redis.proc.send_signal(signal.SIGCONT)
    t0 = time.monotonic()
    kb.wait_event("m", lambda x: x == [10], timeout=15)
    print("hung Redis: outbox delivered %.2f s after SIGCONT"
          % (time.monotonic() - t0))
    assert numbers(kb) == list(range(11))
    st = redis_stats(ra)
    assert st["outbox_replayed"] == 10 and st["outbox_messages"] == 0


def test_outbox_bound_drops_the_oldest(daemon, redis, clients):
    # room for a dozen of these ~300-byte messages
    a = daemon("--redis", redis.url, "--redis-outbox", "4096")
    b = daemon("--redis", redis.url)
    ra, rb = joined(a), joined(b)
    kb = clients("v4", b)
    redis.stop()
    wait_until(lambda: not redis_stats(ra)["connected"], timeout=10,
               what="socketiod sees Redis gone")
    pad = "x" * 200
    for i in range(100):
        r = ra.call("emit", event="m", args=[i, pad])
        assert r["published"] is False and r["queued"] is True
    # alone over the whole bound: not kept
    r = ra.call("emit", event="big", args=["y" * 5000])
    assert r == {"recipients": 0, "published": False, "queued": False}
    st = redis_stats(ra)
    kept = st["outbox_messages"]
    assert 5 < kept < 20 and st["outbox_bytes"] <= 4096
    assert st["outbox_kept"] == 100 and st["outbox_dropped"] == 100 - kept
    assert st["unpublished"] == 1
    assert "the outbox is full" in a.stderr()
    redis.start()
    kb.wait_event("m", lambda x: x[0] == 99, timeout=15)
    # the newest survive, in order, with no gap among them
    assert numbers(kb) == list(range(100 - kept, 100))
    st = redis_stats(ra)
    assert st["outbox_replayed"] == kept and st["outbox_messages"] == 0
    assert redis_stats(rb)["received"] == kept


def test_started_with_redis_down(daemon, redis, clients):
    redis.stop()
    a = daemon("-v", "--redis", redis.url)
    b = daemon("--redis", redis.url)
    ra, rb = a.rpc(), b.rpc()
    ka, kb = clients("v4", a), clients("v4", b)
    # its own clients are served, and RPC queries answer
    assert ra.call("emit", event="m", args=[1]) == {
        "recipients": 1, "published": False, "queued": True}
    assert ka.wait_event("m") == [1]
    assert [s["sid"] for s in ra.call("sessions")["sessions"]] == [ka.sid]
    st = redis_stats(ra)
    assert st["connected"] is False and st["connects"] == 0
    time.sleep(1.5)  # a few attempts, backed off
    assert a.stderr().count("connection failed") >= 4
    redis.start()
    joined(a), joined(b)
    kb.wait_event("m", timeout=10)
    assert ra.call("emit", event="m", args=[2])["recipients"] == 1
    kb.wait_event("m", lambda x: x == [2], timeout=10)
    assert numbers(kb) == [1, 2]
    assert rb.call("emit", event="m", args=[3])["published"] is True
    ka.wait_event("m", lambda x: x == [3])
    assert numbers(ka) == [1, 2, 3]


# ---- credentials ------------------------------------------------------------

def test_acl_user_unix_socket_and_no_credential_in_logs(daemon, tmp_path,
                                                        clients):
    path = str(tmp_path / "redis.sock")
    # the password has an '@', written %40 in the URLs
    r = Redis(tmp_path, "--unixsocket", path, "--unixsocketperm", "700",
              "--user", "default", "on", ">adminpw", "~*", "&*", "+@all",
              "--user", "ann", "on", ">pa@ss-s3cr3t", "~*", "&*", "+@all",
              "--user", "carl", "on", ">carl-s3cr3t", "~*", "resetchannels",
              "&other*", "+@all")
    admin = ("default", "adminpw")
    try:
        conf = tmp_path / "fleet.conf"
        conf.write_text("redis = redis://ann:pa%%40ss-s3cr3t@127.0.0.1:%d/1\n"
                        % r.port)
        aport = free_port()
        tcp = daemon("-vvv", "--log-format", "json", "-c", str(conf),
                     "--admin", "127.0.0.1:%d" % aport)
        unix = daemon("-vvv", "--redis",
                      "unix://ann:pa%%40ss-s3cr3t@%s?db=2" % path)
        # bob does not exist yet: refused, logged, retried
        late = daemon("-vvv", "--log-format", "json", "--redis",
                      "redis://bob:later-s3cr3t@127.0.0.1:%d" % r.port)
        rt, ru, rl = joined(tcp), joined(unix), late.rpc()
        kt, ku = clients("v4", tcp), clients("v4", unix)
        assert rt.call("emit", event="hi", args=[1])["published"] is True
        assert ku.wait_event("hi") == [1] and kt.wait_event("hi") == [1]
        assert ru.call("emit", event="hi", args=[2])["published"] is True
        kt.wait_event("hi", lambda x: x == [2])

        wait_until(lambda: late.stderr().count("AUTH or SELECT refused") >= 3,
                   timeout=10, what="AUTH refused, again")
        st = redis_stats(rl)
        assert st["connected"] is False and st["connects"] == 0
        assert "WRONGPASS" in late.stderr()
        assert redis_pipeline(r.port, [("ACL", "SETUSER", "bob", "on",
                                        ">later-s3cr3t", "~*", "&*",
                                        "+@all")], auth=admin)[1] == b"+OK"
        joined(late)

        # an ACL user without the fleet's channels: refusals are said and
        # counted, not silent, and not retried in a tight loop
        t0 = time.monotonic()
        carl = daemon("--redis",
                      "redis://carl:carl-s3cr3t@127.0.0.1:%d" % r.port)
        rc = carl.rpc()
        wait_until(lambda: redis_stats(rc)["connects"] >= 2, timeout=10,
                   what="carl's connections")
        t0 = time.monotonic()


        def refused():
            rc.call("emit", event="x")
            return "PUBLISH refused" in carl.stderr()
        wait_until(refused, timeout=10, interval=0.5, what="PUBLISH refused")
        time.sleep(3)
        took = time.monotonic() - t0
        lost = carl.stderr().count("subscriber connection lost: NOPERM")
        # 0.1, 0.2, 0.4, 0.8 s, then once a second (not ten times)
        assert 2 <= lost <= took + 4, (lost, took)
        st = redis_stats(rc)
        assert st["refused"] >= 1 and st["disconnects"] >= 2

        # a SIGHUP with another URL: needs a restart, said without either
        # password
        conf.write_text("redis = redis://ann:n3w-s3cr3t@127.0.0.1:%d/1\n"
                        % r.port)
        tcp.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "needs a restart" in tcp.stderr(), timeout=10,
                   what="the reload")
        assert "ann:***@127.0.0.1" in tcp.stderr()

        texts = {}
        for d in (tcp, unix, late, carl):
            texts[d.name + " stderr"] = d.stderr()
            texts[d.name + " stats"] = json.dumps(d.rpc().call("stats"))
        texts["metrics"] = requests.get(
            "http://127.0.0.1:%d/metrics" % aport, timeout=5).text
        assert "socketiod_redis_connected 1" in texts["metrics"]
        try:
            from prometheus_client.parser import text_string_to_metric_families
        except ImportError:
            pass
        else:  # well-formed, and the RPC's numbers under their names
            fams = {f.name: f for f in
                    text_string_to_metric_families(texts["metrics"])}
            assert fams["socketiod_redis_outbox_kept"].type == "counter"
            assert fams["socketiod_redis_outbox_bytes"].type == "gauge"
            assert fams["socketiod_redis_published"].samples[0].value >= 1
        p = subprocess.run(
            [os.environ.get("SOCKETIOD", "build-asan/socketiod"), "--redis",
             "redis://ann:pa%40ss-s3cr3t@127.0.0.1:1/", "--print-options",
             "conf"], capture_output=True, timeout=30)
        texts["print-options"] = (p.stdout + p.stderr).decode()
        no_secret(texts, "s3cr3t", "pa@ss", "pa%40ss", "adminpw")
        for d in (tcp, late):  # --log-format json: every line an object
            for line in d.stderr().splitlines():
                if line.startswith("{"):
                    json.loads(line)
    finally:
        r.stop()


# ---- slow and killed subscribers --------------------------------------------

def test_paused_subscriber_gets_everything_in_order(daemon, redis, clients):
    a = daemon("--redis", redis.url)
    b = daemon("--redis", redis.url)
    ra, rb = joined(a), joined(b)
    ka, kb = clients("v4", a), clients("v4", b)
    b.proc.send_signal(signal.SIGSTOP)
    try:
        for i in range(200):
            assert ra.call("emit", event="m", args=[i])["published"] is True
        ka.wait_event("m", lambda x: x == [199])
        time.sleep(2)
    finally:
        b.proc.send_signal(signal.SIGCONT)
    kb.wait_event("m", lambda x: x == [199], timeout=15)
    assert numbers(kb) == list(range(200))
    st = redis_stats(rb)
    assert st["received"] == 200 and st["disconnects"] == 0
    a.assert_alive()
    b.assert_alive()


@pytest.mark.timeout(120)
def test_subscriber_cut_off_by_redis_reconnects(daemon, tmp_path, clients):
    """A paused node's subscriber passes Redis's pubsub output limit and is
    disconnected by Redis: once resumed, socketiod counts it, reconnects,
    resubscribes, and delivers again."""
    r = Redis(tmp_path, "--client-output-buffer-limit", "pubsub 1mb 256kb 1")
    try:
        a = daemon("--redis", r.url)
        b = daemon("-v", "--redis", r.url)
        ra, rb = joined(a), joined(b)
        ka, kb = clients("v4", a), clients("v4", b)
        flood = [("PUBLISH", "socket.io#/#nobody#",
                  broadcast("flood", i, "z" * 10000, rooms=["nobody"]))
                 for i in range(3000)]
        b.proc.send_signal(signal.SIGSTOP)
        try:
            for i in range(0, 3000, 500):
                redis_pipeline(r.port, flood[i:i + 500])
            time.sleep(1.5)
        finally:
            b.proc.send_signal(signal.SIGCONT)
        wait_until(lambda: redis_stats(rb)["disconnects"] >= 1, timeout=15,
                   what="the cut-off seen")
        wait_until(lambda: redis_stats(rb)["connected"], timeout=10,
                   what="b back on Redis")
        assert "subscriber connection lost" in b.stderr()

        # resubscribed: delivery is back (published until it arrives: the
        # PSUBSCRIBE may still be on its way)
        def delivered():
            ra.call("emit", event="after")
            return kb.events("after")
        wait_until(delivered, timeout=10, interval=0.5,
                   what="delivery to b again")
        st = redis_stats(rb)
        assert st["received"] < 3000 + 20 and st["malformed"] == 0
        assert kb.events("flood") == [] and ka.events("flood") == []
        a.assert_alive()
        b.assert_alive()
    finally:
        r.stop()


def test_killed_node_others_go_on(daemon, redis, node_peer, clients):
    a = daemon("--redis", redis.url)
    b = daemon("--redis", redis.url)
    ra, rb = joined(a), joined(b)
    peer = node_peer()
    ka, kb = clients("v4", a), clients("v4", b)
    kn = clients("v4", Url(peer.url))
    assert rb.call("emit", event="m", args=[0])["published"] is True
    ka.wait_event("m")
    kn.wait_event("m")
    b.kill()
    b.proc = None  # killed on purpose: nothing for the teardown to report
    for i in range(1, 51):
        assert ra.call("emit", event="m", args=[i])["published"] is True
    peer.emit("m", 51)
    for k in (ka, kn):
        wait_until(lambda: len(numbers(k)) >= 52, timeout=20,
                   what="52 messages")
    assert numbers(ka) == list(range(52))
    # Node delivers its own 51 at once, maybe before it has read all of
    # a's 1..50 from Redis: each source's order is what is promised
    got = numbers(kn)
    assert sorted(got) == list(range(52)), got
    assert [x for x in got if x != 51] == list(range(51)), got
    st = redis_stats(ra)
    assert st["connected"] and st["disconnects"] == 0
    # a new node joins where the killed one was
    b.start()
    rb = joined(b)
    kb2 = clients("v4", b)
    peer.emit("again", 1)
    assert kb2.wait_event("again") == [1] and ka.wait_event("again") == [1]


# ---- hostile bus messages -----------------------------------------------------

def test_bad_bus_messages_counted_next_good_delivered(daemon, redis,
                                                      clients):
    d = daemon("--redis", redis.url, "--redis-max-message", "65536",
               "--redis-python-channel", "socketio")
    rpc = joined(d)
    k = clients("v4", d)
    k.subscribe("lobby")
    good = broadcast("ok", 1)
    bad = {
        "truncated": [good[:n] for n in (1, 5, 12, 30, len(good) - 1)],
        "bad msgpack": [b"\xc1", b"\x93\xc1\xc1\xc1", b"\xdd\xff\xff\xff\xff",
                        b"\xdb\x7f\xff\xff\xff" + b"x"],
        "wrong types": [
            mp(["emitter", {"type": 2, "data": ["e"], "nsp": "/"}]),
            mp({"uid": "emitter"}),
            mp([1, {"type": 2, "data": ["e"], "nsp": "/"},
                {"rooms": [], "except": [], "flags": {}}]),
            mp(["emitter", ["type", 2], {"rooms": [], "except": [],
                                        "flags": {}}]),
            broadcast("e", nsp=7),
            mp(["emitter", {"type": "2", "data": ["e"], "nsp": "/"},
                {"rooms": [], "except": [], "flags": {}}]),
            mp(["emitter", {"type": 2, "data": "e", "nsp": "/"},
                {"rooms": [], "except": [], "flags": {}}]),
            mp(["emitter", {"type": 2, "data": [], "nsp": "/"},
                {"rooms": [], "except": [], "flags": {}}]),
            mp(["emitter", {"type": 2, "data": [42], "nsp": "/"},
                {"rooms": [], "except": [], "flags": {}}]),
            mp(["emitter", {"type": 2, "data": ["e"], "nsp": "/"},
                {"rooms": {"a": 1}, "except": [], "flags": {}}]),
            mp(["emitter", {"type": 2, "data": ["e"], "nsp": "/"},
                {"rooms": [3], "except": [], "flags": {}}]),
            mp(["emitter", {"type": 2, "data": ["e"], "nsp": "/"},
                {"rooms": [], "except": "lobby", "flags": {}}]),
            mp(["emitter", {"type": 2, "data": ["e"], "nsp": "/"},
                {"rooms": [], "except": [], "flags": [1]}]),
        ],
        "NUL in names": [broadcast("a\x00b"), broadcast("e", rooms=["lo\x00"]),
                         broadcast("e", excl=["x\x00"]),
                         broadcast("e", nsp="/\x00x")],
        "not UTF-8": [broadcast(Raw(b"\xff\xfe")),
                      broadcast("e", rooms=[Raw(b"\xc3\x28")]),
                      broadcast("e", nsp=Raw(b"/\xe2\x82")),
                      broadcast("e", Raw(b"arg \xed\xa0\x80"))],
        "too deep": [broadcast("e", json.loads("[" * 150 + "]" * 150))],
    }
    n = 0
    for what, msgs in bad.items():
        for m in msgs:
            redis.command("PUBLISH", "socket.io#/#", m)
        n += len(msgs)
        # the next good one is delivered
        redis.command("PUBLISH", "socket.io#/#", broadcast("ok", what))
        k.wait_event("ok", lambda x: x == [what])
        st = redis_stats(rpc)
        assert st["malformed"] == n, (what, st)
    # over --redis-max-message: dropped unread, then a good one
    redis.command("PUBLISH", "socket.io#/#lobby#",
                  broadcast("e", "y" * 70000, rooms=["lobby"]))
    redis.command("PUBLISH", "socket.io#/#", broadcast("ok", "huge"))
    k.wait_event("ok", lambda x: x == ["huge"])
    # python-socketio's channel: not JSON, not UTF-8, NUL, wrong types
    for m in [b"\x80\x04pickle", b"{", b'{"method":"emit","event":"\xff"}',
              b'{"method":"emit","event":"a\\u0000b","data":1}',
              b'{"method":"emit","event":3}',
              b'{"method":"emit","event":"e","room":5}',
              b'{"method":"emit","event":"e","namespace":"x"}']:
        redis.command("PUBLISH", "socketio", m)
    redis.command("PUBLISH", "socketio",
                  json.dumps({"method": "emit", "event": "ok",
                              "data": "python"}))
    k.wait_event("ok", lambda x: x == ["python"])
    # a request whose room is "a\u0000b" must not join "a": ignored; the
    # same request without the NUL is applied
    ignored = redis_stats(rpc)["requests_ignored"]
    for room in ("a\x00b", "vip"):  # json.dumps writes \u0000
        redis.command("PUBLISH", "socket.io-request#/#", json.dumps(
            {"type": 2, "opts": {"rooms": [], "except": []},
             "rooms": [room]}))
    wait_until(lambda: "vip" in rpc.call("session", sid=k.sid)[
        "session"]["channels"], timeout=5, what="socketsJoin applied")
    assert sorted(rpc.call("session", sid=k.sid)["session"]["channels"]) == \
        ["lobby", "vip"]
    st = redis_stats(rpc)
    # a malformed request is counted with the malformed broadcasts
    assert st["requests_ignored"] == ignored
    # of the seven python-socketio messages, the pickle is refused by the
    # pickle reader (python_refused), the others are malformed
    assert st["malformed"] == n + 6 + 1
    assert st["python_refused"] == 1
    assert st["oversized"] == 1
    assert st["received"] == len(bad) + 1 and st["python"] == 1
    assert [e[0] for e in k.events("ok")] == list(bad) + ["huge", "python"]
    assert len(k.events()) == len(k.events("ok"))  # nothing else got in
    d.assert_alive()
