# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""SIGKILL under load: 1,000 socket.io-client 4.x sockets (with the socketiod
extension) subscribed to ten channels and RPC emits streaming into the
message log, then kill -9. The daemon starts again in under a second (over
the stale control socket file), every socket reconnects and re-subscribes
by itself within 10 s (a broadcast to each channel reaches every socket),
and every emit whose RPC answer said ok ("logged": true) is in the message
log (docs/rpc.md, docs/message-log.md)."""

import json
import socket
import sqlite3
import threading
import time

import pytest

from e2e_lib import SANITIZER_MARKS, Daemon, channel_members, wait_until

CHANNELS = 10
PER_CHANNEL = 100
N = CHANNELS * PER_CHANNEL


class Emitter(threading.Thread):
    """Streams emits to the channels over one control connection, up to
    `window` in flight, until the daemon goes away; remembers which ones
    were answered and what the answers said."""

    def __init__(self, path, window=64):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.window = threading.Semaphore(window)
        self.sent = 0
        self.answers = {}  # id -> result or error
        self.stop = False
        self.reader = threading.Thread(target=self._read, daemon=True)

    def _read(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.stop = True
                self.window.release()
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                msg = json.loads(line)
                self.answers[msg["id"]] = msg.get("result", msg.get("error"))
                self.window.release()

    def run(self):
        self.reader.start()
        i = 0
        while not self.stop:
            self.window.acquire()
            if self.stop:
                break
            i += 1
            line = json.dumps({"id": i, "method": "emit", "params": {
                "event": "tick", "args": [{"n": i}],
                "channel": "ch%d" % (i % CHANNELS)}}) + "\n"
            try:
                self.sock.sendall(line.encode())
            except OSError:
                break
            self.sent = i


@pytest.fixture
def d(tmp_path):
    """A daemon this test kills itself; the last run is stopped and checked
    at teardown."""
    d = Daemon(tmp_path, ["--message-log-format", "%(MESSAGE)s",
                          "--message-log", "log.sqlite3"])
    d.start()
    yield d
    problems = d.stop()
    assert not problems, "\n".join(problems)


@pytest.mark.timeout(120)
def test_sigkill_under_load_restart_reconnect_and_logged_emits(d, node,
                                                                tmp_path):
    n = node("v4")
    req, mark = n.send("hello")
    hello = n.wait_for(lambda e: e["ev"] == "hello" and e.get("req") == req,
                       since=mark)
    assert hello["ext"], hello  # re-subscribing is the extension's job
    t0 = time.monotonic()
    # The ten groups connect concurrently.
    reqs = [n.send("connect_many", prefix="k%d-" % c, count=PER_CHANNEL,
                   url=d.url, namespace="/", channel="ch%d" % c,
                   concurrency=50,
                   opts={"transports": ["websocket"], "forceNew": True,
                         "reconnection": True})
            for c in range(CHANNELS)]
    for req, mark in reqs:
        ready = n.wait_for(lambda e, r=req: e["ev"] == "many_ready" and
                           e.get("req") == r, since=mark, timeout=60,
                           what="%d connections" % PER_CHANNEL)
        assert ready["failed"] == 0 and ready["subscribed"] == PER_CHANNEL, \
            ready
    rpc = d.rpc()
    assert rpc.call("stats")["sockets"] == N
    print("connected %d sockets in %.1f s" % (N, time.monotonic() - t0))

    em = Emitter(d.rpc_path)
    em.start()
    wait_until(lambda: len(em.answers) >= 2000, timeout=20,
               what="2,000 emits answered")
    old_pid = d.proc.pid
    d.proc.kill()  # SIGKILL
    d.proc.wait(5)
    em.join(5)
    answered = dict(em.answers)
    ok = [i for i, r in answered.items()
          if isinstance(r, dict) and "recipients" in r]
    assert ok and all(answered[i]["logged"] is True for i in ok), \
        [answered[i] for i in ok if answered[i].get("logged") is not True][:5]
    assert all(answered[i]["recipients"] == PER_CHANNEL for i in ok)

    # Every emit answered ok is in the log, though the writer never got to
    # shut down (WAL: committed transactions survive the process).
    db = sqlite3.connect("file:%s?mode=ro" % (tmp_path / "log.sqlite3"),
                         uri=True)
    try:
        logged = {json.loads(p)[1]["n"] for (p,) in db.execute(
            "SELECT payload FROM messages WHERE event = 'tick'")}
    finally:
        db.close()
    missing = sorted(set(ok) - logged)
    assert not missing, "%d answered emits not in the log: %r" % (
        len(missing), missing[:10])
    print("%d emits sent, %d answered ok, %d rows in the log at the kill"
          % (em.sent, len(ok), len(logged)))

    # Up again on the same port and control socket path (its stale file is
    # still there), listening in under a second.
    d.proc = None
    t1 = time.monotonic()
    d.start(timeout=5)
    up = time.monotonic() - t1
    assert d.proc.pid != old_pid
    assert up < 1.0, "listening again after %.2f s" % up

    # Everyone is back and subscribed again, by themselves.
    rpc = d.rpc()

    def all_back():
        return all(channel_members(rpc, "ch%d" % c) == PER_CHANNEL
                   for c in range(CHANNELS))

    try:
        wait_until(all_back, timeout=10 - up, interval=0.2,
                   what="%d sockets to reconnect and re-subscribe" % N)
    finally:
        back = time.monotonic() - t1
        print("after %.1f s: %d sockets, members %r" % (
            back, rpc.call("stats")["sockets"],
            [channel_members(rpc, "ch%d" % c) for c in range(CHANNELS)]))
    for c in range(CHANNELS):
        assert rpc.call("emit", event="after", args=[c],
                        channel="ch%d" % c)["recipients"] == PER_CHANNEL

    def counts():
        req, mark = n.send("counts", prefix="k", event="after")
        return n.wait_for(lambda e: e["ev"] == "counts" and
                          e.get("req") == req, since=mark)["counts"]

    wait_until(lambda: all(v == 1 for v in counts().values()), timeout=10,
               interval=0.2, what="the broadcast to every socket")
    assert len(counts()) == N
    st = rpc.call("stats")
    assert st["sockets"] == N
    print("listening again %.3f s after the start; all %d sockets back and "
          "subscribed %.1f s after it" % (up, N, back))
    err = d.stderr()
    assert not any(m in err for m in SANITIZER_MARKS), err
