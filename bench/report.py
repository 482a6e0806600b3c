# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""report: docs/benchmark.json (from bench/driver.py) as markdown: the
results table, the RPC table, and the targets checked as ratios of the same
run.

    /usr/bin/python3 bench/report.py docs/benchmark.json > docs/benchmark.md
"""

import json
import sys

KB = 1024


def num(v, unit=""):
    if v is None:
        return "–"
    if v >= 100000:
        return "%dk%s" % (round(v / 1000), unit)
    if v >= 10000:
        return "{:,.0f}{}".format(v, unit)
    return "{:,.0f}{}".format(v, unit) if v >= 100 else "%.1f%s" % (v, unit)


def ms(v):
    if v is None:
        return "–"
    return "%.0f" % v if v >= 100 else "%.1f" % v if v >= 1 else "%.2f" % v


def pair(ph, a, b):
    if not ph:
        return "–"
    return "%s / %s%s" % (ms(ph.get(a)), ms(ph.get(b)), mark(ph))


def mark(ph):
    return "" if ph.get("complete", True) else " *"


def rate(ph, key):
    if not ph or ph.get(key) is None:
        return "–"
    return num(ph[key]) + mark(ph)


def kernel_caches(doc):
    for r in doc["runs"]:
        c = r.get("memory", {}).get("kernel_caches")
        if c:
            return c
    return ["none readable: not measured"]


def find(doc, server, n):
    for r in doc["runs"]:
        if r["server"] == server and r["n"] == n and r.get("ok"):
            return r
    return None


def table(doc):
    out = [
        "| server | N | held | user RSS / conn | kernel / conn (both ends) "
        "| connect / s | sparse delivery p50 / p99 ms | sparse completion "
        "p50 / p99 ms | fan-out msgs/s | fan-out msgs / server CPU-s "
        "| burst msgs/s | burst msgs / server CPU-s | out-of-band completion "
        "p50 / p99 ms | out-of-band burst msgs / server CPU-s |",
        "|" + "---|" * 14,
    ]
    for r in doc["runs"]:
        mem, con = r.get("memory", {}), r.get("connect", {})
        held = r.get("held")
        held_s = "–" if held is None else "{:,}".format(held)
        if not r.get("ok"):
            held_s += " (failed)"
        kern = mem.get("kernel_per_conn")
        out.append("| %s | {:,} | %s | %s | %s | %s | %s | %s | %s | %s | %s "
                   "| %s | %s | %s |".format(r["n"]) % (
                       r["label"], held_s,
                       "%.2f KB" % (mem["rss_per_conn"] / KB) if mem else "–",
                       "%.1f KB" % (kern / KB) if kern is not None else "–",
                       num(con.get("per_s")) if con else "–",
                       pair(r.get("sparse"), "lat_p50_ms", "lat_p99_ms"),
                       pair(r.get("sparse"), "comp_p50_ms", "comp_p99_ms"),
                       rate(r.get("fanout"), "msgs_per_s"),
                       rate(r.get("fanout"), "msgs_per_cpu_s"),
                       rate(r.get("burst"), "msgs_per_s"),
                       rate(r.get("burst"), "msgs_per_cpu_s"),
                       pair(r.get("oob_sparse"), "comp_p50_ms",
                            "comp_p99_ms"),
                       rate(r.get("oob_burst"), "msgs_per_cpu_s")))
    return out


def rpc_table(doc):
    rows = [r for r in doc["runs"] if r.get("rpc")]
    if not rows:
        return []
    out = ["| N | empty channel: round trip p50 / p99 µs | empty channel: "
           "pipelined emits/s | one sid: round trip p50 / p99 µs | one sid: "
           "pipelined emits/s | everyone: round trip p50 / p99 µs |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        p = r["rpc"]

        def rt(k):
            x = p.get(k)
            return "%s / %s" % (x["rtt_p50_us"], x["rtt_p99_us"]) if x \
                else "–"

        def pl(k):
            x = p.get(k)
            return num(x.get("pipelined_per_s")) if x else "–"
        out.append("| {:,} | {} | {} | {} | {} | {} |".format(
            r["n"], rt("empty"), pl("empty"), rt("sid"), pl("sid"),
            rt("all")))
    return out


def targets(doc):
    """(what, measured, verdict) for each target of issue 8."""
    rows = []
    ns = doc["meta"]["ns"]

    def absent(n, who="socketiod"):
        if n not in ns:
            return "not measured (N = {:,} not in this run)".format(n)
        return "not measured (%s failed or missing at N = {:,})".format(n) \
            % who

    def verdict(ok):
        return "**met**" if ok else "**not met**"

    s19 = find(doc, "socketiod", 19000)
    what = "idle WebSocket ≤ 2 KB user-space RSS per connection at 19k"
    if s19:
        v = s19["memory"]["rss_per_conn"]
        rows.append((what, "%.2f KB" % (v / KB), verdict(v <= 2 * KB)))
    else:
        rows.append((what, absent(19000), ""))

    def ratio_row(what, n, peer, key, phase, want, peer_name):
        s, p = find(doc, "socketiod", n), find(doc, peer, n)
        if not s or not p:
            rows.append((what, absent(n, "socketiod or " + peer_name), ""))
            return
        a, b = s[phase].get(key), p[phase].get(key)
        if not a or not b:
            rows.append((what, "not measured", ""))
            return
        ratio = a / b
        rows.append((what, "%s vs %s: %.3f×" % (num(a), num(b), ratio),
                     verdict(ratio >= want)))

    ratio_row("fan-out msgs per server CPU-s ≥ 4× Node's at 19k", 19000,
              "node", "msgs_per_cpu_s", "fanout", 4, "Node")
    ratio_row("fan-out msgs per server CPU-s ≥ 2× Node's at 1k", 1000,
              "node", "msgs_per_cpu_s", "fanout", 2, "Node")
    for n in ns:
        ratio_row("fan-out msgs per server CPU-s ≥ 90 % of the calibration "
                  "server's at {:,}".format(n), n, "ceiling",
                  "msgs_per_cpu_s", "fanout", 0.9, "the calibration server")
    what = "burst ≥ 250k msgs per server CPU-s at 19k"
    if s19 and s19["burst"].get("msgs_per_cpu_s"):
        v = s19["burst"]["msgs_per_cpu_s"]
        rows.append((what, num(v), verdict(v >= 250000)))
    else:
        rows.append((what, absent(19000), ""))
    what = "sparse broadcast completion p50 at 19k ≤ ½ Node's"
    n19 = find(doc, "node", 19000)
    if s19 and n19:
        a, b = s19["sparse"]["comp_p50_ms"], n19["sparse"]["comp_p50_ms"]
        rows.append((what, "%s ms vs %s ms: %.2f of Node's" % (
            ms(a), ms(b), a / b if b else 0), verdict(b and a <= b / 2)))
    else:
        rows.append((what, absent(19000, "socketiod or Node"), ""))
    for n in ns:
        s = find(doc, "socketiod", n)
        what = "RPC emit round trip p50 ≤ 100 µs, empty channel / one sid, " \
            "at {:,}".format(n)
        if s and s.get("rpc"):
            e, o = s["rpc"].get("empty", {}), s["rpc"].get("sid", {})
            a, b = e.get("rtt_p50_us"), o.get("rtt_p50_us")
            rows.append((what, "%s / %s µs" % (a, b),
                         verdict(a is not None and b is not None and
                                 max(a, b) <= 100)))
            what = "RPC pipelined emits ≥ 50k/s, empty channel / one sid, " \
                "at {:,}".format(n)
            a, b = e.get("pipelined_per_s"), o.get("pipelined_per_s")
            rows.append((what, "%s / %s" % (num(a), num(b)),
                         verdict(a is not None and b is not None and
                                 min(a, b) >= 50000)))
        else:
            rows.append((what, absent(n), ""))
    recovery_rows(doc, rows, absent, verdict)
    return ["| target | measured | |", "|---|---|---|"] + \
        ["| %s | %s | %s |" % r for r in rows]


def recovery_rows(doc, rows, absent, verdict):
    """Issue 19's targets for --recovery, when the run has its row
    (RECOVERY=SECONDS): memory and fan-out beside socketiod without it."""
    if not any(r["server"] == "socketiod-recovery" for r in doc["runs"]):
        return
    r19 = find(doc, "socketiod-recovery", 19000)
    what = "idle WebSocket ≤ 1.5 KB user-space RSS per connection at 19k " \
        "with --recovery"
    if r19:
        v = r19["memory"]["rss_per_conn"]
        rows.append((what, "%.2f KB" % (v / KB), verdict(v <= 1.5 * KB)))
    else:
        rows.append((what, absent(19000, "socketiod-recovery"), ""))
    for n in doc["meta"]["ns"]:
        what = "fan-out msgs per server CPU-s with --recovery ≥ 0.85× " \
            "without, at {:,}".format(n)
        on, off = find(doc, "socketiod-recovery", n), find(doc, "socketiod", n)
        a = on and on["fanout"].get("msgs_per_cpu_s")
        b = off and off["fanout"].get("msgs_per_cpu_s")
        if not a or not b:
            rows.append((what, absent(n, "socketiod or socketiod-recovery"),
                         ""))
            continue
        rows.append((what, "%s vs %s: %.3f×" % (num(a), num(b), a / b),
                     verdict(a / b >= 0.85)))


def notes(doc):
    out = []
    for r in doc["runs"]:
        who = "%s at N = {:,}".format(r["n"]) % r["label"]
        if not r.get("ok"):
            out.append("- %s failed: %s." % (who, r.get("error")))
        elif r.get("held") is not None and r["held"] < r["n"]:
            out.append("- %s held {:,} of {:,} connections.".format(
                r["held"], r["n"]) % who)
        for ph in ("sparse", "fanout", "burst", "oob_sparse", "oob_burst"):
            p = r.get(ph)
            if p and not p.get("complete", True):
                out.append("- %s, %s: {:,} of {:,} deliveries within the "
                           "phase's time bound (marked *).".format(
                               p["delivered"], p["want"]) % (who, ph))
    per = []
    for r in doc["runs"]:
        p = r.get("sparse") or {}
        if r["n"] == 19000 and p.get("server_cpu_s") and p.get("delivered"):
            per.append("%s %.1f µs" % (r["label"], p["server_cpu_s"] * 1e6 /
                                        p["delivered"]))
    if per:
        out.append("- Server CPU per delivery in the sparse phase at "
                   "N = 19,000 (completion is wall time; socketiod writes a "
                   "large broadcast across its send threads, so it also "
                   "counts theirs): " + ", ".join(per) + ".")
    ratios = []
    for r in doc["runs"]:
        f = r.get("fanout") or {}
        if f.get("client_cpu_s") and f.get("server_cpu_s"):
            ratios.append((r["label"], r["n"],
                           f["client_cpu_s"] / f["server_cpu_s"]))
    if ratios:
        lo, hi = min(ratios, key=lambda x: x[2]), max(ratios,
                                                      key=lambda x: x[2])
        out.append("- The load generator's CPU per delivered message in the "
                   "fan-out phases was %.2f× (%s, {:,}) to %.2f× (%s, {:,}) "
                   "the server's.".format(lo[1], hi[1]) % (
                       lo[2], lo[0], hi[2], hi[0]))
    return out


def twonode_find(doc, side, n, nodes):
    for r in doc.get("twonode", []):
        if r["side"] == side and r["n"] == n and r["nodes"] == nodes and \
                r.get("ok"):
            return r
    return None


TRIGGERS = {("socketiod", "own"): "RPC emit on node A",
            ("node", "own"): "io.emit on node A",
            ("socketiod", "emitter"): "@socket.io/redis-emitter",
            ("node", "emitter"): "@socket.io/redis-emitter"}


def twonode_table(doc):
    out = ["| side | clients per node | trigger | completion p50 / p99 ms, "
           "node A's clients | completion p50 / p99 ms, node B's clients "
           "| fan-out deliveries/s | deliveries / node CPU-s | deliveries / "
           "(node + Redis) CPU-s | CPU-s in the fan-out: nodes / Redis |",
           "|" + "---|" * 9]
    for r in doc.get("twonode", []):
        ref = r["nodes"] == 1
        who = "%s, %s" % (r["label"], "one node, no Redis (reference)"
                          if ref else "two nodes")
        if not r.get("ok"):
            out.append("| %s | {:,} | failed: %s | | | | | | |".format(
                r["n"]) % (who, r.get("error")))
            continue
        for path in ("own", "emitter"):
            sp, fo = r.get(path + "_sparse"), r.get(path + "_fanout")
            if not sp or not fo:
                continue
            trig = "RPC emit" if ref else TRIGGERS[(r["side"], path)]
            cpu = "%.2f / %.2f" % (sum(fo["node_cpu_s"]), fo["redis_cpu_s"]) \
                if ref is False else "%.2f / –" % sum(fo["node_cpu_s"])
            out.append("| %s | {:,} | %s | %s | %s | %s | %s | %s | %s |"
                       .format(r["n"]) % (
                           who, trig,
                           pair(sp.get("a"), "comp_p50_ms", "comp_p99_ms") +
                           mark(sp),
                           pair(sp.get("b"), "comp_p50_ms", "comp_p99_ms") +
                           mark(sp) if "b" in sp else "–",
                           rate(fo, "msgs_per_s"), rate(fo, "msgs_per_cpu_s"),
                           "–" if ref else rate(fo,
                                                "msgs_per_cpu_s_with_redis"),
                           cpu))
    return out


def twonode_targets(doc):
    """(what, measured, verdict) for each performance target of issue 17."""
    rows = []

    def verdict(ok):
        return "**met**" if ok else "**not met**"

    def missing(ran):
        return "not measured (%s)" % (
            "no CPU time counted: too few broadcasts" if ran
            else "a side failed or was not in SERVERS")

    for n in doc["meta"].get("twonode_ns", []):
        at = "at {:,} clients per node".format(n)
        ref = twonode_find(doc, "socketiod", n, 1)
        s = twonode_find(doc, "socketiod", n, 2)
        nd = twonode_find(doc, "node", n, 2)
        what = "cross-node fan-out per node CPU-s ≥ 0.9× socketiod's " \
            "single-node figure (RPC emit), " + at
        a = s and s["own_fanout"].get("msgs_per_cpu_s")
        b = ref and ref["own_fanout"].get("msgs_per_cpu_s")
        if a and b:
            rows.append((what, "%s vs %s: %.3f×" % (num(a), num(b), a / b),
                         verdict(a / b >= 0.9)))
        else:
            rows.append((what, missing(s and ref), ""))
        for path, how in (("own", "each side's own path (RPC emit vs "
                           "io.emit, on node A)"),
                          ("emitter", "through @socket.io/redis-emitter")):
            what = "cross-node fan-out per node CPU-s ≥ 2× Node's, %s, %s" % (
                how, at)
            a = s and s[path + "_fanout"].get("msgs_per_cpu_s")
            b = nd and nd[path + "_fanout"].get("msgs_per_cpu_s")
            if a and b:
                rows.append((what, "%s vs %s: %.3f×" % (num(a), num(b),
                                                         a / b),
                             verdict(a / b >= 2)))
            else:
                rows.append((what, missing(s and nd), ""))
        what = "the Redis hop adds ≤ 2 ms to completion p50: node B's " \
            "(remote) minus node A's (origin), socketiod, RPC emit, " + at
        if s:
            a, b = s["own_sparse"]["a"], s["own_sparse"]["b"]
            d = b["comp_p50_ms"] - a["comp_p50_ms"]
            m = "%s − %s = %.1f ms" % (ms(b["comp_p50_ms"]),
                                       ms(a["comp_p50_ms"]), d)
            if ref:
                m += " (node B − the single node: %.1f ms)" % (
                    b["comp_p50_ms"] - ref["own_sparse"]["a"]["comp_p50_ms"])
            rows.append((what, m, verdict(d <= 2) if n == 1000 else
                         "(the target is at 1,000)"))
        else:
            rows.append((what, missing(False), ""))
    return ["| target | measured | |", "|---|---|---|"] + \
        ["| %s | %s | %s |" % r for r in rows]


def twonode_notes(doc):
    out = []
    for r in doc.get("twonode", []):
        who = "%s, %s, at {:,} clients per node".format(r["n"]) % (
            r["label"], "reference" if r["nodes"] == 1 else "two nodes")
        if not r.get("ok"):
            out.append("- %s failed: %s." % (who, r.get("error")))
            continue
        held = r.get("held") or []
        if any(h < r["n"] for h in held):
            out.append("- %s held %s of {:,} connections per node.".format(
                r["n"]) % (who, " and ".join("{:,}".format(h) for h in held)))
        for ph in ("own_sparse", "own_fanout", "emitter_sparse",
                   "emitter_fanout"):
            p = r.get(ph)
            if p and not p.get("complete", True):
                out.append("- %s, %s: {:,} of {:,} deliveries within the "
                           "phase's time bound (marked *).".format(
                               p["delivered"], p["want"]) % (who, ph))
            if p and ph.endswith("_fanout") and p.get("node_cpu_s"):
                ticks = sum(p["node_cpu_s"]) * doc["meta"].get("clk_tck", 100)
                if 100.0 * len(p["node_cpu_s"]) > 5 * max(ticks, 1):
                    out.append("- %s, %s: only %.0f CPU ticks counted on the "
                               "nodes, so its per CPU-s figures are good to "
                               "about ±%.0f %% (more broadcasts: "
                               "`TWONODE_FANOUT`)." % (
                                   who, ph, ticks,
                                   100.0 * len(p["node_cpu_s"]) /
                                   max(ticks, 1)))
        s = r.get("own_sparse")
        if r["side"] == "node" and s and "b" in s:
            out.append("- %s: node B's completion p50 minus node A's "
                       "(io.emit on A): %.1f ms." % (
                           who, s["b"]["comp_p50_ms"] - s["a"]["comp_p50_ms"]))
    for n in doc["meta"].get("twonode_ns", []):
        single = find(doc, "socketiod", n)
        if single and single["fanout"].get("msgs_per_cpu_s"):
            out.append("- The single-server table's fan-out figure for "
                       "socketiod at N = {:,} (sized by time, not by count) "
                       "was %s msgs per server CPU-s.".format(n) %
                       num(single["fanout"]["msgs_per_cpu_s"]))
    ratios = []
    for r in doc.get("twonode", []):
        for path in ("own", "emitter"):
            f = r.get(path + "_fanout") or {}
            if f.get("client_cpu_s") and sum(f.get("node_cpu_s", [0])) > 0:
                ratios.append(f["client_cpu_s"] / sum(f["node_cpu_s"]))
    if ratios:
        out.append("- The load generators' CPU in the two-node fan-out "
                   "phases was %.2f× to %.2f× the nodes'." % (min(ratios),
                                                               max(ratios)))
    return out


def twonode_section(doc):
    if not doc.get("twonode"):
        return []
    m = doc["meta"]
    lines = [
        "## Two nodes through Redis (issue 17)", "",
        "Each side runs two nodes on one redis-server of its own, with the "
        "same number of clients on each (one load generator per node); "
        "socketiod with `--redis`, Node socket.io with "
        "@socket.io/redis-adapter. *own path*: socketiod's RPC emit to node "
        "A, Node's `io.emit` on node A: A is the origin, B the remote node. "
        "*emitter*: @socket.io/redis-emitter in a process of its own, both "
        "nodes remote. The reference row is one socketiod without `--redis` "
        "and the same clients per node, same trigger and counts. Each path "
        "starts with %d uncounted broadcasts; *completion*: %d broadcasts "
        "spaced so that each completes before the next, eager clients, from "
        "the trigger's CLOCK_MONOTONIC stamp to the last receiver among "
        "that node's clients; *fan-out*: %d broadcasts (RPC: each once the "
        "last one was answered; `io.emit`: one per event-loop turn; "
        "emitter: back to back), lazy clients, deliveries (both nodes' "
        "clients) per CPU-second of the two nodes (`utime+stime`), and of "
        "the nodes and Redis. Trigger processes (rpcemit, the emitter) are "
        "not counted; Node's `io.emit` runs in node A." % (
            m.get("twonode_warmup", 0), m.get("twonode_bcasts", 0),
            m.get("twonode_fanout", 0)), "",
        "*Redis hop*: in the own-path completion measurement, node B's "
        "(remote) completion p50 minus node A's (origin). Both are timed "
        "from the one stamp the trigger takes before the emit, so the "
        "difference is what reaching B's clients through Redis adds: the "
        "PUBLISH, redis-server, B reading and decoding it, B's fan-out "
        "(beside A's, on the shared cores). Node B's p50 minus the "
        "single-node reference's is given beside it.", ""]
    lines += twonode_table(doc) + [""]
    lines += ["### Targets (issue 17), from this run", ""] + \
        twonode_targets(doc) + [""]
    nt = twonode_notes(doc)
    if nt:
        lines += ["### Notes", ""] + nt + [""]
    return lines


def workers_find(doc, workers, poll=None):
    for r in doc.get("workers", []):
        if r["workers"] != workers or not r.get("ok"):
            continue
        if poll is None and r.get("transport") != "polling":
            return r
        if poll is not None and r.get("transport") == "polling" and \
                r["keepalive"] == poll:
            return r
    return None


def once(ph):
    if not ph:
        return "–"
    return "yes" if ph.get("exactly_once") else "**no** (%s of %s, per " \
        "client %s–%s)" % (ph.get("delivered"), ph.get("want"),
                          ph.get("per_conn_min"), ph.get("per_conn_max"))


def workers_table(doc):
    out = ["| server | clients | held | server processes: open fds | user "
           "RSS / conn | kernel / conn (both ends) | connect / s | sparse "
           "completion p50 / p99 ms (all clients) | fan-out msgs/s | fan-out "
           "msgs / server CPU-s | with Redis's CPU | CPU-s in the fan-out: "
           "server / Redis | every broadcast exactly once (sparse, fan-out) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in doc.get("workers", []):
        if r.get("transport") == "polling":
            continue
        if not r.get("ok"):
            out.append("| %s | {:,} | %s | failed: %s |||||||||||".format(
                r["n"]) % (r["label"], r.get("held", "–"),
                           r.get("error", "?").replace("|", "/")))
            continue
        m, sp, fo = r["memory"], r.get("sparse"), r.get("fanout")
        out.append("| %s | {:,} | {:,} | %s | %.2f KB | %s | {:,.0f} | %s | "
                   "%s | %s | %s | %.2f / %s | %s, %s |".format(
                       r["n"], r["held"], r["connect_per_s"]) % (
            r["label"], " + ".join("{:,}".format(f) for f in r["fds"]),
            m["rss_per_conn"] / KB,
            "%.1f KB" % (m["kernel_per_conn"] / KB)
            if m.get("kernel_per_conn") is not None else "–",
            pair(sp, "comp_p50_ms", "comp_p99_ms"),
            rate(fo, "msgs_per_s"), rate(fo, "msgs_per_cpu_s"),
            rate(fo, "msgs_per_cpu_s_with_redis") if r["workers"] else "–",
            fo.get("server_cpu_s", 0),
            "%.2f" % fo["redis_cpu_s"] if r["workers"] else "–",
            once(sp), once(fo)))
    return out


def poll_table(doc):
    out = ["| server | connections | clients | requests (GET + POST) | TCP "
           "connections opened | handed off (share of requests) | hand-offs "
           "failed | server CPU-s | server µs per request | vs one process "
           "| delivery p50 / p99 ms | every broadcast exactly once |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in doc.get("workers", []):
        if r.get("transport") != "polling":
            continue
        how = "keep-alive" if r["keepalive"] else "new per request"
        if not r.get("ok"):
            out.append("| %s | %s | {:,} | failed: %s |||||||||".format(
                r["n"]) % (r["label"], how,
                           r.get("error", "?").replace("|", "/")))
            continue
        p = r["poll"]
        c = p.get("counters", {})
        sent = c.get("socketiod_handoffs_sent_total")
        failed = c.get("socketiod_handoffs_failed_total")
        ref = workers_find(doc, 0, r["keepalive"])
        vs = "–"
        if r["workers"] and ref and ref["poll"].get("cpu_us_per_request") \
                and p.get("cpu_us_per_request"):
            vs = "%.2f×" % (p["cpu_us_per_request"] /
                            ref["poll"]["cpu_us_per_request"])
        out.append("| %s | %s | {:,} | {:,} | {:,} | %s | %s | %.2f | %.1f | "
                   "%s | %s | %s |".format(r["ready"], p["requests"],
                                           p["conns"]) % (
            "socketiod --workers %d" % r["workers"] if r["workers"]
            else "socketiod, one process", how,
            "{:,.0f} ({:.1f} %)".format(sent, 100.0 * sent / p["requests"])
            if sent is not None and p["requests"] else "–",
            "{:,.0f}".format(failed) if failed is not None else "–",
            p["server_cpu_s"], p.get("cpu_us_per_request", 0), vs,
            pair(p, "lat_p50_ms", "lat_p99_ms"), once(p)))
    return out


def workers_targets(doc):
    m = doc["meta"]
    n, ref_n = m.get("workers_n"), m.get("workers_ref_n")
    w = workers_find(doc, m.get("workers", 2))
    ref = workers_find(doc, 0)

    def verdict(ok):
        return "**met**" if ok else "**not met**"
    rows = ["| target | measured | |", "|---|---|---|"]
    if not w:
        rows.append("| socketiod --workers %d holds {:,} WebSocket clients "
                    "| the run failed or did not run | **not met** |".format(
                        n or 0) % m.get("workers", 2))
        return rows
    fo, sp = w.get("fanout", {}), w.get("sparse", {})
    rows.append("| socketiod --workers %d holds {:,} WebSocket clients, "
                "every broadcast delivered exactly once | {:,} held; sparse "
                "%s, fan-out %s | %s |".format(n, w["held"]) % (
                    w["workers"], once(sp), once(fo),
                    verdict(w["held"] >= n and sp.get("exactly_once") and
                            fo.get("exactly_once"))))
    per = w["memory"]["rss_per_conn"] / KB
    rows.append("| user RSS per connection (supervisor and workers) ≤ 1.2 KB "
                "at {:,} | %.2f KB | %s |".format(n) % (per,
                                                        verdict(per <= 1.2)))
    if ref and ref.get("fanout", {}).get("msgs_per_cpu_s") and \
            fo.get("msgs_per_cpu_s"):
        a, b = fo["msgs_per_cpu_s"], ref["fanout"]["msgs_per_cpu_s"]
        rows.append("| fan-out msgs per server CPU-s (supervisor + workers, "
                    "Redis's CPU not in it) at {:,} ≥ 0.9× one process's at "
                    "{:,} | %s vs %s: %.3f× (with Redis's CPU: %s, "
                    "%.3f×) | %s |".format(n, ref_n) % (
                        num(a), num(b), a / b,
                        num(fo.get("msgs_per_cpu_s_with_redis")),
                        fo.get("msgs_per_cpu_s_with_redis", 0) / b,
                        verdict(a / b >= 0.9)))
    if sp.get("comp_p50_ms") is not None:
        rows.append("| sparse completion p50 at {:,} (reported; one "
                    "process at {:,}: %s ms) | %s ms | – |".format(
                        n, ref_n) % (
                            ms(ref["sparse"].get("comp_p50_ms"))
                            if ref else "–", ms(sp["comp_p50_ms"])))
    return rows


def workers_notes(doc):
    out = []
    for r in doc.get("workers", []):
        if not r.get("ok"):
            continue
        if r.get("transport") == "polling":
            p = r["poll"]
            if p.get("server_cpu_s_per_process") and r["workers"]:
                out.append("- %s: CPU-s per process (supervisor first) "
                           "%s; Redis %.2f; pollgen %.2f." % (
                               r["label"], " / ".join(
                                   "%.2f" % c
                                   for c in p["server_cpu_s_per_process"]),
                               p["redis_cpu_s"], p["client_cpu_s"]))
            continue
        fo = r.get("fanout") or {}
        if len(r.get("fanout_runs", [])) > 1:
            out.append("- %s, {:,} clients: fan-out msgs per server CPU-s "
                       "in each of the %d measurements: %s (the median is "
                       "in the table).".format(r["n"]) % (
                           r["label"], len(r["fanout_runs"]), ", ".join(
                               num(x.get("msgs_per_cpu_s"))
                               for x in r["fanout_runs"])))
        if fo.get("server_cpu_s"):
            out.append("- %s, {:,} clients: fan-out of %d broadcasts, CPU-s "
                       "%s%s, load generators %.2f (%.2f× the server's); "
                       "completion p50 per load generator in the sparse "
                       "phase %s ms.".format(r["n"]) % (
                r["label"], fo["broadcasts"],
                "per process (supervisor first) " if r["workers"] else "",
                " / ".join(
                    "%.2f" % c for c in fo["server_cpu_s_per_process"]),
                fo.get("client_cpu_s", 0),
                fo.get("client_cpu_s", 0) / fo["server_cpu_s"],
                " / ".join(ms(x) for x in
                           r["sparse"].get("comp_p50_ms_per_lg", []))))
    return out


def noise_notes(doc):
    """How busy the rest of the machine was in each measurement."""
    parts = []
    for r in doc.get("workers", []):
        if not r.get("ok"):
            continue
        phs = [("polling", r["poll"])] if r.get("transport") == "polling" \
            else [("sparse", r.get("sparse"))] + [
                ("fan-out", x) for x in r.get("fanout_runs", [])]
        for name, ph in phs:
            if ph and ph.get("secs") and ph.get("others_cpu_s") is not None:
                parts.append("%s %s %.0f %%" % (
                    r["label"] if r.get("transport") != "polling"
                    else "%s, %s" % (
                        "--workers %d" % r["workers"] if r["workers"]
                        else "one process",
                        "keep-alive" if r["keepalive"] else "new connections"),
                    name, 100.0 * ph["others_cpu_s"] / ph["secs"]))
    if not parts:
        return []
    return ["- The rest of the machine (other work, the driver; /proc/stat's "
            "busy time less the server's, Redis's and the load generators') "
            "in each measurement, in % of one core: " + "; ".join(parts) +
            "."]


def handoff_cost_notes(doc):
    """The workers' extra server CPU over one process's, per request and,
    without keep-alive, per hand-off."""
    out = []
    extra = {}
    for keepalive in (False, True):
        ref = workers_find(doc, 0, keepalive)
        w = workers_find(doc, doc["meta"].get("workers", 2), keepalive)
        if not (ref and w and ref["poll"].get("cpu_us_per_request") and
                w["poll"].get("cpu_us_per_request")):
            continue
        extra[keepalive] = (w["poll"]["cpu_us_per_request"] -
                            ref["poll"]["cpu_us_per_request"])
        sent = w["poll"].get("counters", {}).get(
            "socketiod_handoffs_sent_total")
        if not keepalive and sent:
            out.append(
                "- Polling with a new connection per request: the workers "
                "spent %.1f µs more server CPU per request than one process, "
                "%.1f µs per hand-off (%s hand-offs over %s requests). That "
                "is an upper bound on a hand-off's cost: it also holds what "
                "two workers cost without any hand-off." % (
                    extra[False], extra[False] * w["poll"]["requests"] / sent,
                    "{:,.0f}".format(sent),
                    "{:,}".format(w["poll"]["requests"])))
    if True in extra:
        out.append("- With keep-alive (no hand-offs) the workers spent %.1f "
                   "µs more server CPU per request than one process: two "
                   "loops waking on two cores, and each broadcast published "
                   "to Redis." % extra[True])
    if True in extra and False in extra:
        ref = workers_find(doc, 0, False)
        w = workers_find(doc, doc["meta"].get("workers", 2), False)
        sent = w["poll"].get("counters", {}).get(
            "socketiod_handoffs_sent_total")
        if sent:
            out.append("- Taking that keep-alive difference off, a hand-off cost "
                       "about %.1f µs of server CPU (an estimate; the sender's accept, "
                       "read and parse of the head are in it)." % (
                           (extra[False] - extra[True]) *
                           w["poll"]["requests"] / sent))
    return out


def workers_section(doc):
    if not doc.get("workers"):
        return []
    m = doc["meta"]
    lines = [
        "## Many workers on one port (issue 18)", "",
        "`socketiod --workers %d --redis URL` (a redis-server of its own) "
        "holding {:,} WebSocket clients beside one socketiod process (no "
        "`--redis`) holding {:,}, in the same run. The clients come from "
        "several load generator processes of at most {:,} clients each, "
        "each on four source addresses of its own (one process may open "
        "20,000 files, the load generator's too); deliveries are summed "
        "over them and every client is checked to get every broadcast "
        "exactly once. *server*: the supervisor and its workers (RSS and "
        "`utime+stime` summed over the processes; Redis's CPU apart). "
        "*sparse completion*: the last receiver among all the clients, "
        "from the trigger's CLOCK_MONOTONIC stamp. *fan-out*: RPC emits, "
        "each once the last one was answered (the worker that took the RPC "
        "delivers to its clients and publishes; the other delivers what "
        "Redis brings it), lazy clients, sized to about %g s, measured "
        "%d times (the median in the table, each in the notes)%s.".format(
            m.get("workers_n", 0), m.get("workers_ref_n", 0),
            m.get("workers_per_lg", 0)) % (
                m.get("workers", 2), m.get("workers_seconds", 0),
                m.get("workers_repeats", 1),
                ", alternating with the other configuration's (both were up "
                "at the same time, the one not measured idle)"
                if m.get("workers_interleave") else ""), ""]
    lines += workers_table(doc) + [""]
    if any(r.get("transport") == "polling" for r in doc["workers"]):
        lines += [
            "### Long-polling on the shared port", "",
            "{:,} Engine.IO long-polling clients (`bench/pollgen`: a GET "
            "channel and a POST channel each, as a browser), either opening "
            "a new TCP connection for every request (so that with "
            "SO_REUSEPORT each lands on any worker) or keeping both "
            "connections alive; %d broadcasts %d ms apart, each answering "
            "every held GET. *handed off*: the workers' "
            "`socketiod_handoffs_sent_total` (their /metrics, `--admin` per "
            "worker) over the requests the clients made in that time; *µs "
            "per request*: CPU of every server process over the requests; "
            "*vs one process*: that against the one process's with the "
            "same clients and connections.".format(m.get("poll_n", 0)) % (
                m.get("poll_bcasts", 0), m.get("poll_interval", 0)), ""]
        lines += poll_table(doc) + [""]
    lines += ["### Targets (issue 18), from this run", ""] + \
        workers_targets(doc) + [""]
    nt = workers_notes(doc) + handoff_cost_notes(doc) + noise_notes(doc)
    if nt:
        lines += ["### Notes", ""] + nt + [""]
    return lines


def single(doc):
    """The single-server sections: table, RPC, targets of issue 8, notes."""
    m = doc["meta"]
    lines = []
    lines += table(doc) + [
        "",
        "KB = 1024 bytes. *user RSS*: VmRSS after the clients connected and "
        "settled minus before, per connection (Node and Python collect "
        "garbage first). *kernel*: growth of the slab caches a socket "
        "occupies (%s, from /proc/slabinfo; not its dentry and filp, "
        "~0.5 KB, which every process moves) per connection, both ends "
        "(client and server socket) on this machine. "
        "*sparse*: broadcasts %s ms apart or more, eager client; delivery = "
        "each message, completion = each broadcast's last receiver, both "
        "from the emitter's CLOCK_MONOTONIC stamp. *fan-out*: each "
        "broadcast issued when the last one was written; *burst*: back to "
        "back (socketiod: pipelined RPC emits; Node and Python: %d per "
        "event-loop turn; calibration: %d jobs at once); both with a lazy "
        "client (%d ms sleeps), msgs/s = deliveries / wall time, per server "
        "CPU-s = deliveries / the server's utime+stime. *out-of-band*: "
        "socketiod through its RPC, Node through @socket.io/redis-emitter "
        "→ redis-server → redis adapter, python-socketio through "
        "RedisManager(write_only=True) → redis-server → RedisManager; "
        "Redis CPU is not in the server's (it is in the JSON)." % (
            ", ".join(kernel_caches(doc)), "100", m["burst_per_turn"],
            m["burst_per_turn"],
            m["lazy_us"] // 1000),
        "",
    ]
    rt = rpc_table(doc)
    if rt:
        lines += ["## socketiod's control RPC", "",
                  "One persistent connection: round trips one emit at a "
                  "time (2,000; 20 to everyone), then pipelined with up to "
                  "1,000 unanswered (100,000 to the empty channel, 20,000 "
                  "to the sid). The peers' Redis emitters are "
                  "fire-and-forget (no answer, so no round trip to "
                  "compare).", ""] + rt + [""]
    lines += ["## Targets (issue 8), from this run", ""] + targets(doc) + [""]
    nt = notes(doc)
    if nt:
        lines += ["## Notes", ""] + nt + [""]
    return lines


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    m = doc["meta"]
    v = m["versions"]
    lines = [
        "# Benchmark: socketiod, Node socket.io, python-socketio",
        "",
        "Produced by `bash bench/run.sh` (method and caveats: "
        "`bench/README.md`) on %s, %d CPUs, kernel %s, in %.1f minutes; "
        "load average %.2f at the start. All servers and the load generator "
        "ran on this one machine, one server at a time, over loopback. "
        "Compare rows of this run only, and per server CPU-second: the "
        "cores are shared." % (m["date"], m["cpus"], m["kernel"],
                               m.get("minutes", 0), m["loadavg_at_start"][0]),
        "",
        "Versions: socketiod %s; Node %s, socket.io %s, "
        "@socket.io/redis-adapter %s, @socket.io/redis-emitter %s; "
        "python3-socketio %s, python3-engineio %s, python3-gevent %s, "
        "python3-gevent-websocket %s; redis-server %s." % (
            v.get("socketiod"), v.get("node"), v.get("socket.io"),
            v.get("@socket.io/redis-adapter"),
            v.get("@socket.io/redis-emitter"), v.get("python3-socketio"),
            v.get("python3-engineio"), v.get("python3-gevent"),
            v.get("python3-gevent-websocket"), v.get("redis-server")),
        "",
    ]
    for n in m.get("notes", []):
        lines += ["Note: " + n, ""]
    if doc["runs"]:
        lines += single(doc)
    lines += twonode_section(doc)
    lines += workers_section(doc)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
