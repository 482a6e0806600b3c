# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""test_bench_smoke: the benchmark's instruments on a small scale. Builds
bench/loadgen and bench/rpcemit, runs bench/driver.py against socketiod
alone with 50 clients and short phases, and checks that every phase
delivered every broadcast exactly once to every client, that the RPC
measurement got every answer, and that bench/report.py renders the row.
The daemon is $SOCKETIOD (scripts/test.sh: the ASan build), else
build/socketiod. The real benchmark is bash bench/run.sh.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRCDIR = Path(__file__).resolve().parent.parent
N = 50


def daemon():
    path = os.environ.get("SOCKETIOD") or str(SRCDIR / "build" / "socketiod")
    if not os.access(path, os.X_OK):
        pytest.fail("no daemon at %s (set SOCKETIOD or build build/)" % path,
                    pytrace=False)
    return path


def test_bench_smoke(tmp_path):
    exe = {}
    for name in ("loadgen", "rpcemit"):
        exe[name] = tmp_path / name
        subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                        str(exe[name]), str(SRCDIR / "bench" / (name + ".c")),
                        str(SRCDIR / "bench" / "genlib.c")],
                       check=True)
    out = tmp_path / "bench.json"
    res = subprocess.run(
        [sys.executable, str(SRCDIR / "bench" / "driver.py"),
         "--servers", "socketiod", "--ns", str(N), "--socketiod", daemon(),
         "--loadgen", str(exe["loadgen"]), "--rpcemit", str(exe["rpcemit"]),
         "--phase-seconds", "0.5", "--sparse-count", "5",
         "--sparse-seconds", "0.5", "--settle", "0.2", "--rpc-scale", "0.05",
         "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    run = json.loads(out.read_text())["runs"][0]
    assert run["ok"], run.get("error")
    assert run["connect"]["ready"] == N and run["held"] == N
    assert run["memory"]["rss_per_conn"] > 0
    for phase in ("sparse", "fanout", "burst", "oob_sparse", "oob_burst"):
        p = run[phase]
        k = p["broadcasts"]
        assert p["complete"], (phase, p)
        assert p["delivered"] == k * N, (phase, p)
        assert p["per_conn_min"] == p["per_conn_max"] == k, (phase, p)
        assert p["bcasts_complete"] == k, (phase, p)
        assert p["trigger"]["errors"] == 0 and p["trigger"]["answered"] == k
        assert p["trigger"]["recipients"] == k * N, (phase, p)
        assert 0 < p["lat_p50_ms"] <= p["lat_p99_ms"], (phase, p)
    assert run["fanout"]["msgs_per_cpu_s"] > 0
    for target in ("empty", "sid"):
        r = run["rpc"][target]
        assert r["rtt_n"] == 100 and r["pipelined_errors"] == 0, r
        assert 0 < r["rtt_p50_us"] <= r["rtt_p99_us"], r
    md = subprocess.run([sys.executable, str(SRCDIR / "bench" / "report.py"),
                         str(out)], capture_output=True, text=True,
                        check=True).stdout
    assert "| socketiod | %d | %d |" % (N, N) in md


def test_bench_twonode_smoke(tmp_path):
    """The two-node phase (issue 17) with 20 clients per node: the
    single-node reference, two socketiod nodes and two Node socket.io nodes
    on a redis-server each, through both trigger paths; every client of
    both nodes gets every broadcast exactly once, and the report prints the
    issue's targets."""
    if shutil.which("redis-server") is None or shutil.which("node") is None:
        pytest.skip("needs redis-server and node (scripts/setup.sh)")
    n = 20
    exe = {}
    for name in ("loadgen", "rpcemit"):
        exe[name] = tmp_path / name
        subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                        str(exe[name]), str(SRCDIR / "bench" / (name + ".c")),
                        str(SRCDIR / "bench" / "genlib.c")],
                       check=True)
    out = tmp_path / "bench.json"
    # bench/node-server.js finds socket.io and the adapter through NODE_PATH
    # (scripts/test.sh points it at tests/node_modules).
    env = dict(os.environ)
    env.setdefault("NODE_PATH", str(SRCDIR / "tests" / "node_modules"))
    res = subprocess.run(
        [sys.executable, str(SRCDIR / "bench" / "driver.py"),
         "--phases", "twonode", "--servers", "socketiod,node",
         "--twonode-ns", str(n), "--twonode-bcasts", "5",
         "--twonode-fanout", "10", "--twonode-warmup", "3",
         "--settle", "0.2", "--socketiod", daemon(),
         "--loadgen", str(exe["loadgen"]), "--rpcemit", str(exe["rpcemit"]),
         "--out", str(out)],
        capture_output=True, text=True, timeout=240, env=env)
    assert res.returncode == 0, res.stderr
    runs = json.loads(out.read_text())["twonode"]
    assert [(r["side"], r["nodes"]) for r in runs] == [
        ("socketiod", 1), ("socketiod", 2), ("node", 2)], runs
    for r in runs:
        assert r["ok"], (r.get("error"), r.get("server_log"))
        assert r["held"] == [n] * r["nodes"]
        paths = ("own",) if r["nodes"] == 1 else ("own", "emitter")
        for ph in [p + s for p in paths for s in ("_sparse", "_fanout")]:
            p = r[ph]
            k = p["broadcasts"]
            assert p["complete"] and p["delivered"] == k * n * r["nodes"], \
                (r["side"], ph, p)
            for node in "ab"[:r["nodes"]]:
                x = p[node]
                assert x["per_conn_min"] == x["per_conn_max"] == k, (ph, x)
                assert x["bcasts_complete"] == k, (ph, x)
                assert 0 < x["comp_p50_ms"] <= x["comp_p99_ms"], (ph, x)
            assert len(p["node_cpu_s"]) == r["nodes"]
    md = subprocess.run([sys.executable, str(SRCDIR / "bench" / "report.py"),
                         str(out)], capture_output=True, text=True,
                        check=True).stdout
    assert "### Targets (issue 17), from this run" in md
    assert "| socketiod, two nodes | %d | RPC emit on node A |" % n in md
    assert "| Node socket.io, two nodes | %d | io.emit on node A |" % n in md


def test_bench_workers_smoke(tmp_path):
    """The workers phase (issue 18) on a small scale: one process with 40
    WebSocket clients over two load generators, then socketiod --workers 2
    on a redis-server of its own with 60 over three, then 20 long-polling
    clients (bench/pollgen) against each, with a new connection per request
    and with keep-alive. Every client of every load generator gets every
    broadcast exactly once, the broadcasts' completion is taken over all of
    them, the CPU and RSS of the supervisor and both workers are summed, the
    workers hand polling requests off, and the report prints the targets."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server (scripts/setup.sh)")
    exe = {}
    for name in ("loadgen", "rpcemit", "pollgen"):
        exe[name] = tmp_path / name
        subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                        str(exe[name]), str(SRCDIR / "bench" / (name + ".c")),
                        str(SRCDIR / "bench" / "genlib.c")],
                       check=True)
    out = tmp_path / "bench.json"
    res = subprocess.run(
        [sys.executable, str(SRCDIR / "bench" / "driver.py"),
         "--phases", "workers", "--servers", "socketiod",
         "--workers", "2", "--workers-n", "60", "--workers-ref-n", "40",
         "--workers-per-lg", "20", "--workers-seconds", "0.5",
         "--poll-n", "20", "--poll-bcasts", "4", "--poll-interval", "100",
         "--sparse-count", "5", "--sparse-seconds", "0.5",
         "--settle", "0.2", "--socketiod", daemon(),
         "--loadgen", str(exe["loadgen"]), "--rpcemit", str(exe["rpcemit"]),
         "--pollgen", str(exe["pollgen"]), "--out", str(out)],
        capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    runs = json.loads(out.read_text())["workers"]
    ws = [r for r in runs if r.get("transport") != "polling"]
    polls = [r for r in runs if r.get("transport") == "polling"]
    assert [(r["workers"], r["n"]) for r in ws] == [(0, 40), (2, 60)], runs
    assert [(r["workers"], r["keepalive"]) for r in polls] == [
        (0, False), (2, False), (0, True), (2, True)], runs
    for r in ws:
        assert r["ok"], (r.get("error"), r.get("server_log"))
        assert r["held"] == r["n"] and len(r["connect"]) == r["n"] // 20
        assert len(r["pids"]) == 1 + r["workers"]
        for ph in ("sparse", "fanout"):
            p = r[ph]
            assert p["complete"] and p["exactly_once"], (r["workers"], ph, p)
            assert p["delivered"] == p["broadcasts"] * r["n"]
            assert p["bcasts_complete"] == p["broadcasts"], (ph, p)
            assert 0 < p["comp_p50_ms"] <= p["comp_p99_ms"], (ph, p)
            assert len(p["server_cpu_s_per_process"]) == 1 + r["workers"]
        assert r["fanout"]["msgs_per_cpu_s"] > 0
    for r in polls:
        assert r["ok"], (r.get("error"), r.get("server_log"))
        p = r["poll"]
        assert p["complete"] and p["exactly_once"], p
        assert p["errors"] == 0 and p["dropped"] == 0, p
        assert p["delivered"] == 4 * 20 and p["requests"] >= 4 * 20, p
        if r["workers"]:
            assert p["counters"].get("socketiod_handoffs_failed_total", 0) == 0, p
        else:
            assert not p["counters"].get("socketiod_handoffs_sent_total"), p
    # With a new connection per request about half the requests land on
    # the worker that does not own the sid; with keep-alive almost none do.
    close = polls[1]["poll"]
    assert close["counters"].get("socketiod_handoffs_sent_total", 0) > 0, close
    md = subprocess.run([sys.executable, str(SRCDIR / "bench" / "report.py"),
                         str(out)], capture_output=True, text=True,
                        check=True).stdout
    assert "### Targets (issue 18), from this run" in md
    assert "| socketiod --workers 2 | 60 | 60 |" in md
    assert "### Long-polling on the shared port" in md
