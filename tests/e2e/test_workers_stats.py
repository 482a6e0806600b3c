"""`stats` under --workers speaks for the whole service: every worker's
figures summed, through the Redis fleet (svcstats.c), with the real
socketioctl binary; other services on the same Redis left out."""

import json
import os
import signal
import subprocess
import time

import pytest

from e2e_lib import wait_until
from test_redis import joined, redis  # noqa: F401 (fixture)
from test_workers import connect_all, listed_once, start_workers, tag_of, \
    worker_pids


def ctl(d, *args):
    exe = os.environ.get("SOCKETIOCTL", "build-asan/socketioctl")
    return subprocess.run([exe, "-s", d.rpc_path] + list(args),
                          capture_output=True, text=True, timeout=30)


def ctl_json(d, *args):
    p = ctl(d, "--json", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout), p.stderr


def on(made, w):
    return [c for c in made if tag_of(c.sid) == "w%d" % w]


def check_whole(d, made, n):
    """One `socketioctl --json stats`: the totals are every client, the
    list every worker once, its sessions adding up."""
    st, err = ctl_json(d, "stats")
    assert "incomplete" not in st and "missing" not in st, (st, err)
    assert st["sessions"] == len(made)
    assert st["connections"] == sum(w["connections"] for w in st["workers"])
    assert st["connections"] >= len(made)
    ws = st["workers"]
    assert [w["worker"] for w in ws] == list(range(1, n + 1))
    pids = worker_pids(d)
    for w in ws:
        assert w["route"] == "w%d" % w["worker"]
        assert w["pid"] == pids[w["route"]]
        assert w["sessions"] == len(on(made, w["worker"]))
    assert sum(w["sessions"] for w in ws) == st["sessions"]
    assert sum(w["messages_in"] for w in ws) == st["messages_in"]
    assert st["uptime"] == max(w["uptime"] for w in ws)
    # the worker that took the call says so, as without the sums
    assert st["route"] == "w%d" % st["worker"]
    assert st["redis"]["connected"] is True
    return st


@pytest.mark.timeout(240)
@pytest.mark.parametrize("n", [2, 3])
def test_stats_sums_every_worker(daemon, redis, clients, n):  # noqa: F811
    d = start_workers(daemon, redis, n)
    tags = {"w%d" % w for w in range(1, n + 1)}
    rpc = joined(d)
    made = connect_all(clients, d, 3, tags)
    listed_once(rpc, made)
    # idle HTTP connections of the upgrades may take a moment to close
    wait_until(lambda: ctl_json(d, "stats")[0]["connections"] == len(made),
               timeout=20, what="one connection per client")
    accepted = set()
    for _ in range(10):  # each call may land on another worker
        st = check_whole(d, made, n)
        assert st["connections"] == len(made)
        accepted.add(st["worker"])
    # the text form: the totals, then one row per worker
    p = ctl(d, "stats")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    lines = p.stdout.splitlines()
    totals = dict(ln.split(None, 1) for ln in lines[:lines.index("")])
    assert totals["sessions"] == str(len(made))
    head = lines.index("") + 1
    assert lines[head].split()[:6] == ["WORKER", "PID", "ROUTE", "UPTIME",
                                      "CONNECTIONS", "SESSIONS"]
    rows = [ln.split() for ln in lines[head + 1:]]
    assert [r[0] for r in rows] == [str(w) for w in range(1, n + 1)]
    # uptime is "Ns" or "Nm Ns": the sessions column is 3 from the end
    for r in rows:
        assert r[-4] == str(len(on(made, int(r[0]))))
    # --local: the accepting worker's own figures, as before
    for _ in range(6):
        st, _ = ctl_json(d, "stats", "--local")
        assert "workers" not in st and "incomplete" not in st
        assert st["sessions"] == len(on(made, st["worker"]))
        assert st["route"] == "w%d" % st["worker"]


@pytest.mark.timeout(240)
def test_a_stopped_worker_is_named_missing(daemon, redis, clients):  # noqa
    n = 3
    d = start_workers(daemon, redis, n)
    tags = {"w%d" % w for w in range(1, n + 1)}
    rpc = joined(d)
    made = connect_all(clients, d, 2, tags)
    listed_once(rpc, made)
    pid = worker_pids(d)["w2"]
    os.kill(pid, signal.SIGSTOP)
    try:
        for _ in range(4):
            t0 = time.monotonic()
            st, err = ctl_json(d, "stats")
            took = time.monotonic() - t0
            # within --redis-requests-timeout (3 s) and some slack
            assert took < 3 + 5, took
            assert st["incomplete"] is True and st["missing"] == [2]
            assert [w["worker"] for w in st["workers"]] == [1, 3]
            assert st["sessions"] == len(made) - len(on(made, 2))
        p = ctl(d, "stats")
        assert p.returncode == 0
        assert "worker(s) [2] did not answer" in p.stderr
        # the answer that comes late is counted, not taken
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until(lambda: "incomplete" not in ctl_json(d, "stats")[0],
               timeout=30, what="every worker answering again")
    check_whole(d, made, n)
    wait_until(lambda: ctl_json(d, "stats")[0]["cluster"]["stats_unknown"]
               >= 1, timeout=20, what="w2's late answers counted unknown")


@pytest.mark.timeout(240)
def test_a_flood_of_stats_is_capped(daemon, redis, clients):  # noqa: F811
    """With a worker stopped every question waits the whole timeout: at
    most 8 wait at once per worker, the others answer at once with the
    worker's own figures, incomplete."""
    d = start_workers(daemon, redis, 2, "--redis-requests-timeout", "8000")
    joined(d)
    pid = worker_pids(d)["w2"]
    os.kill(pid, signal.SIGSTOP)
    try:
        rpc = d.rpc(timeout=60)
        # w2 accepts nothing now: every call lands on w1
        before = rpc.call("stats", local=True)["cluster"]
        t0 = time.monotonic()
        ids = [rpc.call_async("stats") for _ in range(30)]
        quick = [rpc.wait(i, timeout=60) for i in ids[8:]]
        took = time.monotonic() - t0
        after = rpc.call("stats", local=True)["cluster"]
        slow = [rpc.wait(i, timeout=60) for i in ids[:8]]
    finally:
        os.kill(pid, signal.SIGCONT)
    for r in quick + slow:
        res = r["result"]
        assert res["incomplete"] is True and res["missing"] == [2]
        assert res["worker"] == 1
    # the 22 over the cap did not wait for the 8 s timeout
    assert took < 6, took
    assert after["stats_requests"] - before["stats_requests"] == 8
    assert after["stats_refused"] - before["stats_refused"] == 22
    assert after["stats_pending"] == 8


def stats_channel(redis):  # noqa: F811
    out = subprocess.run(["redis-cli", "-p", str(redis.port), "PUBSUB",
                          "CHANNELS", "socket.io-stats#*"],
                         capture_output=True, text=True, timeout=10)
    return [ch for ch in out.stdout.split() if ch]


@pytest.mark.timeout(300)
def test_other_services_on_the_redis_are_not_summed(daemon, redis,  # noqa
                                                    clients):
    a = start_workers(daemon, redis, 2)
    b = start_workers(daemon, redis, 2)
    tags = {"w1", "w2"}
    ma = connect_all(clients, a, 2, tags)
    mb = connect_all(clients, b, 3, tags)
    assert len(mb) > len(ma)
    for d, made in ((a, ma), (b, mb)):
        wait_until(lambda d=d, made=made: ctl_json(d, "stats")[0]["sessions"]
                   == len(made), timeout=20, what="every client counted")
        for _ in range(4):
            check_whole(d, made, 2)
    # one channel per service, each with its own random id
    chans = stats_channel(redis)
    assert len(chans) == 2, chans
    # hostile and foreign messages on a service's channel are dropped and
    # counted; the answers stay right
    ch = chans[0]
    svc = ch.split("#")[1]
    junk = ["not json", "[]", '{"svc":"%s"}' % svc,
            '{"svc":"other","rid":"x","w":2}',
            '{"svc":"%s","rid":"x","w":9}' % svc,
            '{"svc":"%s","rid":"x","w":2,"to":1,"pid":5,"stats":{"worker":2,'
            '"sessions":1e300}}' % svc,
            '{"svc":"%s","rid":"x","w":2,"to":1,"pid":5,"stats":{"worker":2,'
            '"deep":{"a":{"b":1}}}}' % svc,
            '{"svc":"%s","rid":"x","w":2,"to":1,"pid":5,"stats":[1]}' % svc,
            "x" * 300000]
    for m in junk:
        subprocess.run(["redis-cli", "-p", str(redis.port), "-x", "PUBLISH",
                        ch], input=m, text=True, capture_output=True,
                       timeout=10)
    # the first five are dropped by both workers of the service; the
    # forged answers by worker 1 (worker 2 takes them for its own)

    def malformed(d):
        return ctl_json(d, "stats")[0]["cluster"]["stats_malformed"]
    wait_until(lambda: malformed(a) + malformed(b) >= 2 * 5 + 3, timeout=20,
               what="the junk dropped and counted")
    check_whole(a, ma, 2)
    check_whole(b, mb, 2)


@pytest.mark.timeout(120)
def test_a_single_process_answers_as_before(daemon, redis):  # noqa: F811
    for d in (daemon(), daemon("--redis", redis.url)):
        st, _ = ctl_json(d, "stats")
        local, _ = ctl_json(d, "stats", "--local")
        assert "workers" not in st and "incomplete" not in st
        assert st["worker"] == 0
        assert set(st) == set(local)
        if "cluster" in st:
            assert st["cluster"]["stats_requests"] == 0
