# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Connection state recovery across the fleet (docs/recovery.md, "Across
nodes and workers"): a socket.io-client 4.x socket connected to node A
whose transport is cut reconnects to node B of the same Redis (its
manager's URL changed to B's, as a load balancer would send it) and comes
back as itself: `socket.recovered`, the same id, its channel, and every
event emitted meanwhile to it, its channel or everyone, through either
node's RPC, in order and once each. Under --workers 2 many clients cut
and reconnect and land on either worker; every one recovers. A pid no node
holds gets a new session at once (after the answers, not the deadline)."""
import os
import time

import pytest

from e2e_lib import wait_until
from test_recovery import RecoveryClient, first_event, is_offset, stats  # noqa
from test_recovery import app, rc  # noqa: F401 (fixture)
from test_redis import joined, redis  # noqa: F401 (fixture)
from test_handoff import healthy, in_fleet, total  # noqa: F401
from test_handoff import workers  # noqa: F401 (fixture)
from test_workers import tag_of

TIMEOUT_MS = 3000


def pair(daemon, redis, *extra):  # noqa: F811
    nodes = []
    for name in ("a", "b"):
        d = daemon("--redis", redis.url, "--recovery", "60",
                   "--redis-requests-timeout", str(TIMEOUT_MS), *extra,
                   name=name)
        nodes.append((d, joined(d)))
    return nodes


def events(rc, cid, since):
    return [e["args"] for e in rc.events_of(cid, since)]


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_recovered_on_another_node(daemon, redis, rc, mode):  # noqa: F811
    (a, ra), (b, rb) = pair(daemon, redis)
    s = rc.connect("s", a.url, mode)
    wa = rc.connect("wa", a.url, mode)  # watchers, connected all along:
    rc.connect("wb", b.url, mode)  # one at a in the room, one at b
    ra.call("join", sid=s["sid"], channel="room")
    ra.call("join", sid=wa["sid"], channel="room")
    first_event(rc, a, "s", s["sid"])
    rc.cut("s")
    wait_until(lambda: stats(a)["recovery_sessions"] == 1,
               what="a keeps the session")

    def emit(rpc, watcher, n, **kw):
        """An emit, then its arrival at a watcher: an emit through b
        reaches a through Redis, and the next one must not overtake it."""
        mark = rc.mark()
        rpc.call("emit", event="m", args=n, **kw)
        if watcher:
            rc.wait_for(lambda e: e.get("cid") == watcher and
                        e["ev"] == "event" and e["args"][0] == n[0],
                        since=mark, what="%r at %s" % (n, watcher))

    # meanwhile, through either node: its sid, its channel, everyone, and
    # what is not for it
    emit(rb, None, [1], to=s["sid"])
    emit(rb, "wa", [2, {"x": "y"}], channel="room")
    emit(ra, "wb", [3])
    emit(rb, "wa", [4])
    emit(rb, None, ["no"], channel="elsewhere")
    emit(rb, None, ["no"], to=wa["sid"])
    emit(ra, "wa", [5], channel="room")
    emit(rb, "wa", [6, {"_binary": "AAECAw=="}], channel="room")
    emit(ra, None, [7], to=s["sid"])
    emit(ra, "wa", [8])
    mark = rc.mark()
    rc.send("uri", cid="s", url=b.url)
    back = rc.reopen("s")
    assert back["recovered"] is True, back
    assert back["sid"] == s["sid"]
    assert back["pid"] == s["pid"]  # what socket.recovered checks
    # live again at b, in its channel: a later channel emit comes once
    ra.call("emit", event="m", args=[9], channel="room")
    rc.wait_for(lambda e: e.get("cid") == "s" and e["ev"] == "event" and
                e["args"][0] == 9, since=mark, what="the live event")
    time.sleep(0.3)
    got = events(rc, "s", mark)
    assert [g[0] for g in got] == [1, 2, 3, 4, 5, 6, 7, 8, 9], got
    assert got[1][1] == {"x": "y"}
    assert got[5][1] == {"type": "Buffer", "data": [0, 1, 2, 3]}
    assert all(is_offset(g[-1]) for g in got)
    sa, sb = stats(a), stats(b)
    assert sa["recovery_remote_given"] == 1 and sa["recovery_sessions"] == 0
    assert sb["recovery_remote_asked"] == 1
    assert sb["recovery_remote_recovered"] == 1
    assert sb["recovery_recovered"] == 1
    assert sb["recovery_remote_bad"] == 0 and sa["recovery_remote_bad"] == 0
    assert sb["recovery_remote_pending"] == 0
    session = rb.call("session", sid=s["sid"])["session"]
    assert "room" in session["channels"]
    # a second cut, back to a: b now holds it, and a takes it back
    rc.cut("s")
    wait_until(lambda: stats(b)["recovery_sessions"] == 1,
               what="b keeps the session")
    rb.call("emit", event="m", args=[10], to=s["sid"])
    mark = rc.mark()
    rc.send("uri", cid="s", url=a.url)
    again = rc.reopen("s")
    assert again["recovered"] is True and again["sid"] == s["sid"]
    assert again["pid"] == back["pid"] == s["pid"]
    rc.wait_for(lambda e: e.get("cid") == "s" and e["ev"] == "event" and
                e["args"][0] == 10, since=mark, what="the event of b")
    assert stats(a)["recovery_remote_recovered"] == 1


def test_a_pid_nobody_holds_starts_afresh_at_once(daemon, redis, rc):  # noqa
    (a, ra), (b, rb) = pair(daemon, redis)
    made_up = {"pid": "AAAAAAAAAAAAAAAAAAAA", "offset": "1700000000000-1"}
    t0 = time.monotonic()
    s = rc.connect("s", b.url, auth=made_up)
    took = time.monotonic() - t0
    assert s["recovered"] is False
    # every node answered "not here": no wait for the deadline
    assert took < TIMEOUT_MS / 1000 / 2, took
    st = stats(b)
    assert st["recovery_remote_asked"] == 1 and st["recovery_remote_none"] == 1
    assert st["recovery_remote_timeouts"] == 0
    assert stats(a)["recovery_remote_answered"] == 1


def test_a_silent_node_costs_the_deadline_at_most(daemon, redis,  # noqa
                                                  rc):
    import signal
    (a, ra), (b, rb) = pair(daemon, redis)
    os.kill(a.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        s = rc.connect("s", b.url, auth={"pid": "B" * 20,
                                         "offset": "1700000000000-1"})
        took = time.monotonic() - t0
    finally:
        os.kill(a.proc.pid, signal.SIGCONT)
    assert s["recovered"] is False
    assert took < TIMEOUT_MS / 1000 + 10
    st = stats(b)
    assert st["recovery_remote_timeouts"] == 1


def test_hostile_answers_are_dropped_and_counted(daemon, redis, rc):  # noqa
    """Garbage on the recovery channels (a node gone wrong, or anyone who
    can publish to Redis) is dropped and counted; nothing connected
    changes."""
    (a, ra), (b, rb) = pair(daemon, redis)
    key = "socket.io"
    msgs = [b"not json", b'{"uid":"x","requestId":"r"}',
            b'{"uid":"x","requestId":"r","nsp":"/","pid":"short",'
            b'"offset":"1-1"}',
            b'{"uid":"x","requestId":"r","found":true,"sid":"a/b",'
            b'"nsp":"/","channels":[],"context":null,"packets":[]}',
            b'{"uid":"x","requestId":"r","found":true,"sid":"ab","nsp":"/",'
            b'"channels":["\\u0001"],"context":null,"packets":[]}',
            b'{"uid":"x","requestId":"r","found":true,"sid":"ab","nsp":"/",'
            b'"channels":[],"context":null,"packets":[["WzAxXQ=="]]}']
    for m in msgs:
        assert redis.command("PUBLISH", key + "-recovery#", m) is not None
    wait_until(lambda: stats(a)["recovery_remote_bad"] == len(msgs) and
               stats(b)["recovery_remote_bad"] == len(msgs),
               what="every hostile message counted")
    s = rc.connect("s", a.url)
    assert s["recovered"] is False


@pytest.mark.timeout(240)
def test_workers_recover_whichever_worker_they_reach(workers, rc):  # noqa
    d = workers(2, "--recovery", "60", "--redis-requests-timeout",
                str(TIMEOUT_MS))
    rpc = d.rpc()
    n = 20
    first = {}
    for i in range(n):
        cid = "c%d" % i
        first[cid] = rc.connect(cid, d.url)
    assert len({tag_of(c["sid"]) for c in first.values()}) == 2
    for cid, c in first.items():
        rpc.call("join", sid=c["sid"], channel="room")
    mark0 = rc.mark()
    rpc.call("emit", event="m", args=[0])
    for cid in first:
        rc.wait_for(lambda e, cid=cid: e.get("cid") == cid and
                    e["ev"] == "event", since=mark0, what="first of " + cid)
    for cid in first:
        rc.cut(cid)
    wait_until(lambda: total(d, "socketiod_recovery_sessions") == n,
               timeout=20, what="every session kept")
    for cid, c in first.items():
        rpc.call("emit", event="m", args=[1, cid], to=c["sid"])
    rpc.call("emit", event="m", args=[2], channel="room")
    rpc.call("emit", event="m", args=[3])
    mark = rc.mark()
    for cid in first:
        rc.send("open", cid=cid)
    for cid, c in first.items():
        back = rc.wait_connect(cid, mark)
        assert back["recovered"] is True, (cid, back)
        assert back["sid"] == c["sid"]
    rpc.call("emit", event="m", args=[4], channel="room")
    for cid in first:
        rc.wait_for(lambda e, cid=cid: e.get("cid") == cid and
                    e["ev"] == "event" and e["args"][0] == 4, since=mark,
                    what="the live event at " + cid)
    time.sleep(0.3)
    for cid in first:
        got = [g[:2] if g[0] == 1 else g[:1] for g in events(rc, cid, mark)]
        assert got == [[1, cid], [2], [3], [4]], (cid, got)
    assert total(d, "socketiod_recovery_recovered_total") == n
    # the kernel spreads 20 reconnections over the two workers: some
    # crossed, each taken from the other worker once
    crossed = total(d, "socketiod_recovery_remote_recovered_total")
    assert 0 < crossed <= n
    assert total(d, "socketiod_recovery_remote_given_total") == crossed
    assert total(d, "socketiod_recovery_remote_bad_total") == 0
    assert total(d, "socketiod_recovery_sessions") == 0


@pytest.mark.timeout(240)
def test_workers_state_files_across_a_restart(workers, rc, tmp_path):
    """--workers 2 --state-file ...%i: after a SIGTERM of the whole
    service, each worker reads back its own sessions, and a client
    recovers whichever worker its reconnection reaches."""
    state = str(tmp_path / "state.%i.db")
    d = workers(2, "--recovery", "60", "--redis-requests-timeout",
                str(TIMEOUT_MS), "--state-file", state)
    rpc = d.rpc()
    first = {}
    for i in range(12):
        first["c%d" % i] = rc.connect("c%d" % i, d.url)
    assert len({tag_of(c["sid"]) for c in first.values()}) == 2
    mark0 = rc.mark()
    rpc.call("emit", event="m", args=[0])
    for cid in first:
        rc.wait_for(lambda e, cid=cid: e.get("cid") == cid and
                    e["ev"] == "event", since=mark0, what="first of " + cid)
    for cid in first:
        rc.cut(cid)
    wait_until(lambda: total(d, "socketiod_recovery_sessions") == len(first),
               timeout=20, what="every session kept")
    d.restart()
    wait_until(lambda: all(healthy(p) for p in d.admins) and in_fleet(d),
               timeout=30, what="every worker back in the fleet")
    assert total(d, "socketiod_recovery_loaded_sessions_total") == len(first)
    rpc = d.rpc()
    for cid, c in first.items():
        rpc.call("emit", event="m", args=[1, cid], to=c["sid"])
    rpc.call("emit", event="m", args=[2])
    mark = rc.mark()
    for cid in first:
        rc.send("open", cid=cid)
    for cid, c in first.items():
        back = rc.wait_connect(cid, mark)
        assert back["recovered"] is True, (cid, back)
        assert back["sid"] == c["sid"] and back["pid"] == c["pid"]
    rpc.call("emit", event="m", args=[3])
    for cid in first:
        rc.wait_for(lambda e, cid=cid: e.get("cid") == cid and
                    e["ev"] == "event" and e["args"][0] == 3, since=mark,
                    what="the live event at " + cid)
    time.sleep(0.3)
    for cid in first:
        got = [g[:2] if g[0] == 1 else g[:1] for g in events(rc, cid, mark)]
        assert got == [[1, cid], [2], [3]], (cid, got)
    assert total(d, "socketiod_recovery_recovered_total") == len(first)
    crossed = total(d, "socketiod_recovery_remote_recovered_total")
    assert crossed > 0
    # again, now that some sockets live on a worker that did not make
    # their pid: connected at SIGTERM, saved with a proof of that pid
    d.restart()
    wait_until(lambda: all(healthy(p) for p in d.admins) and in_fleet(d),
               timeout=30, what="every worker back in the fleet")
    assert total(d, "socketiod_recovery_loaded_sessions_total") == len(first)
    assert total(d, "socketiod_recovery_load_rejected_total") == 0
    rpc = d.rpc()
    rpc.call("emit", event="m", args=[4])
    mark = rc.mark()
    for cid in first:
        rc.send("open", cid=cid)
    for cid, c in first.items():
        back = rc.wait_connect(cid, mark)
        assert back["recovered"] is True, (cid, back)
        assert back["sid"] == c["sid"] and back["pid"] == c["pid"]
    for cid in first:
        rc.wait_for(lambda e, cid=cid: e.get("cid") == cid and
                    e["ev"] == "event" and e["args"][0] == 4, since=mark,
                    what="the event at " + cid)


def test_a_client_that_leaves_while_waiting(daemon, redis, rc):  # noqa
    """The holder is stopped while the client's reconnection to b waits
    for the fleet, and the client gives up: when the holder wakes it hands
    the session over, b finds the socket gone and keeps the session
    (counted); the client's next reconnect, to a, recovers it from b with
    every event, those emitted meanwhile too. Nothing leaks."""
    import signal
    (a, ra), (b, rb) = pair(daemon, redis)
    s = rc.connect("s", a.url)
    ra.call("join", sid=s["sid"], channel="room")
    first_event(rc, a, "s", s["sid"])
    rc.cut("s")
    wait_until(lambda: stats(a)["recovery_sessions"] == 1,
               what="a keeps the session")
    ra.call("emit", event="m", args=[1], to=s["sid"])
    os.kill(a.proc.pid, signal.SIGSTOP)
    try:
        rc.send("uri", cid="s", url=b.url)
        rc.send("open", cid="s")
        wait_until(lambda: stats(b)["recovery_remote_pending"] == 1,
                   what="b asks the fleet")
        rc.send("cut", cid="s")
        time.sleep(0.5)  # b sees the connection end while it waits
    finally:
        os.kill(a.proc.pid, signal.SIGCONT)
    wait_until(lambda: stats(b)["recovery_remote_pending"] == 0,
               what="the question ended")
    st = stats(b)
    if st["recovery_remote_late"] == 1:
        pytest.skip("the machine was too slow: b's question timed out")
    assert st["recovery_remote_kept"] == 1, st
    assert st["recovery_sessions"] == 1
    assert stats(a)["recovery_remote_given"] == 1
    # meanwhile, through either node
    rb.call("emit", event="m", args=[2], channel="room")
    wait_until(lambda: stats(b)["recovery_packets"] >= 3,
               what="b keeps the channel emit")
    mark = rc.mark()
    rc.send("uri", cid="s", url=a.url)
    back = rc.reopen("s")
    assert back["recovered"] is True and back["sid"] == s["sid"]
    assert back["pid"] == s["pid"]
    ra.call("emit", event="m", args=[3], channel="room")
    rc.wait_for(lambda e: e.get("cid") == "s" and e.get("event") == "m" and
                e["args"][0] == 3, since=mark, what="the live event")
    assert [e["args"][0] for e in rc.events_of("s", mark, "m")] == [1, 2, 3]
    assert stats(b)["recovery_remote_given"] == 1
    assert stats(b)["recovery_sessions"] == 0


@pytest.mark.parametrize("through", ["holder", "asker"])
def test_events_emitted_during_the_hand_over(daemon, redis, rc,  # noqa
                                             through):
    """Emits to everyone go on, numbered, through the holder's or the
    asker's RPC while the client reconnects to the asker: it gets every
    number once, in order, across the hand-over (the asker adds what its
    own ring got after the question, docs/recovery.md "The hand-over
    window")."""
    import threading
    (a, ra), (b, rb) = pair(daemon, redis)
    s = rc.connect("s", a.url)
    first_event(rc, a, "s", s["sid"])
    rc.cut("s")
    wait_until(lambda: stats(a)["recovery_sessions"] == 1,
               what="a keeps the session")
    rpc = (a if through == "holder" else b).rpc()
    stop = threading.Event()
    sent = []

    def pump():
        n = 0
        while not stop.is_set():
            n += 1
            rpc.call("emit", event="n", args=[n])
            sent.append(n)
    t = threading.Thread(target=pump, daemon=True)
    t.start()
    try:
        wait_until(lambda: len(sent) >= 20, what="emits going")
        rc.send("uri", cid="s", url=b.url)
        back = rc.reopen("s")
        assert back["recovered"] is True
        time.sleep(0.3)
    finally:
        stop.set()
        t.join()
    last = sent[-1]
    rc.wait_for(lambda e: e.get("cid") == "s" and e.get("event") == "n" and
                e["args"][0] == last, what="the last number")
    got = [e["args"][0] for e in rc.events_of("s", event="n")]
    assert got == list(range(1, last + 1)), \
        "missing %s, twice %s" % (sorted(set(range(1, last + 1)) - set(got)),
                                  sorted({x for x in got if got.count(x) > 1}))
    with open(os.environ.get("RECFLEET_WINDOW_LOG", os.devnull), "a") as f:
        f.write("%s %d events, window %d\n" % (
            through, last, stats(b)["recovery_remote_window"]))


@pytest.mark.parametrize("authorize", [False, True])
def test_the_app_and_the_user_across_nodes(daemon, redis, rc, app,  # noqa
                                           authorize):
    """Behind --upstream on both nodes: the app gets the disconnect from
    a, then from b a connect with "recovered": true and the context a had;
    the socket is still ann's (presence) on b. --recovery-authorize makes
    it wait for the app's answer there."""
    extra = ["--upstream", app.url]
    if authorize:
        extra.append("--recovery-authorize")
    (a, ra), (b, rb) = pair(daemon, redis, *extra)
    s = rc.connect("s", a.url, auth={"user": "ann"})
    sid = s["sid"]
    wait_until(lambda: ra.call("sessions", user="ann")["sessions"],
               what="ann's socket")
    first_event(rc, a, "s", sid)
    rc.cut("s")
    wait_until(lambda: app.of(sid, type="disconnect"),
               what="the app's disconnect")
    ra.call("emit", event="direct", args=[7], to=sid)
    mark = rc.mark()
    rc.send("uri", cid="s", url=b.url)
    back = rc.reopen("s")
    assert back["recovered"] is True and back["sid"] == sid
    rc.wait_for(lambda e: e.get("cid") == "s" and e.get("event") == "direct",
                since=mark, what="the missed event")
    recs = wait_until(lambda: app.of(sid, type="connect", recovered=True),
                      what="the recovered connect upstream")
    assert recs[0]["context"] == {"user": "ann"}
    assert [r["type"] for r in app.of(sid)] == \
        ["connect", "disconnect", "connect"]
    by_user = rb.call("sessions", user="ann")["sessions"]
    assert [x["sid"] for x in by_user] == [sid]
    assert "user:ann" in by_user[0]["channels"]
    assert stats(b)["recovery_remote_recovered"] == 1


def test_v2_and_python_clients_never_ask(daemon, redis, clients):  # noqa
    """socket.io-client 2.x and python-socketio get no pid and no offsets
    and are never the subject of a question, even with a pid in their
    auth; they receive across the fleet as before."""
    (a, ra), (b, rb) = pair(daemon, redis)
    v2 = clients("v2", a)
    py = clients("py", b, auth={"pid": "A" * 20, "offset": "1-1"})
    rb.call("emit", event="hi", args=["x"])
    for c in (v2, py):
        c.wait_event("hi", pred=lambda args: args == ["x"])
    assert stats(a)["recovery_remote_asked"] == 0
    assert stats(b)["recovery_remote_asked"] == 0


def test_a_flood_of_made_up_pids_is_capped(daemon, redis):  # noqa: F811
    """300 CONNECTs with made-up pids at once (three connections, 100
    namespaces each) while the other node is stopped: 256 questions wait,
    the 44 others get a new session at once (counted), and every CONNECT
    is answered."""
    import json
    import signal
    from e2e_lib import RawWs
    (a, ra), (b, rb) = pair(daemon, redis)
    conns = [RawWs(b, connect=False) for _ in range(3)]
    os.kill(a.proc.pid, signal.SIGSTOP)
    try:
        for k, c in enumerate(conns):
            for i in range(100):
                auth = {"pid": "%020d" % (k * 100 + i), "offset": "1-1"}
                c.ws.send("40/n%d,%s" % (i, json.dumps(auth)))
        wait_until(lambda: stats(b)["recovery_remote_refused"] == 44,
                   timeout=20, what="44 refused")
        assert stats(b)["recovery_remote_pending"] == 256
    finally:
        os.kill(a.proc.pid, signal.SIGCONT)
    for c in conns:
        got = set()
        while len(got) < 100:
            pkt = c.recv_packet(timeout=20)
            if pkt.startswith("0/n"):
                got.add(pkt.split(",", 1)[0])
        c.close()
    st = stats(b)
    assert st["recovery_remote_pending"] == 0
    assert st["recovery_remote_asked"] + st["recovery_remote_refused"] == 300


@pytest.mark.parametrize("missed", [0, 2])
def test_recovered_again_before_any_new_event(daemon, redis, rc,  # noqa
                                              missed):
    """After a recovery from another node the client's offset is that
    node's (the last event replayed, or the one it came with) until a new
    event reaches it: cut again at once, it still recovers, on the same
    node, then on the first one, then on the same again."""
    (a, ra), (b, rb) = pair(daemon, redis)
    s = rc.connect("s", a.url)
    ra.call("join", sid=s["sid"], channel="room")
    first_event(rc, a, "s", s["sid"])
    n = 0
    for url, rpc in ((b.url, rb), (b.url, rb), (a.url, ra), (a.url, ra)):
        rc.cut("s")
        wait_until(lambda: stats(a)["recovery_sessions"] +
                   stats(b)["recovery_sessions"] == 1,
                   what="the session kept")
        for _ in range(missed):
            n += 1
            ra.call("emit", event="m", args=[n], channel="room")
            wait_until(lambda: stats(a)["recovery_packets"] ==
                       stats(b)["recovery_packets"],
                       what="both rings have it")
        mark = rc.mark()
        rc.send("uri", cid="s", url=url)
        back = rc.reopen("s")
        assert back["recovered"] is True, (url, back)
        assert back["sid"] == s["sid"] and back["pid"] == s["pid"]
        if missed:
            rc.wait_for(lambda e: e.get("cid") == "s" and
                        e.get("event") == "m" and e["args"][0] == n,
                        since=mark, what="the missed events")
            time.sleep(0.2)
            got = [e["args"][0] for e in rc.events_of("s", mark, "m")]
            assert got == list(range(n - missed + 1, n + 1)), got
    # and live
    mark = rc.mark()
    rb.call("emit", event="m", args=["live"], channel="room")
    rc.wait_for(lambda e: e.get("cid") == "s" and e.get("event") == "m" and
                e["args"][0] == "live", since=mark, what="the live event")
