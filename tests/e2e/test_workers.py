"""--workers N (issue 18): a supervisor and N workers on one port with
SO_REUSEPORT, one control socket any worker answers (cluster-wide through
the Redis fleet), route tags on every id, a killed worker restarted with
its tag, SIGTERM draining all and SIGHUP reaching all; and --route alone.

Clients here use WebSocket only: a WebSocket session lives on the one
connection that reached a worker, so no hand-off is needed (polling across
workers is test_handoff's)."""

import json
import fcntl
import os
import pty
import re
import select
import signal
import socket
import sqlite3
import subprocess
import tempfile
import termios
import threading
import time

import pytest

from e2e_lib import daemon_command, exchange, free_port, wait_until
from test_observe import notify_socket, recv_until
from test_redis import Url, joined, redis  # noqa: F401 (fixture)

KINDS = ("v4", "v2", "py")


def tag_of(sid):
    assert len(sid) == 20, sid
    m = re.fullmatch(r"[A-Za-z0-9_-]{16,18}\.([A-Za-z0-9]{1,3})", sid)
    assert m, "no route tag in %r" % sid
    return m.group(1)


def worker_pids(d):
    """{tag: pid} of the running workers, from the supervisor's lines (the
    last start of each)."""
    pids = {}
    for m in re.finditer(r"worker (\w+) started \(pid (\d+)\)", d.stderr()):
        pids[m.group(1)] = int(m.group(2))
    return pids


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is no process that runs: the supervisor reaps its workers
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def start_workers(daemon, redis, n, *extra):  # noqa: F811
    d = daemon("--workers", n, "--redis", redis.url,
               "--redis-requests-timeout", "3000", *extra)
    wait_until(lambda: "%d workers ready" % n in d.stderr(), timeout=30,
               what="%d workers ready" % n)
    d.workers = n
    return d


def connect_all(clients, d, per_kind, expect_tags):
    """per_kind clients of each kind; keeps connecting (up to a bound) until
    every worker holds at least one, as the kernel spreads connections by
    their ports."""
    made = []
    for _ in range(6):
        for kind in KINDS:
            for _ in range(per_kind):
                made.append(clients(kind, d))
        if {tag_of(c.sid) for c in made} >= expect_tags:
            break
    assert {tag_of(c.sid) for c in made} == expect_tags
    return made


def listed_once(rpc, made):
    """Every client is listed by `sessions` exactly once (the fleet has
    answered for every worker)."""
    def ok():
        sids = [s["sid"] for s in rpc.call("sessions")["sessions"]]
        return sorted(sids) == sorted(c.sid for c in made)
    wait_until(ok, timeout=20, what="every client listed exactly once")


def got(c, event):
    return [a for a in c.events(event)]


def broadcast_once(rpc, made, event, channel=None, members=None):
    """An RPC emit (to all, or to `channel`) reaches each addressee exactly
    once and no one else: an end marker emitted after it (to all) is waited
    for first."""
    token = "%s-%f" % (event, time.monotonic())
    kw = {"channel": channel} if channel else {}
    r = rpc.call("emit", event=event, args=[token], **kw)
    assert r.get("published", True)
    rpc.call("emit", event="end", args=[token])
    for c in made:
        c.wait_event("end", pred=lambda a, t=token: a == [t], timeout=20)
    for c in made:
        n = sum(1 for a in c.events(event) if a == [token])
        want = 1 if members is None or c in members else 0
        assert n == want, "%s (%s) got %s %d times" % (c.sid, c.kind, event, n)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("n", [2, 3])
def test_workers_share_the_port_and_the_fleet(daemon, redis, clients,  # noqa
                                              n):
    d = start_workers(daemon, redis, n)
    tags = {"w%d" % w for w in range(1, n + 1)}
    assert set(worker_pids(d)) == tags
    rpc = joined(d)
    made = connect_all(clients, d, 3, tags)
    for c in made:
        assert len(c.sid) == 20 and tag_of(c.sid) in tags
    listed_once(rpc, made)
    # any worker answers the control socket, each with its own stats
    seen = set()
    for _ in range(8):
        st = d.rpc().call("stats", local=True)
        assert st["route"] == "w%d" % st["worker"]
        seen.add(st["route"])
    assert seen <= tags
    # broadcasts: to all, then to a channel with members on every worker
    broadcast_once(rpc, made, "news")
    # members on every worker: the first client of each, and every third
    members = [next(c for c in made if tag_of(c.sid) == t)
               for t in sorted(tags)]
    members += [c for c in made[::3] if c not in members]
    for c in members:
        assert c.subscribe("room") is not None
    broadcast_once(rpc, made, "room-news", channel="room", members=members)
    # nobody was disconnected meanwhile
    for c in made:
        assert c.transport() == "websocket"
    r = rpc.call("sessions", channel="room")
    assert sorted(s["sid"] for s in r["sessions"]) == \
        sorted(c.sid for c in members)


@pytest.mark.timeout(240)
def test_killed_worker_restarts_under_load(daemon, redis, clients):  # noqa
    d = start_workers(daemon, redis, 2)
    rpc = joined(d)
    made = connect_all(clients, d, 3, {"w1", "w2"})
    listed_once(rpc, made)
    pids = worker_pids(d)
    victims = [c for c in made if tag_of(c.sid) == "w1"]
    others = [c for c in made if tag_of(c.sid) == "w2"]
    assert victims and others

    # load: broadcasts go on through the kill, from a control connection
    # that may itself have landed on the victim (then a new one is made)
    sent, stop = [], threading.Event()

    def load():
        r, seq = None, 0
        while not stop.is_set():
            try:
                r = r or d.rpc()
                seq += 1
                res = r.call("emit", event="load", args=[seq],
                             rpc_timeout=5)
                if res.get("published", True):
                    sent.append(seq)
            except Exception:  # the worker died under it
                r = None
            time.sleep(0.02)
    th = threading.Thread(target=load, daemon=True)
    th.start()
    time.sleep(0.5)
    os.kill(pids["w1"], signal.SIGKILL)
    wait_until(lambda: "worker w1 restarted and ready" in d.stderr(),
               timeout=30, what="w1 restarted")
    new = worker_pids(d)
    assert new["w1"] != pids["w1"] and new["w2"] == pids["w2"]
    assert not alive(pids["w1"])
    # the victims' clients are back (on any worker), with new ids
    for c in victims:
        if c.kind == "py":
            wait_until(lambda c=c: c.connects >= 2, timeout=30,
                       what="python client reconnected")
            c.sid = c.sio.get_sid(c.namespace)
        else:
            c.wait_connect(2, timeout=30)
        assert tag_of(c.sid) in ("w1", "w2")
    time.sleep(0.5)
    stop.set()
    th.join(15)
    assert len(sent) > 10
    # the others never noticed, and got every broadcast exactly once
    for c in others:
        if c.kind == "py":
            assert c.connects == 1 and c.disconnects == 0
        else:
            assert c.node.find(lambda e, c=c: c._mine(e, "disconnect")) == []
        c.wait_event("load", pred=lambda a: a == [sent[-1]], timeout=20)
        seqs = [a[0] for a in c.events("load")]
        assert len(seqs) == len(set(seqs)), "a broadcast came twice"
        assert set(sent) <= set(seqs)
    # (a control connection to the dead worker was closed with it)
    rpc = d.rpc()
    listed_once(rpc, made)
    broadcast_once(rpc, made, "after")


def test_sigterm_drains_every_worker(daemon, redis, clients):  # noqa: F811
    d = start_workers(daemon, redis, 3, "-v")
    rpc = joined(d)
    made = connect_all(clients, d, 2, {"w1", "w2", "w3"})
    listed_once(rpc, made)
    pids = list(worker_pids(d).values())
    sup = d.proc.pid
    assert d.stop() == []  # exit status 0, no sanitizer report
    for p in pids + [sup]:
        assert not alive(p)
    assert not os.path.exists(d.rpc_path)
    err = d.stderr()
    for w in (1, 2, 3):
        assert "socketiod[w%d]: signal 15: shutting down" % w in err
        assert "socketiod: worker w%d: stopped" % w in err
    for c in made:
        if c.kind == "py":
            wait_until(lambda c=c: c.disconnects >= 1, timeout=10,
                       what="python client told")
        else:
            c.wait_disconnect()


def test_ctrl_c_in_a_terminal_drains_once(redis, clients, tmp_path):  # noqa
    """socketiod --workers 2 run in a terminal and stopped with Ctrl-C: the
    terminal sends SIGINT to every process of the group, workers too, so the
    supervisor must not pass it on again (a second signal ends a drain at
    once). Each worker shuts down once, drains and exits 0."""
    port = free_port()
    master, slave = pty.openpty()

    def own_terminal():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        daemon_command() + ["--workers", "2", "--redis", redis.url,
                            "--listen", "127.0.0.1:%d" % port,
                            "--rpc", str(tmp_path / "ctl.sock"), "-v"],
        stdin=slave, stdout=slave, stderr=slave, preexec_fn=own_terminal)
    os.close(slave)
    out = bytearray()

    def read_some():
        if select.select([master], [], [], 0.1)[0]:
            try:
                out.extend(os.read(master, 65536))
            except OSError:  # EIO: every process let go of the terminal
                return True
        return False

    try:
        wait_until(lambda: read_some() or b"2 workers ready" in out,
                   timeout=30, what="2 workers ready")
        c = clients("v4", Url("http://127.0.0.1:%d" % port))
        os.write(master, b"\x03")
        assert proc.wait(timeout=30) == 0
        while not read_some() and select.select([master], [], [], 0)[0]:
            pass
        c.wait_disconnect()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    log = out.decode(errors="replace")
    assert "exiting without waiting any longer" not in log, log
    for w in (1, 2):
        assert log.count("socketiod[w%d]: signal 2: shutting down" % w) == 1, log
        assert "socketiod: worker w%d: stopped" % w in log, log
    assert "Sanitizer" not in log, log


def test_sighup_reaches_every_worker(daemon, redis):  # noqa: F811
    d = start_workers(daemon, redis, 2, "-v")
    os.kill(d.proc.pid, signal.SIGHUP)
    for w in (1, 2):
        wait_until(lambda w=w: "socketiod[w%d]: SIGHUP: settings read again"
                   % w in d.stderr(), timeout=10,
                   what="w%d read its settings again" % w)
    d.assert_alive()
    assert set(worker_pids(d)) == {"w1", "w2"}


def test_route_alone_tags_every_id(daemon, clients):
    d = daemon("--route", "R7")
    made = [clients(k, d) for k in KINDS]
    for c in made:
        assert tag_of(c.sid) == "R7"
    st = d.rpc().call("stats")
    assert st["route"] == "R7" and st["worker"] == 0
    # without it: 20 characters of base64url, no '.'
    plain = daemon(name="plain")
    c = clients("py", plain)
    assert len(c.sid) == 20 and "." not in c.sid
    assert plain.rpc().call("stats")["route"] is None


@pytest.mark.parametrize("args,says", [
    (["--workers", "2"], "needs --redis"),
    (["--workers", "2", "--redis", "redis://127.0.0.1:1", "--fcgi",
      "127.0.0.1:0"], "--fcgi 127.0.0.1:0 with --workers"),
    (["--workers", "2", "--redis", "redis://127.0.0.1:1", "--scgi",
      "127.0.0.1:0"], "--scgi 127.0.0.1:0 with --workers"),
    (["--workers", "2", "--redis", "redis://127.0.0.1:1", "--state-file",
      "s.db"], "one file per worker with %i"),
    (["--workers", "10", "--route", "ab", "--redis",
      "redis://127.0.0.1:1"], "tag ab10 is longer than 3"),
    (["--workers", "17"], "from 0 to 16"),
    (["--route", "a.b"], "only letters"),
    (["--listen", "127.0.0.1:81%i"], "%i is the worker's number, for "
     "--workers"),
    (["--state-file", "s.%i.db"], "%i is the worker's number"),
])
def test_refused_settings(tmp_path, args, says):
    p = subprocess.run(daemon_command() + ["--listen", "127.0.0.1:0",
                                           "--rpc", str(tmp_path / "c.sock")]
                       + args, cwd=str(tmp_path), capture_output=True,
                       text=True, timeout=20)
    assert p.returncode != 0
    assert says in p.stderr, p.stderr
    assert not os.path.exists(tmp_path / "c.sock")


def handshake_over_unix(path):
    """A polling handshake over a Unix listener: the sid."""
    data = exchange(path, b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1"
                          b"\r\nHost: x\r\nConnection: close\r\n\r\n")
    return json.loads(data[data.index(b"0{") + 1:])["sid"]


def test_per_worker_and_shared_addresses(daemon, redis, tmp_path):  # noqa
    sock_dir = str(tmp_path)
    if len(sock_dir) > 90:  # sun_path holds 108 bytes
        sock_dir = tempfile.mkdtemp(prefix="siodw-")
    d = start_workers(daemon, redis, 2,
                      "--listen", "unix:%s/own.%%i" % sock_dir,
                      "--listen", "unix:%s/all" % sock_dir,
                      "--recovery", "30",
                      "--state-file", str(tmp_path / "state.%i.db"),
                      "--message-log-format", "%(EVENT)s",
                      "--message-log", str(tmp_path / "log.sqlite3"))
    # %i: worker w's own address; its sessions carry its tag
    for w in (1, 2):
        for _ in range(3):
            assert tag_of(handshake_over_unix(
                "%s/own.%d" % (sock_dir, w))) == "w%d" % w
    # without: one socket both accept on
    for _ in range(4):
        assert tag_of(handshake_over_unix(sock_dir + "/all")) in ("w1", "w2")
    # one state file per worker
    for w in (1, 2):
        assert (tmp_path / ("state.%d.db" % w)).exists()
    assert not (tmp_path / "state.%i.db").exists()
    # the supervisor logged where each listens
    err = d.stderr()
    assert "listening on unix:%s/own.1 for worker 1" % sock_dir in err
    assert "listening on unix:%s/own.2 for worker 2" % sock_dir in err
    assert "listening on unix:%s/all for workers 1-2" % sock_dir in err


def test_one_message_log_for_all_workers(daemon, redis, clients,  # noqa
                                         tmp_path):
    log = tmp_path / "log.sqlite3"
    d = start_workers(daemon, redis, 2, "--message-log-format", "%(EVENT)s",
                      "--message-log", str(log))
    made = connect_all(clients, d, 3, {"w1", "w2"})
    for c in made:
        c.emit("hello", c.sid)

    def logged():
        try:
            db = sqlite3.connect("file:%s?mode=ro" % log, uri=True,
                                 timeout=5)
            try:
                return {r[0] for r in db.execute(
                    "SELECT sid FROM messages WHERE event = 'hello' AND "
                    "direction = 'in'")}
            finally:
                db.close()
        except sqlite3.Error:
            return set()
    # both workers' writers commit into the one file (WAL, busy timeout)
    wait_until(lambda: logged() >= {c.sid for c in made}, timeout=20,
               what="every client's event logged")
    for _ in range(6):  # whichever worker answers
        st = d.rpc().call("stats")
        assert st["messages_log_errors"] == 0
        assert st["messages_log_dropped"] == 0


def test_crash_loop_backs_off(daemon, redis):  # noqa: F811
    d = start_workers(daemon, redis, 2)
    w2 = worker_pids(d)["w2"]
    for _ in range(3):
        pid = worker_pids(d)["w1"]
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda pid=pid: worker_pids(d)["w1"] != pid, timeout=30,
                   what="w1 started again")
    err = d.stderr()
    # each death within 2 s of its start doubles the wait
    assert "worker w1 died 2 times in a row right after starting: " \
        "starting it again in 200 ms" in err
    assert "worker w1 died 3 times in a row right after starting: " \
        "starting it again in 400 ms" in err
    wait_until(lambda: "worker w1 restarted and ready" in d.stderr(),
               timeout=20, what="w1 ready")
    assert worker_pids(d)["w2"] == w2
    d.assert_alive()


def test_a_worker_that_cannot_start_fails_the_service(tmp_path, redis):  # noqa
    p = subprocess.run(
        daemon_command() + ["--listen", "127.0.0.1:0",
                            "--rpc", str(tmp_path / "c.sock"),
                            "--workers", "2", "--redis", redis.url,
                            "--admin", "unix:%s/no/such/dir/a.%%i" % tmp_path],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, p.stderr
    assert "failed while starting: stopping the others" in p.stderr
    assert not os.path.exists(tmp_path / "c.sock")


def test_a_port_in_use_is_refused(daemon, redis, tmp_path):  # noqa: F811
    """SO_REUSEPORT would let a second daemon of the same user share the
    port (and take a share of its connections): refused as without
    --workers."""
    d = start_workers(daemon, redis, 2)
    p = subprocess.run(
        daemon_command() + ["--listen", "%s:%d" % d.addr,
                            "--rpc", str(tmp_path / "second.sock"),
                            "--workers", "2", "--redis", redis.url],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert "Address already in use" in p.stderr, p.stderr
    assert not os.path.exists(tmp_path / "second.sock")
    d.assert_alive()


def test_one_worker_without_redis_is_restarted(daemon, clients):
    """--workers 1: one worker under a supervisor that restarts it; no
    Redis needed. Its lines name it, in JSON too."""
    d = daemon("--workers", "1", "--log-format", "json", "-v")
    wait_until(lambda: "1 worker ready" in d.stderr(), timeout=30,
               what="the worker ready")
    v4, py = clients("v4", d), clients("py", d)
    assert tag_of(v4.sid) == "w1" and tag_of(py.sid) == "w1"
    old = worker_pids(d)["w1"]
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: worker_pids(d).get("w1", old) != old, timeout=30,
               what="w1 started again")
    v4.wait_connect(2, timeout=30)
    wait_until(lambda: py.connects >= 2, timeout=30,
               what="python client reconnected")
    assert tag_of(v4.sid) == "w1"
    r = d.rpc().call("emit", event="back", args=[1])
    assert r["recipients"] == 2
    v4.wait_event("back")
    py.wait_event("back")
    lines = [json.loads(x) for x in d.stderr().splitlines()
             if x.startswith("{")]
    assert any(x.get("worker") == "w1" for x in lines)
    # the supervisor's own lines name no worker
    assert any("worker" not in x and "w1" in x["msg"] for x in lines)


def test_systemd_hears_the_supervisor_once(daemon, redis, tmp_path,  # noqa
                                           monkeypatch):
    """READY=1 once, when every worker is up, from the supervisor (the
    workers never talk to systemd); the watchdog from the supervisor;
    no second READY when a worker is restarted; STOPPING=1 on SIGTERM."""
    s, path = notify_socket(tmp_path)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "400000")
    d = start_workers(daemon, redis, 2)
    got = recv_until(s, "READY=1", [])
    assert [m for m in got if "READY=1" in m] == ["READY=1\nSTATUS=2 workers"]
    os.kill(worker_pids(d)["w2"], signal.SIGKILL)
    wait_until(lambda: "worker w2 restarted and ready" in d.stderr(),
               timeout=30, what="w2 back")
    s.settimeout(0.05)
    try:
        while True:  # what came before
            s.recv(4096)
    except socket.timeout:
        pass
    t0, msgs = time.monotonic(), []
    while time.monotonic() - t0 < 1.0:
        s.settimeout(0.5)
        try:
            msgs.append(s.recv(4096).decode())
        except socket.timeout:
            pass
    assert not any("READY=1" in m for m in msgs), msgs
    # every 200 ms (half of WATCHDOG_USEC): about 5 in a second
    assert 3 <= sum(m == "WATCHDOG=1" for m in msgs) <= 7, msgs
    assert d.stop() == []
    got = recv_until(s, "STOPPING=1", [])
    assert not any("READY=1" in m for m in got), got
    s.close()


def test_ready_waits_for_the_fleet_but_not_for_ever(daemon, tmp_path):
    """A worker tells the supervisor it is ready once its Redis connections
    are up; a Redis that does not answer delays READY by --redis-timeout at
    most (the workers then serve their own clients and keep retrying)."""
    dead = "redis://127.0.0.1:%d" % free_port()
    t0 = time.monotonic()
    d = daemon("--workers", "2", "--redis", dead, "--redis-timeout", "800")
    wait_until(lambda: "2 workers ready" in d.stderr(), timeout=30,
               what="ready without Redis")
    assert time.monotonic() - t0 >= 0.7
    assert d.rpc().call("stats")["redis"]["connected"] is False

def test_send_threads_share_the_cpus_among_workers(daemon, redis):  # noqa
    """--send-threads auto gives each of N workers CPUs / N - 1 (at most
    3): the N loops write the same broadcast at once, so a send thread
    beyond a worker's share of the CPUs only competes with another
    worker's loop. An explicit count is each worker's."""
    cpus = os.sysconf("SC_NPROCESSORS_ONLN")
    d = start_workers(daemon, redis, 2)
    want = max(0, min(3, cpus // 2 - 1))
    for _ in range(4):  # whichever worker answers, for itself
        assert d.rpc().call("stats", local=True)["send_threads"] == want
    # the whole service's: the sum
    assert d.rpc().call("stats")["send_threads"] == 2 * want
    d2 = start_workers(daemon, redis, 2, "--send-threads", "1")
    for _ in range(4):
        assert d2.rpc().call("stats", local=True)["send_threads"] == 1
