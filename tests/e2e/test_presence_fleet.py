# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Presence events decided across the fleet (docs/presence.md, "Across the
fleet"): two socketiod nodes on one redis-server, --presence chat:. A user
with a tab on each node makes one presence:join, seen by the channel's
members on either node; closing one tab sends no presence:leave, closing
the last one sends one. A node that stops answering (SIGSTOP) makes the
other send its events after --redis-requests-timeout (at-least-once); a
killed node (SIGKILL) leaves the fleet, and the events come at once.

Clients: socket.io-client 4.x (tests/e2e/node) and python-socketio; the
application is test_presence.py's upstream, which names auth.user."""
import os
import signal

from e2e_lib import wait_until
from test_handoff import total, workers  # noqa: F401 (fixture)
from test_presence import start, upstream  # noqa: F401 (fixture)
from test_redis import joined, redis  # noqa: F401 (fixture)

CH = "chat:x"


def cluster(rpc):
    return rpc.call("stats")["cluster"]


def fleet(daemon, upstream, redis, *args):  # noqa: F811
    nodes = []
    for name in ("a", "b"):
        d = start(daemon, upstream, "--redis", redis.url, "--presence",
                  "chat:", *args, name=name)
        nodes.append((d, joined(d)))
    return nodes


def kinds(h, kind):
    return [a[0] for a in h.events("presence:" + kind)]


def barrier(rpc, watchers, n=[0]):
    """An emit to the channel from `rpc`'s node, seen by every watcher:
    whatever that node sent to the channel before is there too."""
    n[0] += 1
    rpc.call("emit", channel=CH, event="mark", args=[n[0]])
    for w in watchers:
        wait_until(lambda: [n[0]] in w.events("mark"),
                   what="mark %d" % n[0])


def test_one_join_and_one_leave_for_tabs_on_two_nodes(daemon, upstream,
                                                      clients,
                                                      redis):  # noqa: F811
    (a, ra), (b, rb) = fleet(daemon, upstream, redis)
    wa = clients("v4", a, auth={})
    wb = clients("py", b, auth={})
    wa.subscribe(CH)
    wb.subscribe(CH)
    ann_a = clients("v4", a, auth={"user": "ann"})
    ann_b = clients("v4", b, auth={"user": "ann"})
    join = {"channel": CH, "user": "ann", "sockets": 1}

    ann_a.subscribe(CH)
    for w in (wa, wb):
        wait_until(lambda: kinds(w, "join") == [join], what="ann's join")
    # her second tab, on the other node: asked, and no event
    ann_b.subscribe(CH)
    wait_until(lambda: cluster(rb)["presence_suppressed"] == 1,
               what="b: ann is in the channel on a")
    barrier(rb, (wa, wb))
    barrier(ra, (wa, wb))
    assert kinds(wa, "join") == [join] and kinds(wb, "join") == [join]
    assert cluster(ra)["presence_answered"] >= 1

    # closing her tab on a: she is still there on b
    ann_a.disconnect()
    wait_until(lambda: cluster(ra)["presence_suppressed"] == 1,
               what="a: ann is still in the channel on b")
    barrier(ra, (wa, wb))
    barrier(rb, (wa, wb))
    assert kinds(wa, "leave") == [] and kinds(wb, "leave") == []

    # closing the last one: one leave, everywhere
    ann_b.disconnect()
    leave = {"channel": CH, "user": "ann", "sockets": 0}
    for w in (wa, wb):
        wait_until(lambda: kinds(w, "leave") == [leave], what="ann's leave")
    barrier(rb, (wa, wb))
    barrier(ra, (wa, wb))
    assert kinds(wa, "leave") == [leave] and kinds(wb, "leave") == [leave]
    assert kinds(wa, "join") == [join] and kinds(wb, "join") == [join]
    for r in (ra, rb):
        c = cluster(r)
        assert c["presence_unanswered"] == 0 and c["presence_pending"] == 0
        assert c["presence_malformed"] == 0


def test_a_flapping_tab_keeps_order_and_is_bounded(daemon, upstream, clients,
                                                   redis):  # noqa: F811
    """bob's tab subscribes and unsubscribes 3 times from the client, then
    50 times through the RPC, faster than the fleet answers: the events
    b's member hears alternate join, leave, ... and end with a leave; a
    join and a leave queued behind a question cancel out (counted), so
    what was sent and what cancelled add up to every change."""
    (a, ra), (b, rb) = fleet(daemon, upstream, redis)
    wb = clients("py", b, auth={})
    wb.subscribe(CH)
    bob = clients("v4", a, auth={"user": "bob"})
    for _ in range(3):
        bob.subscribe(CH)
        bob.unsubscribe(CH)
    for _ in range(50):
        ra.call("join", sid=bob.sid, channel=CH)
        ra.call("leave", sid=bob.sid, channel=CH)
    wait_until(lambda: cluster(ra)["presence_pending"] == 0,
               what="a: every question answered")
    barrier(ra, (wb,))

    def seq():
        return [x[0]["sockets"] for x in wb.events()
                if x and isinstance(x[0], dict) and "sockets" in x[0]]
    sent = seq()
    assert sent and sent == [1, 0] * (len(sent) // 2)
    c = cluster(ra)
    assert len(sent) + c["presence_coalesced"] == 106
    assert c["presence_asked"] == len(sent) and c["presence_overflow"] == 0
    assert kinds(wb, "join")[0] == {"channel": CH, "user": "bob",
                                    "sockets": 1}


def test_a_stopped_node_delays_but_does_not_lose_events(daemon, upstream,
                                                        clients,
                                                        redis):  # noqa: F811
    """b stopped (SIGSTOP): still subscribed, answers nothing. a's
    questions wait --redis-requests-timeout, then a sends its events anyway
    (counted in presence_unanswered)."""
    (a, ra), (b, rb) = fleet(daemon, upstream, redis,
                             "--redis-requests-timeout", "700")
    wa = clients("v4", a, auth={})
    wa.subscribe(CH)
    ann_b = clients("py", b, auth={"user": "ann"})
    ann_b.subscribe(CH)
    wait_until(lambda: len(kinds(wa, "join")) == 1, what="ann's join from b")
    os.kill(b.proc.pid, signal.SIGSTOP)
    try:
        ann_a = clients("v4", a, auth={"user": "ann"})
        ann_a.subscribe(CH)
        wait_until(lambda: len(kinds(wa, "join")) == 2,
                   what="ann's join from a, unanswered by b")
        ann_a.disconnect()
        wait_until(lambda: len(kinds(wa, "leave")) == 1,
                   what="ann's leave from a, unanswered by b")
        c = cluster(ra)
        assert c["presence_unanswered"] == 2 and c["presence_pending"] == 0
        assert c["incomplete"] >= 2
    finally:
        os.kill(b.proc.pid, signal.SIGCONT)


def test_a_stop_past_the_drain_drops_waiting_events(daemon, upstream, clients,
                                                    redis):  # noqa: F811
    """b stopped (SIGSTOP), a's questions wait 5 s, a's drain is the
    shortest (--upstream-drain 0): SIGTERM on a ends at once, the events
    still waiting dropped and logged, nothing leaked (ASan)."""
    (a, ra), (b, rb) = fleet(daemon, upstream, redis,
                             "--redis-requests-timeout", "5000",
                             "--upstream-drain", "0")
    os.kill(b.proc.pid, signal.SIGSTOP)
    try:
        ann = clients("v4", a, auth={"user": "ann"})
        ann.subscribe(CH)
        ann.unsubscribe(CH)
        ann.subscribe(CH)  # a join asked, a leave and a join cancelled
        wait_until(lambda: cluster(ra)["presence_pending"] >= 1,
                   what="a question waiting")
        assert a.stop() == []
        assert "presence events still waiting for the fleet" in a.stderr()
    finally:
        os.kill(b.proc.pid, signal.SIGCONT)


def test_a_killed_node_leaves_the_decision_to_the_others(daemon, upstream,
                                                         clients,
                                                         redis):  # noqa: F811
    (a, ra), (b, rb) = fleet(daemon, upstream, redis)
    wa = clients("v4", a, auth={})
    wa.subscribe(CH)
    ann_a = clients("v4", a, auth={"user": "ann"})
    ann_b = clients("py", b, auth={"user": "ann"})
    ann_b.subscribe(CH)
    wait_until(lambda: len(kinds(wa, "join")) == 1, what="ann's join from b")
    ann_a.subscribe(CH)
    wait_until(lambda: cluster(ra)["presence_suppressed"] == 1,
               what="a: ann is in the channel on b")
    b.kill()
    b.proc = None  # killed on purpose: not a crash at teardown
    # b's tab died with b, without a word; her tab on a is the last
    ann_a.disconnect()
    wait_until(lambda: len(kinds(wa, "leave")) == 1, what="ann's leave")
    ann_a2 = clients("v4", a, auth={"user": "ann"})
    ann_a2.subscribe(CH)
    wait_until(lambda: len(kinds(wa, "join")) == 2, what="ann back on a")
    assert cluster(ra)["presence_pending"] == 0


def test_a_node_that_stops_sends_its_users_leaves(daemon, upstream, clients,
                                                  redis):  # noqa: F811
    """SIGTERM on b (a restart): ann's only tab was there; the drain waits
    for a's answer, and a's watcher gets her leave. Bob, with a tab on
    each node, gets none."""
    (a, ra), (b, rb) = fleet(daemon, upstream, redis)
    wa = clients("v4", a, auth={})
    wa.subscribe(CH)
    ann_b = clients("py", b, auth={"user": "ann"})
    ann_b.subscribe(CH)
    bob_a = clients("v4", a, auth={"user": "bob"})
    bob_b = clients("v4", b, auth={"user": "bob"})
    bob_a.subscribe(CH)
    wait_until(lambda: sorted(j["user"] for j in kinds(wa, "join")) ==
               ["ann", "bob"], what="ann's and bob's joins")
    bob_b.subscribe(CH)
    wait_until(lambda: cluster(rb)["presence_suppressed"] == 1,
               what="b: bob is in the channel on a")
    assert b.stop() == []
    wait_until(lambda: [x["user"] for x in kinds(wa, "leave")] == ["ann"],
               what="ann's leave from the stopping node")
    barrier(ra, (wa,))
    assert [x["user"] for x in kinds(wa, "leave")] == ["ann"]


def test_simultaneous_joins_on_two_nodes_make_one_or_two(daemon, upstream,
                                                         clients,
                                                         redis):  # noqa: F811
    """The documented race: ann's tabs on a and b join (and later leave)
    at the same moment, through both nodes' RPC at once. Each node answers
    "not here" while its own question is open, so the watchers get one or
    two joins, never none; then one or two leaves, never none."""
    import threading

    (a, ra), (b, rb) = fleet(daemon, upstream, redis)
    wa = clients("v4", a, auth={})
    wb = clients("py", b, auth={})
    wa.subscribe(CH)
    wb.subscribe(CH)
    ann_a = clients("py", a, auth={"user": "ann"})
    ann_b = clients("v4", b, auth={"user": "ann"})
    ra2, rb2 = a.rpc(), b.rpc()

    def both(method):
        go = threading.Barrier(2)

        def one(rpc, sid):
            go.wait()
            rpc.call(method, sid=sid, channel=CH)
        ts = [threading.Thread(target=one, args=(r, h.sid))
              for r, h in ((ra2, ann_a), (rb2, ann_b))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    def settled():
        return all(cluster(r)["presence_pending"] == 0 for r in (ra, rb))

    def counts(kind):
        return [len(kinds(w, kind)) for w in (wa, wb)]

    for rnd in range(3):
        before = counts("join")
        both("join")
        for k in range(2):
            wait_until(lambda: counts("join")[k] > before[k],
                       what="a join in round %d" % rnd)
        wait_until(settled, what="no question open")
        barrier(ra, (wa, wb))
        barrier(rb, (wa, wb))
        assert all(1 <= n - m <= 2 for n, m in zip(counts("join"), before))
        assert p_users(ra) == {"ann": 2}
        before = counts("leave")
        both("leave")
        for k in range(2):
            wait_until(lambda: counts("leave")[k] > before[k],
                       what="a leave in round %d" % rnd)
        wait_until(settled, what="no question open")
        barrier(ra, (wa, wb))
        barrier(rb, (wa, wb))
        assert all(1 <= n - m <= 2 for n, m in zip(counts("leave"), before))
        assert p_users(ra) == {}


def p_users(rpc):
    return rpc.call("presence", channel=CH)["users"]


def test_a_wave_of_users(daemon, upstream, clients, redis):  # noqa: F811
    """30 users with a tab on each node, joined and left in waves through
    the RPC (their questions overlapping): 30 joins when a's tabs join,
    none when b's do; none when a's leave, 30 leaves when b's do."""
    (a, ra), (b, rb) = fleet(daemon, upstream, redis)
    wa = clients("v4", a, auth={})
    wa.subscribe(CH)
    users = ["u%02d" % i for i in range(30)]
    tabs = {(n, u): clients("v4", d, auth={"user": u})
            for n, d in (("a", a), ("b", b)) for u in users}

    def wave(node, rpc, method):
        for u in users:
            rpc.call(method, sid=tabs[(node, u)].sid, channel=CH)
        wait_until(lambda: all(cluster(r)["presence_pending"] == 0
                               for r in (ra, rb)), what="answers")
        barrier(ra, (wa,))
        barrier(rb, (wa,))

    def seen(kind):
        return sorted(x["user"] for x in kinds(wa, kind))

    wave("a", ra, "join")
    assert seen("join") == users
    wave("b", rb, "join")
    assert seen("join") == users
    assert cluster(rb)["presence_suppressed"] == 30
    wave("a", ra, "leave")
    assert seen("leave") == []
    wave("b", rb, "leave")
    assert seen("leave") == users and seen("join") == users
    assert cluster(ra)["presence_unanswered"] == 0


def on_each_worker(connect, n=2, tries=40):
    """Connects clients until one sits on each of workers w1..wn (the
    kernel spreads connections by address and port); the others are
    closed. Returns them by worker number."""
    got, spare = {}, []
    for _ in range(tries):
        h = connect()
        w = int(h.sid.rsplit(".w", 1)[1])
        if w in got:
            spare.append(h)
        else:
            got[w] = h
        if len(got) == n:
            break
    for h in spare:
        h.disconnect()
    assert sorted(got) == list(range(1, n + 1)), "no client on every worker"
    return got


def test_two_tabs_on_two_workers(workers, upstream, clients,
                                 redis):  # noqa: F811
    """--workers 2 (each worker a node of the fleet through Redis): ann's
    two tabs on two workers make one join and one leave, heard by a
    member on each worker."""
    d = workers(2, "--upstream", upstream, "--presence", "chat:")
    w = on_each_worker(lambda: clients("v4", d, auth={}))
    for h in w.values():
        h.subscribe(CH)
    ann = on_each_worker(lambda: clients("py", d, auth={"user": "ann"}))
    rpc = d.rpc()
    join = {"channel": CH, "user": "ann", "sockets": 1}
    leave = {"channel": CH, "user": "ann", "sockets": 0}

    def suppressed(n):
        wait_until(lambda: total(
            d, "socketiod_cluster_presence_suppressed_total") == n,
            what="%d events suppressed" % n)

    def mark(k):
        rpc.call("emit", channel=CH, event="mark", args=[k])
        wait_until(lambda: all([k] in h.events("mark") for h in w.values()),
                   what="mark %d" % k)

    ann[1].subscribe(CH)
    for h in w.values():
        wait_until(lambda: kinds(h, "join") == [join], what="ann's join")
    ann[2].subscribe(CH)
    suppressed(1)  # w2 asked, w1 has her
    mark(1)
    ann[1].disconnect()
    suppressed(2)  # w1 asked, w2 has her
    mark(2)
    assert all(kinds(h, "join") == [join] for h in w.values())
    assert all(kinds(h, "leave") == [] for h in w.values())
    ann[2].disconnect()
    for h in w.values():
        wait_until(lambda: kinds(h, "leave") == [leave], what="ann's leave")
    mark(3)
    assert all(kinds(h, "leave") == [leave] for h in w.values())
    assert all(kinds(h, "join") == [join] for h in w.values())
