# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""driver: the measuring half of bench/run.sh. For each N and each server in
turn it starts the server alone on this machine, connects N WebSocket
clients (bench/loadgen), and measures:

  memory     user-space RSS of the server per idle connection (VmRSS after
             the clients settled minus before they came; Node and Python
             collect garbage first), kernel slab per connection (both ends:
             /proc/meminfo Slab, which other processes also move)
  connect    clients ready (namespace joined) per second
  sparse     broadcasts spaced so that each one completes before the next,
             eager client: latency of each delivery, and of each broadcast's
             last delivery (completion), both from the emitter's t_us
  fan-out    one broadcast after the other, each issued when the previous
             one was written (one frame per socket per write): delivered
             msgs/s (wall) and per server CPU-second (/proc/PID/stat);
             lazy client, so the client costs less than the server
  burst      broadcasts back to back, so frames queue per connection
  oob        the out-of-band path (socketiod: its RPC; Node: the Redis
             emitter; python-socketio: RedisManager(write_only=True)):
             sparse completion, and back-to-back delivered msgs per CPU-s
  rpc        socketiod only: emit round trip on one persistent RPC
             connection and pipelined emits/s, to an empty channel, to one
             sid and to all

With --phases twonode (the two-node phase of issue 17), for socketiod and
Node socket.io: two nodes on one redis-server, n clients on each (one load
generator per node), broadcasts from the side's own emit on node A and from
@socket.io/redis-emitter: completion per node (origin, remote) and
deliveries per CPU-second of the nodes, with and without Redis's; plus one
socketiod without --redis as the single-node reference. Those counts are
fixed (--twonode-bcasts, --twonode-fanout), the same for both sides.

With --phases workers (issue 18): socketiod --workers N on a redis-server
of its own holding --workers-n WebSocket clients (39,000: several load
generators on source addresses of their own, each under the 20,000 files a
process may open), beside one process holding --workers-ref-n (19,000):
memory per client over all the server processes, sparse completion over
all the clients, fan-out per CPU-second of the supervisor and its workers
(Redis's apart), every broadcast exactly once over all load generators;
then --poll-n long-polling clients (bench/pollgen), a new connection per
request and keep-alive, against one process and against the workers: the
requests handed off and the server CPU per request.

Counts are sized from a short probe so every phase lasts a few seconds
whatever the server's speed, and each phase is bounded in time as well;
a phase that did not deliver everything says so ("complete": false).
Writes one JSON document; bench/report.py turns it into markdown.
"""

import argparse
import atexit
import json
import math
import os
import platform
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")
LAZY_US = 20000


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def now_us():
    return time.monotonic_ns() // 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid):
    """utime + stime of a process in seconds (None once it is gone)."""
    if pid is None:
        return 0.0
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


# The slab caches of an idle TCP socket in an epoll set. Its dentry and
# filp (~0.5 KB) are left out: every process opening files moves those.
SOCKET_SLABS = ("TCP", "sock_inode_cache", "eventpoll_epi", "eventpoll_pwq")


def socket_slab_bytes():
    """Bytes in the socket slab caches (active objects), or None when
    /proc/slabinfo cannot be read (it needs root)."""
    try:
        with open("/proc/slabinfo") as f:
            lines = f.readlines()[2:]
    except OSError:
        return None
    total = 0
    for line in lines:
        f = line.split()
        if f[0] in SOCKET_SLABS:
            total += int(f[1]) * int(f[3])
    return total


def meminfo_kb(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def wait_port(port, proc, secs=30):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen on %d" % port)


def http_get(port, path, timeout=30):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                timeout=timeout) as r:
        return r.read()


# Every process the driver started: stopped at exit whatever ends the run
# (an exception, ^C, SIGTERM from run.sh's trap), so none outlives it.
CHILDREN = []


def spawn(argv, **kw):
    CHILDREN[:] = [c for c in CHILDREN if c.poll() is None]
    p = subprocess.Popen(argv, **kw)
    CHILDREN.append(p)
    return p


def stop_children():
    for p in CHILDREN:
        if p.poll() is None:
            p.kill()
            p.wait()


def on_signal(sig, frame):
    raise SystemExit(128 + sig)


def stop_proc(p, secs=10):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(secs)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


class Loadgen:
    """bench/loadgen driven over its stdin/stdout."""

    def __init__(self, exe, port, n, srcs, connect_s, extra=()):
        self.p = spawn(
            [exe, "-p", str(port), "-n", str(n), "-s", ",".join(srcs),
             "-t", str(connect_s)] + list(extra),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            bufsize=1)
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            try:
                self.q.put(json.loads(line))
            except ValueError:
                pass
        self.q.put(None)

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def wait(self, ev, secs):
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                m = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if m is None:
                raise RuntimeError("loadgen exited")
            if m.get("ev") == ev:
                return m

    def stats(self):
        self.cmd("stats")
        m = self.wait("stats", 30)
        if m is None:
            raise RuntimeError("loadgen does not answer")
        return m

    def reset(self, lazy_us):
        self.cmd("lazy %d" % lazy_us)
        self.cmd("reset")
        if self.wait("reset", 30) is None:
            raise RuntimeError("loadgen does not answer")

    def close(self):
        try:
            self.cmd("quit")
            self.p.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()


class Proc:
    """A trigger that runs as a process printing one JSON line at the end."""

    def __init__(self, argv, env=None):
        self.p = spawn(argv, stdout=subprocess.PIPE, text=True, env=env)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)

    def finish(self, secs=30):
        try:
            out, _ = self.p.communicate(timeout=secs)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, _ = self.p.communicate()
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"output": out}


class Http:
    """A trigger that is the server's own /__bench/bcast job."""

    def __init__(self, port, jobs, stoppable=True):
        self.port, self.stoppable = port, stoppable
        for path in jobs:
            http_get(port, path)

    def stop(self):
        if self.stoppable:
            http_get(self.port, "/__bench/stop")

    def finish(self, secs=30):
        return {}


class Redis:
    """A redis-server of its own on a free loopback port, no persistence,
    no limit on a subscriber's output buffer (a slow node must not be cut
    off mid-phase)."""

    def __init__(self, args, workdir):
        self.port = free_port()
        self.proc = spawn(
            [args.redis_server, "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--client-output-buffer-limit", "pubsub 0 0 0",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, cwd=workdir)
        wait_port(self.port, self.proc)
        self.url = "redis://127.0.0.1:%d" % self.port

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        stop_proc(self.proc)


class Server:
    """One server under test; subclasses say how to start and trigger it.
    `redis` is a Redis shared with other nodes (the two-node phase): the
    server joins it and leaves it running. Without one, a server that
    uses_redis starts its own (its `redis`, stopped with it)."""
    name = label = ""
    oob = True
    uses_redis = False
    extra_env = {}

    def __init__(self, args, workdir, redis=None):
        self.args, self.workdir = args, workdir
        self.proc = self.redis = None
        self.redis_url = redis.url if redis else None
        self.port = free_port()

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        env = dict(os.environ, PORT=str(self.port), **self.extra_env)
        if self.uses_redis and not self.redis_url:
            self.redis = Redis(self.args, self.workdir)
            self.redis_url = self.redis.url
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        self.log = os.path.join(self.workdir, "%s-%d.log" % (self.name,
                                                            self.port))
        with open(self.log, "w") as logf:
            self.proc = spawn(self.argv(), env=env, cwd=self.workdir,
                              stdout=logf, stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc)
        self.ready()

    def ready(self):
        pass

    def collect(self):
        """Lets the server collect garbage before its RSS is read."""

    def log_tail(self, lines=5):
        try:
            with open(self.log) as f:
                return " | ".join(f.read().strip().splitlines()[-lines:])
        except (OSError, AttributeError):
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        stop_proc(self.proc)
        if self.redis:
            self.redis.stop()

    def http_jobs(self, count, interval, batch, first, jobs=1):
        each = math.ceil(count / jobs)
        paths = []
        for j in range(jobs):
            c = min(each, count - j * each)
            if c > 0:
                paths.append("/__bench/bcast?count=%d&interval=%d&batch=%d"
                             "&first=%d" % (c, interval, batch,
                                            first + j * each))
        return paths

    # Triggers: kind is "sparse", "fanout" or "burst"; each returns an
    # object with stop() and finish().
    def direct(self, kind, count, interval, first):
        if kind == "sparse":
            return Http(self.port, self.http_jobs(count, interval, 1, first))
        if kind == "fanout":
            return Http(self.port, self.http_jobs(count, 0, 1, first))
        return Http(self.port, self.http_jobs(count, 0, BURST, first))


BURST = 20  # broadcasts per event-loop turn in the burst phase (HTTP peers)


class Socketiod(Server):
    name, label = "socketiod", "socketiod"

    def argv(self):
        self.sock = os.path.join(self.workdir, "rpc-%d.sock" % self.port)
        return [self.args.socketiod, "--listen", "127.0.0.1:%d" % self.port,
                "--rpc", self.sock, "--client-js", "/dev/null",
                "--transports", "websocket"] + \
            (["--redis", self.redis_url] if self.redis_url else [])

    def ready(self):
        end = time.monotonic() + 10
        while not os.path.exists(self.sock):
            if time.monotonic() > end:
                raise RuntimeError("no control socket")
            time.sleep(0.02)

    def emit(self, *opts):
        return Proc([self.args.rpcemit, "-s", self.sock] +
                    [str(o) for o in opts])

    def direct(self, kind, count, interval, first):
        if kind == "sparse":
            return self.emit("-n", count, "-i", interval, "-w", 1000,
                             "-S", first)
        if kind == "fanout":  # the next emit once the last one was written
            return self.emit("-n", count, "-w", 1, "-S", first)
        return self.emit("-n", count, "-w", 1000, "-S", first)

    def outofband(self, kind, count, interval, first):
        return self.direct(kind, count, interval, first)

    def fleet(self, kind, count, interval, first):
        """An emit to the whole fleet from this node (two-node phase): its
        RPC emit, which with --redis also publishes."""
        return self.direct(kind, count, interval, first)


class SocketiodRecovery(Socketiod):
    """socketiod with connection state recovery on (--recovery): each
    broadcast also stored, with its offset, in the ring (issue 19)."""
    name, label = "socketiod-recovery", "socketiod --recovery"

    def argv(self):
        return super().argv() + ["--recovery",
                                 str(self.args.recovery or 120)]


class RedisPeer(Server):
    """A peer with /__bench/ endpoints whose out-of-band path is its Redis
    emitter: `emitter` is the emitting process's argv prefix."""
    uses_redis = True

    def collect(self):
        http_get(self.port, "/__bench/stats")

    def outofband(self, kind, count, interval, first):
        return Proc(self.emitter() + [str(count),
                                      str(interval if kind == "sparse" else 0),
                                      str(first)],
                    env=dict(os.environ, REDIS_URL=self.redis_url))


class Node(RedisPeer):
    name, label = "node", "Node socket.io"

    def fleet(self, kind, count, interval, first):
        """io.emit (through the adapter: local, and published) instead of
        io.local.emit; one per event-loop turn, as its fan-out phase."""
        paths = self.http_jobs(count, interval if kind == "sparse" else 0, 1,
                               first)
        return Http(self.port, [p + "&global=1" for p in paths])

    def argv(self):
        return [self.args.node, "--expose-gc",
                os.path.join(HERE, "node-server.js")]

    def emitter(self):
        return [self.args.node, os.path.join(HERE, "node-emit.js")]


class Python(RedisPeer):
    name, label = "python", "python-socketio (gevent)"

    def argv(self):
        return [sys.executable, os.path.join(HERE, "py-server.py")]

    def emitter(self):
        return [sys.executable, os.path.join(HERE, "py-emit.py")]


class Ceiling(Server):
    name, label = "ceiling", "calibration (ceiling-server, direct)"
    oob = False
    extra_env = {"MODE": "direct"}

    def argv(self):
        return [self.args.ceiling]

    def direct(self, kind, count, interval, first):
        # No stop endpoint and no batch: a burst is BURST jobs at once, whose
        # timers all fire in the same loop turn.
        if kind == "sparse":
            return Http(self.port, self.http_jobs(count, interval, 1, first),
                        stoppable=False)
        jobs = 1 if kind == "fanout" else min(BURST, count)
        return Http(self.port, self.http_jobs(count, 0, 1, first, jobs),
                    stoppable=False)


SERVERS = {c.name: c for c in (Socketiod, SocketiodRecovery, Node, Python,
                                Ceiling)}


class Run:
    """One server at one N."""

    def __init__(self, args, cls, n, index, workdir):
        self.args, self.n = args, n
        self.srv = cls(args, workdir)
        base = 2 + (index * 4) % 240
        self.srcs = ["127.0.0.%d" % (base + i) for i in range(4)]
        self.lg = None
        self.seq = 0
        self.res = {"server": cls.name, "label": cls.label, "n": n}

    def next_first(self):
        self.seq += 1000000
        return self.seq

    def cpus(self):
        redis = self.srv.redis.pid if self.srv.redis else None
        return (cpu_s(self.srv.pid), cpu_s(self.lg.p.pid), cpu_s(redis))

    def phase(self, name, make, count, lazy, timeout):
        """Runs one trigger of `count` broadcasts, waits for every delivery
        (or the timeout, then stops the trigger and lets the pipe drain) and
        returns what it measured."""
        ready = self.lg.stats()["ready"]
        self.lg.reset(lazy)
        want = count * ready
        self.lg.cmd("expect %d" % want)
        c0 = self.cpus()
        t0 = now_us()
        trig = make(count, self.next_first())
        reached = self.lg.wait("reached", timeout)
        if reached is None:
            # Out of time: stop the trigger, let what is queued arrive, and
            # count the CPU that delivering it took too.
            trig.stop()
            self.drain()
        c1 = self.cpus()
        out = trig.finish()
        st = self.lg.stats()
        if c1[0] is None or not self.srv.alive():
            raise RuntimeError("server died during %s" % name)
        r = {"broadcasts": count, "receivers": ready, "want": want,
             "delivered": st["ticks"], "complete": reached is not None,
             "per_conn_min": st["per_conn_min"],
             "per_conn_max": st["per_conn_max"],
             "lat_p50_ms": st["lat_p50_us"] / 1e3,
             "lat_p99_ms": st["lat_p99_us"] / 1e3,
             "comp_p50_ms": st["comp_p50_us"] / 1e3,
             "comp_p99_ms": st["comp_p99_us"] / 1e3,
             "bcasts_complete": st["bcasts_complete"],
             "dropped": st["dropped"], "trigger": out}
        if st["ticks"] and st["last_rx_us"] > t0:
            secs = (st["last_rx_us"] - t0) / 1e6
            r["secs"] = secs
            r["msgs_per_s"] = st["ticks"] / secs
            r["bcasts_per_s"] = st["ticks"] / ready / secs if ready else 0
        if c1[0] - c0[0] > 0 and st["ticks"]:
            r["server_cpu_s"] = c1[0] - c0[0]
            r["msgs_per_cpu_s"] = st["ticks"] / (c1[0] - c0[0])
        if c1[1] - c0[1] > 0:
            r["client_cpu_s"] = c1[1] - c0[1]
        if self.srv.redis:
            r["redis_cpu_s"] = c1[2] - c0[2]
        return r

    def drain(self, quiet=1.0, bound=30):
        last, end = -1, time.monotonic() + bound
        while time.monotonic() < end:
            t = self.lg.stats()["ticks"]
            if t == last:
                return
            last = t
            time.sleep(quiet)

    def sparse(self, make):
        """Two single warm-up broadcasts (the second after any JIT has
        run) give the completion time; the measured ones are spaced well
        apart from it, so none waits for another. If they did overlap after
        all (a warm-up can be lucky), the phase is run again, spaced from
        what it measured."""
        comp = 1
        for _ in range(2):
            w = self.phase("warm-up", lambda c, f: make("sparse", c, 100, f),
                           1, 0, 60)
            comp = max(comp, w["comp_p99_ms"])
        for attempt in range(2):
            interval = max(100, int(math.ceil(comp * 1.6 / 50.0)) * 50)
            k = max(3, min(self.args.sparse_count,
                           int(self.args.sparse_seconds * 1000 / interval)))
            r = self.phase("sparse",
                           lambda c, f: make("sparse", c, interval, f),
                           k, 0, k * interval / 1000.0 + 60)
            r["interval_ms"], r["attempt"] = interval, attempt + 1
            if r["comp_p50_ms"] <= interval * 0.8:
                break
            comp = r["comp_p50_ms"]
        return r

    def throughput(self, make, kind, lazy, secs, rate=None):
        """Sized to last about `secs` seconds: from `rate` (broadcasts/s)
        when known, else from a short first attempt; an attempt that ends
        in less than half the time is repeated with a count scaled to it."""
        count = max(3, math.ceil(30000 / self.n)) if rate is None else \
            rate * secs
        for attempt in range(3):
            count = int(min(max(3, count), 200000))
            r = self.phase(kind, lambda c, f: make(kind, c, 0, f), count,
                           lazy, 2 * secs + 10)
            r["attempt"] = attempt + 1
            if not r["complete"] or r.get("secs", 0) >= secs / 2 or \
                    not r.get("bcasts_per_s"):
                break
            count = r["bcasts_per_s"] * secs
        return r

    def rpc(self):
        """Round trips and pipelined rates on one RPC connection."""
        s = self.srv
        sid = self.sid0
        out = {}
        for key, target in (("empty", ["-c", "bench-empty"]),
                            ("sid", ["-t", sid] if sid else None),
                            ("all", [])):
            if target is None:
                continue
            self.lg.reset(0)
            n_rtt = 20 if key == "all" else int(2000 * self.args.rpc_scale)
            rtt = s.emit("-n", n_rtt, "-w", 1, *target).finish(120)
            out[key] = {"rtt_p50_us": rtt.get("rtt_p50_us"),
                        "rtt_p99_us": rtt.get("rtt_p99_us"),
                        "rtt_n": rtt.get("answered")}
            if key != "all":
                n_pipe = 100000 if key == "empty" else 20000
                pipe = s.emit("-n", int(n_pipe * self.args.rpc_scale),
                              "-w", 1000, *target).finish(120)
                out[key]["pipelined_per_s"] = pipe.get("rate")
                out[key]["pipelined_errors"] = pipe.get("errors")
            self.drain(0.3, 10)
        return out

    def execute(self):
        srv, n, res = self.srv, self.n, self.res
        try:
            srv.start()
            time.sleep(1)
            srv.collect()
            rss0 = rss_bytes(srv.pid)
            slab0 = meminfo_kb("Slab")
            sock0 = socket_slab_bytes()
            t = time.monotonic()
            self.lg = Loadgen(self.args.loadgen, srv.port, n, self.srcs,
                              max(60, n // 100))
            ready = self.lg.wait("ready", max(60, n // 100) + 30)
            if ready is None:
                raise RuntimeError("clients never got ready")
            self.sid0 = ready.get("sid0")
            res["connect"] = {
                "ready": ready["ready"], "failed": ready["failed"],
                "secs": ready["connect_us"] / 1e6,
                "per_s": ready["ready"] / (ready["connect_us"] / 1e6)
                if ready["connect_us"] else 0}
            log("%s n=%d: %d ready, %d failed in %.1f s" % (
                srv.name, n, ready["ready"], ready["failed"],
                time.monotonic() - t))
            if ready["ready"] == 0:
                raise RuntimeError("no client connected")
            time.sleep(self.args.settle)
            srv.collect()
            rss1 = rss_bytes(srv.pid)
            slab1 = meminfo_kb("Slab")
            sock1 = socket_slab_bytes()
            k = ready["ready"]
            res["memory"] = {"rss_base": rss0, "rss_idle": rss1,
                             "rss_per_conn": (rss1 - rss0) / k,
                             "slab_kb_delta": slab1 - slab0,
                             "slab_per_conn": (slab1 - slab0) * 1024 / k}
            if sock0 is not None:
                res["memory"]["kernel_per_conn"] = (sock1 - sock0) / k
                res["memory"]["kernel_caches"] = SOCKET_SLABS
            ps = self.args.phase_seconds
            res["sparse"] = self.sparse(srv.direct)
            log("%s n=%d: sparse completion p50 %.1f ms" % (
                srv.name, n, res["sparse"]["comp_p50_ms"]))
            res["fanout"] = self.throughput(srv.direct, "fanout", LAZY_US, ps)
            log("%s n=%d: fan-out %.0f msgs/CPU-s" % (
                srv.name, n, res["fanout"].get("msgs_per_cpu_s", 0)))
            res["burst"] = self.throughput(
                srv.direct, "burst", LAZY_US, ps,
                res["fanout"].get("bcasts_per_s"))
            log("%s n=%d: burst %.0f msgs/CPU-s" % (
                srv.name, n, res["burst"].get("msgs_per_cpu_s", 0)))
            if srv.oob:
                res["oob_sparse"] = self.sparse(srv.outofband)
                res["oob_burst"] = self.throughput(
                    srv.outofband, "burst", LAZY_US, ps * 0.6,
                    res["burst"].get("bcasts_per_s"))
                log("%s n=%d: oob completion p50 %.1f ms, %.0f msgs/CPU-s"
                    % (srv.name, n, res["oob_sparse"]["comp_p50_ms"],
                       res["oob_burst"].get("msgs_per_cpu_s", 0)))
            if isinstance(srv, Socketiod):
                res["rpc"] = self.rpc()
                log("%s n=%d: rpc %s" % (srv.name, n, json.dumps(res["rpc"])))
            res["held"] = self.lg.stats()["ready"]
            res["ok"] = True
        except Exception as e:  # recorded, and the matrix goes on
            res["ok"] = False
            res["error"] = str(e)
            tail = srv.log_tail()
            if tail:
                res["server_log"] = tail
            log("%s n=%d: FAILED: %s" % (srv.name, n, e))
            if self.lg:
                try:
                    res["held"] = self.lg.stats()["ready"]
                except Exception:
                    pass
        finally:
            if self.lg:
                self.lg.close()
            srv.stop()
        return res


class TwoNode:
    """The two-node phase (issue 17) for one side at n clients per node:
    node A and node B of the side (socketiod, or Node socket.io with
    @socket.io/redis-adapter) on one redis-server of their own, n clients
    on each (two load generators, so each node's clients have their own
    completion times). Each trigger path ("own": the side's emit on node A,
    so A is the origin and B the remote node; "emitter":
    @socket.io/redis-emitter, for which both nodes are remote) gets a
    warm-up, a sparse phase (completion per node) and a fan-out phase
    (deliveries per CPU-second of the nodes, with and without Redis's).
    With reference=True: one socketiod without --redis and n clients,
    own path only: the single-node figure of the same run."""

    def __init__(self, args, side, n, index, workdir, reference=False):
        self.args, self.n, self.workdir = args, n, workdir
        self.cls = SERVERS[side]
        self.reference = reference
        self.index = index
        self.redis = None
        self.nodes, self.lgs = [], []
        self.seq = 0
        self.res = {"side": side, "label": self.cls.label, "n": n,
                    "nodes": 1 if reference else 2}

    def next_first(self):
        self.seq += 1000000
        return self.seq

    def cpus(self):
        return {"nodes": [cpu_s(s.pid) for s in self.nodes],
                "redis": cpu_s(self.redis.pid) if self.redis else 0.0,
                "clients": [cpu_s(lg.p.pid) for lg in self.lgs]}

    def drain(self, quiet=1.0, bound=30):
        last, end = None, time.monotonic() + bound
        while time.monotonic() < end:
            t = [lg.stats()["ticks"] for lg in self.lgs]
            if t == last:
                return
            last = t
            time.sleep(quiet)

    def phase(self, name, make, count, lazy, timeout):
        """`count` broadcasts from the trigger `make` makes; waits until
        every client of both nodes has them all (or the timeout: then the
        trigger is stopped and what is queued let through)."""
        readies = [lg.stats()["ready"] for lg in self.lgs]
        for lg, k in zip(self.lgs, readies):
            lg.reset(lazy)
            lg.cmd("expect %d" % (count * k))
        c0 = self.cpus()
        t0 = now_us()
        trig = make(count, self.next_first())
        end = time.monotonic() + timeout
        reached = True
        for lg in self.lgs:
            if lg.wait("reached", max(0.1, end - time.monotonic())) is None:
                reached = False
                break
        if not reached:
            trig.stop()
            self.drain()
        c1 = self.cpus()
        out = trig.finish()
        if any(c is None for c in c1["nodes"]) or \
                not all(s.alive() for s in self.nodes):
            raise RuntimeError("a node died during %s" % name)
        r = {"broadcasts": count, "complete": reached, "trigger": out}
        total, last_rx = 0, 0
        for key, lg, k in zip("ab", self.lgs, readies):
            st = lg.stats()
            total += st["ticks"]
            last_rx = max(last_rx, st["last_rx_us"])
            r[key] = {"receivers": k, "want": count * k,
                      "delivered": st["ticks"],
                      "per_conn_min": st["per_conn_min"],
                      "per_conn_max": st["per_conn_max"],
                      "lat_p50_ms": st["lat_p50_us"] / 1e3,
                      "lat_p99_ms": st["lat_p99_us"] / 1e3,
                      "comp_p50_ms": st["comp_p50_us"] / 1e3,
                      "comp_p99_ms": st["comp_p99_us"] / 1e3,
                      "bcasts_complete": st["bcasts_complete"],
                      "dropped": st["dropped"]}
        r["delivered"] = total
        r["want"] = count * sum(readies)
        nodes = [b - a for a, b in zip(c0["nodes"], c1["nodes"])]
        r["node_cpu_s"] = nodes
        r["redis_cpu_s"] = c1["redis"] - c0["redis"]
        r["client_cpu_s"] = sum(b - a for a, b in zip(c0["clients"],
                                                      c1["clients"]))
        if total and last_rx > t0:
            r["secs"] = (last_rx - t0) / 1e6
            r["msgs_per_s"] = total / r["secs"]
        if total and sum(nodes) > 0:
            r["msgs_per_cpu_s"] = total / sum(nodes)
            r["msgs_per_cpu_s_with_redis"] = total / (sum(nodes) +
                                                      r["redis_cpu_s"])
        return r

    def sparse(self, make):
        """As Run.sparse, over both nodes: two single warm-up broadcasts
        give the completion time (the later node's), the measured ones are
        spaced 1.6 times that apart (at least 50 ms), so that none waits
        for another; run again, spaced from what it measured, if they
        overlapped after all."""
        comp = 1
        for _ in range(2):
            w = self.phase("warm-up", lambda c, f: make("sparse", c, 100, f),
                           1, 0, 60)
            comp = max([comp] + [w[k]["comp_p99_ms"] for k in "ab" if k in w])
        k = self.args.twonode_bcasts
        for attempt in range(2):
            interval = max(50, int(math.ceil(comp * 1.6 / 50.0)) * 50)
            r = self.phase("sparse",
                           lambda c, f: make("sparse", c, interval, f),
                           k, 0, k * interval / 1000.0 + 60)
            r["interval_ms"], r["attempt"] = interval, attempt + 1
            worst = max(r[x]["comp_p50_ms"] for x in "ab" if x in r)
            if worst <= interval * 0.8:
                break
            comp = worst
        return r

    def measure(self, make, res, key):
        """Warm-up (not counted), then the sparse and fan-out phases of
        one trigger path."""
        a = self.args
        self.phase("warm-up", lambda c, f: make("fanout", c, 0, f),
                   a.twonode_warmup, LAZY_US, 120)
        res[key + "_sparse"] = self.sparse(make)
        total = self.n * len(self.nodes)
        res[key + "_fanout"] = self.phase(
            "fan-out", lambda c, f: make("fanout", c, 0, f),
            a.twonode_fanout, LAZY_US,
            60 + a.twonode_fanout * total / 10000.0)
        sp, fo = res[key + "_sparse"], res[key + "_fanout"]
        log("%s %s n=%d x %d: completion p50 %s ms, %.0f msgs/node CPU-s" % (
            "reference" if self.reference else "two-node", key, self.n,
            len(self.nodes),
            " / ".join("%.1f" % sp[x]["comp_p50_ms"] for x in "ab" if x in sp),
            fo.get("msgs_per_cpu_s", 0)))

    def emitter(self, kind, count, interval, first):
        return Proc([self.args.node, os.path.join(HERE, "node-emit.js"),
                     str(count), str(interval if kind == "sparse" else 0),
                     str(first)],
                    env=dict(os.environ, REDIS_URL=self.redis.url))

    def execute(self):
        res, n = self.res, self.n
        try:
            if not self.reference:
                self.redis = Redis(self.args, self.workdir)
            for i in range(self.res["nodes"]):
                node = self.cls(self.args, self.workdir, self.redis)
                self.nodes.append(node)
                node.start()
            for i, node in enumerate(self.nodes):
                base = 2 + ((self.index * 2 + i) * 4 + 120) % 240
                srcs = ["127.0.0.%d" % (base + j) for j in range(4)]
                self.lgs.append(Loadgen(self.args.loadgen, node.port, n, srcs,
                                        max(60, n // 100)))
            res["connect"] = []
            for lg in self.lgs:
                ready = lg.wait("ready", max(60, n // 100) + 30)
                if ready is None or ready["ready"] == 0:
                    raise RuntimeError("clients never got ready")
                res["connect"].append({"ready": ready["ready"],
                                       "failed": ready["failed"]})
            time.sleep(self.args.settle)
            res["redis_url"] = self.redis.url if self.redis else None
            self.measure(self.nodes[0].fleet, res, "own")
            if not self.reference:
                self.measure(self.emitter, res, "emitter")
            res["held"] = [lg.stats()["ready"] for lg in self.lgs]
            res["ok"] = True
        except Exception as e:  # recorded, and the run goes on
            res["ok"] = False
            res["error"] = str(e)
            tails = [s.log_tail() for s in self.nodes if s.log_tail()]
            if tails:
                res["server_log"] = tails
            log("two-node %s n=%d: FAILED: %s" % (res["side"], n, e))
        finally:
            for lg in self.lgs:
                lg.close()
            for s in self.nodes:
                s.stop()
            if self.redis:
                self.redis.stop()
        return res


def child_pids(pid):
    """The processes whose parent is `pid` (a --workers supervisor's
    workers), from /proc/PID/task/*/children."""
    kids = []
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return sorted(kids)


def machine_cpu():
    """(busy, steal) CPU-seconds of the whole machine since boot, from
    /proc/stat: what every process ran (user, nice, system, irq, softirq)
    and what the hypervisor took."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[0:3]) + v[5] + v[6]) / TICK, v[7] / TICK


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


class SocketiodWorkers(Socketiod):
    """socketiod --workers N on a Redis of its own (N >= 2 needs one)."""
    name, label = "socketiod-workers", "socketiod --workers"
    uses_redis = True
    workers = 2

    def argv(self):
        return super().argv() + ["--workers", str(self.workers)]


class Workers:
    """The workers phase (issue 18) for one configuration: one socketiod
    process (workers=0: the reference, no --redis) or `socketiod --workers
    N` with a redis-server of its own, holding n WebSocket clients from
    several load generators (each at most --workers-per-lg clients, so that
    none comes near the 20,000 fds a process may open, on source addresses
    of its own). Every phase counts deliveries over all the load generators
    (every client, every broadcast, exactly once) and the CPU of every
    server process (the supervisor and its workers); Redis's is kept apart.
    The completion of a sparse broadcast is when the last client of all the
    load generators got it."""

    def __init__(self, args, workers, n, index, workdir):
        self.args, self.n, self.workers = args, n, workers
        self.index, self.workdir = index, workdir
        self.srv = None
        self.lgs = []
        self.pids = []
        self.seq = 0
        self.res = {"workers": workers, "n": n,
                    "label": ("socketiod --workers %d" % workers) if workers
                    else "socketiod, one process"}

    def next_first(self):
        self.seq += 1000000
        return self.seq

    def find_pids(self, secs=30):
        """The supervisor and its workers, once all N have started."""
        sup = self.srv.pid
        end = time.monotonic() + secs
        while True:
            kids = child_pids(sup) if self.workers else []
            if len(kids) >= self.workers:
                return [sup] + kids
            if time.monotonic() > end:
                raise RuntimeError("%d of %d workers running" % (
                    len(kids), self.workers))
            time.sleep(0.1)

    def check_pids(self):
        if self.workers and [self.srv.pid] + child_pids(self.srv.pid) != \
                self.pids:
            raise RuntimeError("a worker exited or was restarted (pids %s, "
                               "now %s)" % (self.pids, [self.srv.pid] +
                                            child_pids(self.srv.pid)))

    def cpus(self):
        per = [cpu_s(p) for p in self.pids]
        if any(c is None for c in per):
            raise RuntimeError("a server process is gone")
        return {"server": per,
                "redis": cpu_s(self.srv.redis.pid) if self.srv.redis else 0.0,
                "clients": [cpu_s(lg.p.pid) for lg in self.lgs],
                "machine": machine_cpu()}

    @staticmethod
    def others(r, c0, c1):
        """The CPU the rest of the machine (the other engineers' work, the
        driver) used during a measurement, and the hypervisor's steal: how
        noisy it was."""
        busy = c1["machine"][0] - c0["machine"][0]
        r["machine_cpu_s"] = busy
        r["steal_s"] = c1["machine"][1] - c0["machine"][1]
        r["others_cpu_s"] = max(0.0, busy - r["server_cpu_s"] -
                                r["redis_cpu_s"] - r["client_cpu_s"])

    def rss(self):
        return sum(rss_bytes(p) for p in self.pids)

    def ticks(self):
        return [lg.stats()["ticks"] for lg in self.lgs]

    def drain(self, quiet=1.0, bound=30):
        last, end = None, time.monotonic() + bound
        while time.monotonic() < end:
            t = self.ticks()
            if t == last:
                return
            last = t
            time.sleep(quiet)

    def completions(self, total):
        """Completion (µs) of each broadcast that every one of the `total`
        clients got: the last receiver over all load generators."""
        seen = {}
        for lg in self.lgs:
            lg.cmd("comps")
            m = lg.wait("comps", 30)
            if m is None:
                raise RuntimeError("loadgen does not answer")
            for seq, t_us, last_us, count in m["b"]:
                s = seen.setdefault(seq, [t_us, 0, 0])
                s[1] = max(s[1], last_us)
                s[2] += count
        return sorted(last - t for t, last, c in seen.values()
                      if c == total)

    def phase(self, name, make, count, lazy, timeout):
        """`count` broadcasts from the trigger `make` makes; waits until
        every client of every load generator has them all (or the
        timeout: then the trigger is stopped and what is queued let
        through)."""
        readies = [lg.stats()["ready"] for lg in self.lgs]
        for lg, k in zip(self.lgs, readies):
            lg.reset(lazy)
            lg.cmd("expect %d" % (count * k))
        c0 = self.cpus()
        t0 = now_us()
        trig = make(count, self.next_first())
        end = time.monotonic() + timeout
        reached = True
        for lg in self.lgs:
            if lg.wait("reached", max(0.1, end - time.monotonic())) is None:
                reached = False
                break
        if not reached:
            trig.stop()
            self.drain()
        c1 = self.cpus()
        out = trig.finish()
        self.check_pids()
        sts = [lg.stats() for lg in self.lgs]
        total = sum(st["ticks"] for st in sts)
        want = count * sum(readies)
        r = {"broadcasts": count, "complete": reached, "trigger": out,
             "receivers": sum(readies), "want": want, "delivered": total,
             "per_conn_min": min(st["per_conn_min"] for st in sts),
             "per_conn_max": max(st["per_conn_max"] for st in sts),
             "dropped": sum(st["dropped"] for st in sts),
             "lat_p50_ms_per_lg": [st["lat_p50_us"] / 1e3 for st in sts],
             "comp_p50_ms_per_lg": [st["comp_p50_us"] / 1e3 for st in sts]}
        r["exactly_once"] = (total == want and r["per_conn_min"] == count
                             and r["per_conn_max"] == count)
        comps = self.completions(sum(readies))
        if comps:
            r["comp_p50_ms"] = comps[len(comps) // 2] / 1e3
            r["comp_p99_ms"] = comps[min(len(comps) - 1,
                                         int(len(comps) * 0.99))] / 1e3
            r["bcasts_complete"] = len(comps)
        server = [b - a for a, b in zip(c0["server"], c1["server"])]
        r["server_cpu_s_per_process"] = server
        r["server_cpu_s"] = sum(server)
        r["redis_cpu_s"] = c1["redis"] - c0["redis"]
        r["client_cpu_s"] = sum(b - a for a, b in zip(c0["clients"],
                                                      c1["clients"]))
        self.others(r, c0, c1)
        last_rx = max(st["last_rx_us"] for st in sts)
        if total and last_rx > t0:
            r["secs"] = (last_rx - t0) / 1e6
            r["msgs_per_s"] = total / r["secs"]
            r["bcasts_per_s"] = total / sum(readies) / r["secs"]
        if total and r["server_cpu_s"] > 0:
            r["msgs_per_cpu_s"] = total / r["server_cpu_s"]
            r["msgs_per_cpu_s_with_redis"] = total / (r["server_cpu_s"] +
                                                      r["redis_cpu_s"])
        return r

    def sparse(self, make):
        """As Run.sparse, over all load generators: two single warm-ups
        give the completion time, the measured broadcasts are spaced 1.6
        times that apart (at least 100 ms); again, spaced from what it
        measured, if they overlapped after all."""
        comp = 1
        for _ in range(2):
            w = self.phase("warm-up", lambda c, f: make("sparse", c, 100, f),
                           1, 0, 60)
            comp = max(comp, w.get("comp_p99_ms", 0))
        for attempt in range(2):
            interval = max(100, int(math.ceil(comp * 1.6 / 50.0)) * 50)
            k = max(3, min(self.args.sparse_count,
                           int(self.args.sparse_seconds * 1000 / interval)))
            r = self.phase("sparse",
                           lambda c, f: make("sparse", c, interval, f),
                           k, 0, k * interval / 1000.0 + 60)
            r["interval_ms"], r["attempt"] = interval, attempt + 1
            if r.get("comp_p50_ms", 0) <= interval * 0.8:
                break
            comp = r.get("comp_p50_ms", comp)
        return r

    def fanout(self, make, secs):
        """One broadcast after the other (the next RPC emit once the last
        was answered), lazy clients; sized to last about `secs`."""
        count = max(3, math.ceil(30000 / self.n))
        for attempt in range(3):
            count = int(min(max(3, count), 200000))
            r = self.phase("fan-out", lambda c, f: make("fanout", c, 0, f),
                           count, LAZY_US, 2 * secs + 20)
            r["attempt"] = attempt + 1
            if not r["complete"] or r.get("secs", 0) >= secs / 2 or \
                    not r.get("bcasts_per_s"):
                break
            count = r["bcasts_per_s"] * secs
        return r

    def setup(self):
        """Starts the server and the clients; measures memory and the
        sparse phase. Raises on failure."""
        a, n, res = self.args, self.n, self.res
        if self.workers:
            cls = type("W", (SocketiodWorkers,),
                       {"workers": self.workers})
        else:
            cls = Socketiod
        self.srv = cls(a, self.workdir)
        self.srv.start()
        self.pids = self.find_pids()
        time.sleep(1)
        rss0 = sum(rss_bytes(p) for p in self.pids)
        sock0 = socket_slab_bytes()
        nlg = max(1, math.ceil(n / a.workers_per_lg))
        t = time.monotonic()
        for i in range(nlg):
            k = n // nlg + (1 if i < n % nlg else 0)
            base = 2 + ((self.index * 8 + i) * 4 + 60) % 240
            srcs = ["127.0.0.%d" % (base + j) for j in range(4)]
            self.lgs.append(Loadgen(a.loadgen, self.srv.port, k, srcs,
                                    max(60, n // 100)))
        res["connect"] = []
        for lg in self.lgs:
            ready = lg.wait("ready", max(60, n // 100) + 30)
            if ready is None:
                raise RuntimeError("clients never got ready")
            res["connect"].append({"ready": ready["ready"],
                                   "failed": ready["failed"],
                                   "secs": ready["connect_us"] / 1e6})
        ready = sum(c["ready"] for c in res["connect"])
        secs = time.monotonic() - t
        res["ready"] = ready
        res["connect_per_s"] = ready / secs
        log("workers=%d n=%d: %d ready, %d failed in %.1f s over %d "
            "load generators" % (self.workers, n, ready,
                                 sum(c["failed"] for c in res["connect"]),
                                 secs, nlg))
        if ready == 0:
            raise RuntimeError("no client connected")
        time.sleep(a.settle)
        self.check_pids()
        rss1 = self.rss()
        sock1 = socket_slab_bytes()
        res["pids"] = self.pids
        res["fds"] = [fd_count(p) for p in self.pids]
        res["memory"] = {"rss_base": rss0, "rss_idle": rss1,
                         "rss_per_conn": (rss1 - rss0) / ready,
                         "rss_per_process": [rss_bytes(p)
                                             for p in self.pids]}
        if sock0 is not None:
            res["memory"]["kernel_per_conn"] = (sock1 - sock0) / ready
        res["sparse"] = self.sparse(self.srv.direct)
        log("workers=%d n=%d: sparse completion p50 %.1f ms, exactly "
            "once: %s" % (self.workers, n,
                          res["sparse"].get("comp_p50_ms", 0),
                          res["sparse"]["exactly_once"]))

    def fanout_once(self):
        runs = self.res.setdefault("fanout_runs", [])
        runs.append(self.fanout(self.srv.direct, self.args.workers_seconds))
        log("workers=%d n=%d: fan-out %.0f msgs/server CPU-s, exactly once: "
            "%s" % (self.workers, self.n, runs[-1].get("msgs_per_cpu_s", 0),
                    runs[-1]["exactly_once"]))

    def finish(self):
        """The median fan-out of those measured (the cores are shared with
        whatever else runs; all are kept), and what is still held."""
        res = self.res
        runs = res["fanout_runs"]
        ranked = sorted(runs, key=lambda x: x.get("msgs_per_cpu_s", 0))
        res["fanout"] = dict(ranked[len(ranked) // 2])
        res["fanout"]["exactly_once"] = all(x["exactly_once"] for x in runs)
        res["held"] = sum(lg.stats()["ready"] for lg in self.lgs)
        res["ok"] = True

    def fail(self, e):
        res = self.res
        res["ok"] = False
        res["error"] = str(e)
        if self.srv:
            tail = self.srv.log_tail(10)
            if tail:
                res["server_log"] = tail
        log("workers=%d n=%d: FAILED: %s" % (self.workers, self.n, e))
        try:
            res["held"] = sum(lg.stats()["ready"] for lg in self.lgs)
        except Exception:
            pass

    def teardown(self):
        for lg in self.lgs:
            lg.close()
        self.lgs = []
        if self.srv:
            self.srv.stop()

    def execute(self):
        try:
            self.setup()
            for _ in range(max(1, self.args.workers_repeats)):
                self.fanout_once()
            self.finish()
        except Exception as e:  # recorded, and the run goes on
            self.fail(e)
        finally:
            self.teardown()
        return self.res


def workers_interleaved(runs, repeats):
    """The reference and the workers up at the same time (the clients of
    the one not measured stay connected and idle), their fan-out
    measurements alternating, so that what else runs on the machine at a
    given minute weighs on both alike."""
    live = []
    try:
        for run in runs:
            try:
                run.setup()
                live.append(run)
            except Exception as e:  # recorded, and the run goes on
                run.fail(e)
        for _ in range(max(1, repeats)):
            for run in list(live):
                try:
                    run.fanout_once()
                except Exception as e:
                    run.fail(e)
                    live.remove(run)
        for run in live:
            try:
                run.finish()
            except Exception as e:
                run.fail(e)
    finally:
        for run in reversed(runs):
            run.teardown()


def metrics(port):
    """The counters of one socketiod's /metrics (--admin) as a dict."""
    out = {}
    for line in http_get(port, "/metrics", 10).decode().splitlines():
        if line.startswith("#") or " " not in line:
            continue
        k, v = line.rsplit(" ", 1)
        try:
            out[k] = float(v)
        except ValueError:
            pass
    return out


def free_port_base(count):
    """B such that B*10+1 .. B*10+count are free loopback ports: the
    --admin 127.0.0.1:B%i of `count` workers."""
    for _ in range(200):
        b = random.randint(2000, 6000)
        ports = [b * 10 + i for i in range(1, count + 1)]
        try:
            for p in ports:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return b, ports
    raise RuntimeError("no free admin ports")


class WorkersPoll(Workers):
    """The polling part of the workers phase: one process (workers=0) or
    `socketiod --workers N`, --poll-n long-polling clients (bench/pollgen)
    that open a new TCP connection per request (keepalive=False: with
    SO_REUSEPORT each lands on any worker) or keep theirs (keepalive=True),
    and --poll-bcasts broadcasts --poll-interval ms apart, each answering
    every client's held GET (so each client polls again). Measured: every
    client got every broadcast once, the requests the clients made, the CPU
    of every server process per request, and the workers' hand-off
    counters from their /metrics (--admin per worker)."""

    def __init__(self, args, workers, keepalive, index, workdir):
        super().__init__(args, workers, args.poll_n, index, workdir)
        self.keepalive = keepalive
        self.admin = []
        self.res.update({"transport": "polling", "keepalive": keepalive,
                         "label": "%s, polling, %s" % (
                             self.res["label"],
                             "keep-alive" if keepalive
                             else "a new connection per request")})

    def handoffs(self):
        tot = {}
        for port in self.admin:
            for k, v in metrics(port).items():
                if "handoff" in k or k.startswith("socketiod_http_requests"):
                    tot[k] = tot.get(k, 0) + v
        return tot

    def execute(self):
        a, n, res = self.args, self.n, self.res
        try:
            workers = self.workers
            if workers:
                base, self.admin = free_port_base(workers)
                admin = "127.0.0.1:%d%%i" % base
                parent = type("W", (SocketiodWorkers,), {"workers": workers})
            else:
                port = free_port()
                self.admin = [port]
                admin = "127.0.0.1:%d" % port
                parent = Socketiod

            def argv(srv):
                v = parent.argv(srv) + ["--admin", admin]
                i = v.index("--transports")
                v[i + 1] = "polling"
                return v
            self.srv = type("P", (parent,), {"argv": argv})(a, self.workdir)
            self.srv.start()
            self.pids = self.find_pids()
            for port in self.admin:
                wait_port(port, self.srv.proc)
            base = 2 + (self.index * 8 + 100) % 240
            srcs = ["127.0.0.%d" % (base + j) for j in range(8)]
            lg = Loadgen(a.pollgen, self.srv.port, n, srcs, max(60, n // 100),
                         ["-k"] if self.keepalive else [])
            self.lgs = [lg]
            ready = lg.wait("ready", max(60, n // 100) + 30)
            if ready is None or ready["ready"] == 0:
                raise RuntimeError("polling clients never got ready")
            res["ready"] = ready["ready"]
            res["failed"] = ready["failed"]
            log("workers=%d polling%s n=%d: %d ready, %d failed" % (
                workers, " keep-alive" if self.keepalive else "", n,
                ready["ready"], ready["failed"]))
            time.sleep(a.settle)
            k = ready["ready"]
            lg.reset(0)
            lg.cmd("expect %d" % (a.poll_bcasts * k))
            h0, c0 = self.handoffs(), self.cpus()
            t0 = now_us()
            trig = self.srv.emit("-n", a.poll_bcasts, "-i", a.poll_interval,
                                 "-w", 1000, "-S", self.next_first())
            reached = lg.wait("reached",
                              a.poll_bcasts * a.poll_interval / 1000.0 + 60)
            if reached is None:
                trig.stop()
                self.drain()
            c1, h1 = self.cpus(), self.handoffs()
            trig.finish()
            self.check_pids()
            st = lg.stats()
            want = a.poll_bcasts * k
            r = {"broadcasts": a.poll_bcasts, "interval_ms": a.poll_interval,
                 "complete": reached is not None, "receivers": k,
                 "want": want, "delivered": st["ticks"],
                 "per_conn_min": st["per_conn_min"],
                 "per_conn_max": st["per_conn_max"],
                 "dropped": st["dropped"], "errors": st["errors"],
                 "gets": st["gets"], "posts": st["posts"],
                 "conns": st["conns"], "retries": st["retries"],
                 "lat_p50_ms": st["lat_p50_us"] / 1e3,
                 "lat_p99_ms": st["lat_p99_us"] / 1e3,
                 "secs": (now_us() - t0) / 1e6}
            r["exactly_once"] = (st["ticks"] == want and
                                 st["per_conn_min"] == a.poll_bcasts and
                                 st["per_conn_max"] == a.poll_bcasts)
            server = [y - x for x, y in zip(c0["server"], c1["server"])]
            r["server_cpu_s_per_process"] = server
            r["server_cpu_s"] = sum(server)
            r["redis_cpu_s"] = c1["redis"] - c0["redis"]
            r["client_cpu_s"] = sum(y - x for x, y in zip(c0["clients"],
                                                          c1["clients"]))
            self.others(r, c0, c1)
            r["counters"] = {key: h1[key] - h0.get(key, 0) for key in h1}
            requests = st["gets"] + st["posts"]
            r["requests"] = requests
            if requests and r["server_cpu_s"] > 0:
                r["cpu_us_per_request"] = r["server_cpu_s"] * 1e6 / requests
            res["poll"] = r
            log("workers=%d polling%s n=%d: %d requests, %.1f µs server CPU "
                "each, exactly once: %s, counters %s" % (
                    workers, " keep-alive" if self.keepalive else "", n,
                    requests, r.get("cpu_us_per_request", 0),
                    r["exactly_once"],
                    {key: v for key, v in r["counters"].items() if v}))
            res["held"] = lg.stats()["ready"]
            res["ok"] = True
        except Exception as e:  # recorded, and the run goes on
            res["ok"] = False
            res["error"] = str(e)
            if self.srv:
                tail = self.srv.log_tail(10)
                if tail:
                    res["server_log"] = tail
            log("workers=%d polling n=%d: FAILED: %s" % (self.workers, n, e))
        finally:
            for lg in self.lgs:
                lg.close()
            if self.srv:
                self.srv.stop()
        return res


def versions(args):
    def run(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except OSError:
            return None

    def npm_version(pkg):
        try:
            with open(os.path.join(HERE, "node_modules", pkg,
                                   "package.json")) as f:
                return json.load(f)["version"]
        except OSError:
            return None

    def deb(pkg):
        return run(["dpkg-query", "-W", "-f=${Version}", pkg])

    return {
        "socketiod": run(["git", "-C", HERE, "describe", "--always",
                          "--dirty"]),
        "node": run([args.node, "--version"]),
        "socket.io": npm_version("socket.io"),
        "@socket.io/redis-adapter": npm_version("@socket.io/redis-adapter"),
        "@socket.io/redis-emitter": npm_version("@socket.io/redis-emitter"),
        "python3-socketio": deb("python3-socketio"),
        "python3-engineio": deb("python3-engineio"),
        "python3-gevent": deb("python3-gevent"),
        "python3-gevent-websocket": deb("python3-gevent-websocket"),
        "redis-server": deb("redis-server"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--servers", default="socketiod,node,python,ceiling")
    ap.add_argument("--ns", default="1000,5000,19000")
    ap.add_argument("--socketiod", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--rpcemit", required=True)
    ap.add_argument("--pollgen")
    ap.add_argument("--ceiling")
    ap.add_argument("--node", default="node")
    ap.add_argument("--redis-server", default="redis-server")
    ap.add_argument("--out", required=True)
    ap.add_argument("--settle", type=float, default=2)
    ap.add_argument("--phase-seconds", type=float, default=5,
                    help="length each throughput phase is sized to")
    ap.add_argument("--sparse-count", type=int, default=20)
    ap.add_argument("--sparse-seconds", type=float, default=12)
    ap.add_argument("--rpc-scale", type=float, default=1,
                    help="scales the RPC measurement's counts")
    ap.add_argument("--note", default="")
    ap.add_argument("--recovery", type=int, default=0,
                    help="--recovery SECONDS of the socketiod-recovery "
                    "server (0: 120)")
    ap.add_argument("--phases", default="single",
                    help="single (each server alone, over --ns) and/or "
                    "twonode (two nodes through Redis, over --twonode-ns)")
    ap.add_argument("--twonode-ns", default="1000",
                    help="clients per node in the two-node phase")
    ap.add_argument("--twonode-bcasts", type=int, default=200,
                    help="broadcasts of each two-node sparse measurement")
    ap.add_argument("--twonode-fanout", type=int, default=500,
                    help="broadcasts of each two-node fan-out measurement")
    ap.add_argument("--twonode-warmup", type=int, default=20,
                    help="uncounted broadcasts before each trigger path")
    ap.add_argument("--workers", type=int, default=2,
                    help="workers of the workers phase's socketiod")
    ap.add_argument("--workers-n", type=int, default=39000,
                    help="WebSocket clients of socketiod --workers")
    ap.add_argument("--workers-ref-n", type=int, default=19000,
                    help="WebSocket clients of the one-process reference "
                    "(0: none)")
    ap.add_argument("--workers-per-lg", type=int, default=13000,
                    help="clients per load generator process")
    ap.add_argument("--workers-seconds", type=float, default=8,
                    help="length the workers phase's fan-out is sized to")
    ap.add_argument("--workers-interleave", type=int, default=1,
                    help="1: the reference and the workers up at once, "
                    "their fan-out measurements alternating; 0: one after "
                    "the other")
    ap.add_argument("--workers-repeats", type=int, default=3,
                    help="fan-out measurements per configuration (the "
                    "median is reported)")
    ap.add_argument("--poll-n", type=int, default=2000,
                    help="long-polling clients of the workers phase (0: "
                    "no polling part)")
    ap.add_argument("--poll-bcasts", type=int, default=20,
                    help="broadcasts to the polling clients")
    ap.add_argument("--poll-interval", type=int, default=500,
                    help="ms between those broadcasts")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    servers = [s for s in args.servers.split(",") if s]
    notes = [args.note] if args.note else []
    for s in servers:
        if s not in SERVERS:
            ap.error("unknown server %s (have %s)" % (s, ",".join(SERVERS)))
    if "ceiling" in servers and not args.ceiling:
        servers.remove("ceiling")
        notes.append("calibration server not built (no ceiling-server.c "
                     "found): its rows are missing")
    ns = [int(x) for x in args.ns.split(",") if x]
    phases = [p for p in args.phases.split(",") if p]
    for p in phases:
        if p not in ("single", "twonode", "workers"):
            ap.error("unknown phase %s (have single,twonode,workers)" % p)
    twonode_ns = [int(x) for x in args.twonode_ns.split(",") if x]
    workdir = tempfile.mkdtemp(prefix="socketiod-bench-")
    atexit.register(shutil.rmtree, workdir, True)
    atexit.register(stop_children)  # first: atexit runs the last one first
    doc = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "kernel": platform.release(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": os.getloadavg(),
            "lazy_us": LAZY_US, "burst_per_turn": BURST, "clk_tck": TICK,
            "phase_seconds": args.phase_seconds,
            "servers": servers, "ns": ns if "single" in phases else [],
            "notes": notes, "phases": phases,
            "twonode_ns": twonode_ns if "twonode" in phases else [],
            "twonode_bcasts": args.twonode_bcasts,
            "twonode_fanout": args.twonode_fanout,
            "twonode_warmup": args.twonode_warmup,
            "versions": versions(args),
        },
        "runs": [],
        "twonode": [],
        "workers": [],
    }
    if "workers" in phases:
        doc["meta"].update({
            "workers": args.workers, "workers_n": args.workers_n,
            "workers_ref_n": args.workers_ref_n,
            "workers_per_lg": args.workers_per_lg,
            "workers_seconds": args.workers_seconds,
            "workers_repeats": args.workers_repeats,
            "workers_interleave": args.workers_interleave,
            "poll_n": args.poll_n, "poll_bcasts": args.poll_bcasts,
            "poll_interval": args.poll_interval})

    def save():
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)

    t0 = time.monotonic()
    index = 0
    for n in ns if "single" in phases else []:
        for s in servers:
            run = Run(args, SERVERS[s], n, index, workdir)
            index += 1
            doc["runs"].append(run.execute())
            save()
    sides = [s for s in servers if s in ("socketiod", "node")]
    for n in twonode_ns if "twonode" in phases else []:
        runs = [("socketiod", True)] if "socketiod" in sides else []
        runs += [(side, False) for side in sides]
        for side, ref in runs:
            run = TwoNode(args, side, n, index, workdir, reference=ref)
            index += 1
            doc["twonode"].append(run.execute())
            save()
    if "workers" in phases:
        configs = [(0, args.workers_ref_n)] if args.workers_ref_n else []
        configs += [(args.workers, args.workers_n)] if args.workers_n else []
        runs = []
        for workers, n in configs:
            runs.append(Workers(args, workers, n, index, workdir))
            index += 1
        if len(runs) == 2 and args.workers_interleave:
            workers_interleaved(runs, args.workers_repeats)
        else:
            for run in runs:
                run.execute()
        doc["workers"] += [run.res for run in runs]
        save()
        for keepalive in (False, True) if args.poll_n and args.pollgen \
                else ():
            for workers in (0, args.workers):
                run = WorkersPoll(args, workers, keepalive, index, workdir)
                index += 1
                doc["workers"].append(run.execute())
                save()
    doc["meta"]["minutes"] = (time.monotonic() - t0) / 60
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    log("wrote %s in %.1f min" % (args.out, doc["meta"]["minutes"]))


if __name__ == "__main__":
    main()
