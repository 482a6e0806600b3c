# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""msglog_bench: the driver behind bench/msglog-bench.sh (see there)."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

SOCKETIOD = os.environ["SOCKETIOD"]
EIOCLIENT = os.environ["EIOCLIENT"]
TICK = os.sysconf("SC_CLK_TCK")
LAZY_US = int(os.environ.get("LAZY_US", 20000))
FMT = "%(REMOTE_ADDR)s - - [%(TIME)s] \"Socket.IO message: %(MESSAGE)s\""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu(pid, tid=None):
    """utime + stime in seconds of the process, or of one of its threads."""
    path = "/proc/%d/task/%d/stat" % (pid, tid) if tid else \
        "/proc/%d/stat" % pid
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Rpc:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def call(self, method, **params):
        self.s.sendall((json.dumps({"id": 0, "method": method,
                                    "params": params}) + "\n").encode())
        return json.loads(self.f.readline())["result"]

    def burst(self, k):
        """k pipelined broadcasts of ("tick", seq, t_us)."""
        for lo in range(0, k, 500):
            hi = min(k, lo + 500)
            now = time.monotonic_ns() // 1000
            self.s.sendall("".join(json.dumps(
                {"id": i, "method": "emit",
                 "params": {"event": "tick", "args": [i, now]}}) + "\n"
                for i in range(lo, hi)).encode())
            for _ in range(lo, hi):
                self.f.readline()


def phase(n, k, log, workdir):
    port = free_port()
    sock = os.path.join(workdir, "s%d.sock" % port)
    args = [SOCKETIOD, "--listen", "127.0.0.1:%d" % port, "--rpc", sock,
            "--client-js", "/dev/null"]
    if log:
        args += ["--message-log-format", FMT, "--message-log",
                 os.path.join(workdir, "bench.sqlite3")]
    d = subprocess.Popen(args, stderr=subprocess.DEVNULL, cwd=workdir)
    cl = None
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        rpc = Rpc(sock)
        cl = subprocess.Popen([EIOCLIENT], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, N=str(n), PORT=str(port)))
        while json.loads(cl.stdout.readline()).get("event") != "ready":
            pass
        # Lazy reading (see the shared bench README): frames pile up and
        # the server's writes do not each pay a cross-CPU wake-up of an
        # idle client, which otherwise varies with whatever else runs.
        cl.stdin.write("lazy %d\n" % LAZY_US)
        cl.stdin.flush()
        cl.stdout.readline()

        def received():
            cl.stdin.write("stats\n")
            cl.stdin.flush()
            return json.loads(cl.stdout.readline())["received"]

        base = received()
        m0, p0, t0 = cpu(d.pid, d.pid), cpu(d.pid), time.monotonic()
        rpc.burst(k)
        while received() - base < n * k:
            time.sleep(0.05)
        wall = time.monotonic() - t0
        if log:
            while rpc.call("stats")["messages_logged"] < k:
                time.sleep(0.05)
        st = rpc.call("stats")
        m1, p1 = cpu(d.pid, d.pid), cpu(d.pid)
        return {"loop": m1 - m0, "proc": p1 - p0, "wall": wall,
                "logged": st["messages_logged"],
                "dropped": st["messages_log_dropped"]}
    finally:
        if cl:
            cl.stdin.write("quit\n")
            cl.stdin.close()
            cl.wait(10)
        d.terminate()
        d.wait(10)


def main():
    cases = [(int(os.environ.get("N", 1000)), int(os.environ.get("K", 500))),
             (int(os.environ.get("SMALL_N", 10)),
              int(os.environ.get("SMALL_K", 20000)))]
    rounds = int(os.environ.get("ROUNDS", 2))
    print("| clients | broadcasts | log | loop CPU s | process CPU s | "
          "wall s | rows | dropped |")
    print("|---|---|---|---|---|---|---|---|")
    summary = []
    for n, k in cases:
        tot = {False: [0.0, 0.0], True: [0.0, 0.0]}
        for _ in range(rounds):
            for log in (False, True):
                with tempfile.TemporaryDirectory(prefix="msglog-bench-") as w:
                    r = phase(n, k, log, w)
                tot[log][0] += r["loop"]
                tot[log][1] += r["proc"]
                print("| %d | %d | %s | %.2f | %.2f | %.2f | %d | %d |" % (
                    n, k, "on" if log else "off", r["loop"], r["proc"],
                    r["wall"], r["logged"], r["dropped"]))
                sys.stdout.flush()
        summary.append((n, k, tot))
    print()
    for n, k, tot in summary:
        off, on = tot[False], tot[True]
        print("%d clients x %d broadcasts: loop CPU %+.1f %% with the log "
              "(%.2f s -> %.2f s); whole process %+.1f %% (%.2f s -> %.2f s)"
              % (n, k, 100 * (on[0] - off[0]) / off[0], off[0], on[0],
                 100 * (on[1] - off[1]) / off[1], off[1], on[1]))


if __name__ == "__main__":
    main()
