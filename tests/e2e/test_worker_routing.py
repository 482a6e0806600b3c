"""Several workers behind nginx and Apache (issue 18, item 4).

socketiod --workers N (with Redis, as every fleet of workers) serves
FastCGI on one Unix socket per worker and HTTP on one port per worker
(%i); the web server routes each request by the route tag at the end of
its sid (`?sid=<random>.wK`): etc/nginx/socketiod-workers.conf with a
`map $arg_sid`, etc/apache2/socketiod-workers.conf with
mod_proxy_balancer's stickysession=sid and route=wK members. Both files
run here as shipped, only ports and the socket directory replaced (and,
for three workers, the lines of worker 2 copied for worker 3, as their
comments tell). socket.io-client 4.x and 2.x and python-socketio connect
through the web server over polling, WebSocket and polling upgraded to
WebSocket; sessions land on every worker; every client stays connected
and gets every RPC broadcast exactly once; the web server's log shows
each request with a sid served by the worker its tag names, no request
was answered 400, and each worker's own counters (its /metrics) count
exactly the sessions, upgrades and polling sessions its tag names. A sid
whose tag names no worker is answered by some worker with Engine.IO's
"Session ID unknown" at once. A worker killed under the web server is
started again and its clients come back through the web server. 300
sessions polling at once are routed without a miss."""

import json
import os
import random
import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bridge_lib import APACHE_MODULES, Apache, Nginx, templated
from e2e_lib import exchange, free_port, wait_until
from test_bridge_servers import servers  # noqa: F401 (fixture)
from test_redis import redis  # noqa: F401 (fixture)

BALANCER_MODULES = APACHE_MODULES + ("proxy_balancer", "lbmethod_byrequests",
                                     "slotmem_shm")
# Each test runs behind both web servers (either skipped when missing).
WEB_KINDS = pytest.mark.parametrize("web_kind", [
    pytest.param("nginx", marks=pytest.mark.skipif(
        shutil.which("nginx") is None, reason="no nginx")),
    pytest.param("apache", marks=pytest.mark.skipif(
        shutil.which("apache2") is None, reason="no apache2")),
])
EVENTS = 20


@pytest.fixture
def rundir():
    """The sockets' directory: Apache's children (www-data when the tests
    run as root) must reach them, so a short world-traversable path. (The
    tests take it first, so that it goes last, after the daemon.)"""
    d = Path(tempfile.mkdtemp(prefix="siod-wr-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def worker_port_base(n):
    """B such that the ports B1..Bn ("127.0.0.1:B%i") are free."""
    for _ in range(200):
        base = random.randrange(2000, 6500)
        if all(_free(base * 10 + i) for i in range(1, n + 1)):
            return base
    raise AssertionError("no free run of worker ports")


def more_workers(text, n):
    """The config extended from 2 to n workers the way its comment says:
    each line naming worker 2 (w2, fcgi.2 or scgi.2, :9102) copied with
    the number changed."""
    out = []
    for line in text.splitlines(keepends=True):
        out.append(line)
        if line.lstrip().startswith("#") or not re.search(
                r"w2|[fs]cgi\.2|:9102", line):
            continue
        for k in range(3, n + 1):
            out.append(line.replace("w2", "w%d" % k)
                       .replace("fcgi.2", "fcgi.%d" % k)
                       .replace("scgi.2", "scgi.%d" % k)
                       .replace(":9102", ":910%d" % k))
    return "".join(out)


def tag_of(sid):
    """The route tag of an id (after its last '.'), None without one."""
    return sid.rsplit(".", 1)[1] if sid and "." in sid else None


def metrics(path):
    """{name: value} of a worker's /metrics on its admin Unix socket."""
    got = exchange(path, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


class Box:
    """socketiod --workers n behind one web server, its fronts "fcgi" or
    "scgi", with the server's route log."""

    def __init__(self, daemon, fleet_redis, servers, run, tmp_path, web_kind,
                 front, n):
        self.n, self.run, self.kind, self.front = n, run, web_kind, front
        suffix = "" if front == "fcgi" else "-scgi"
        base = worker_port_base(n)
        self.http_ports = {base * 10 + k: k for k in range(1, n + 1)}
        self.d = daemon(
            "--workers", str(n), "--redis", fleet_redis.url,
            "--" + front, "unix:%s/%s.%%i" % (run, front),
            "--listen", "127.0.0.1:%d%%i" % base,
            "--admin", "unix:%s/admin.%%i" % run,
            "--trusted-proxies", "127.0.0.1",
            # polls come back (and pongs go) every 2 s
            "--ping-interval", "2000", "--ping-timeout", "10000")
        wait_until(lambda: all(self._up(k) for k in range(1, n + 1)),
                   timeout=20, what="every worker's sockets")
        self.route_log = tmp_path / ("%s-routes.log" % web_kind)
        ports = {":910%d" % k: ":%d%d" % (base, k) for k in range(1, n + 1)}
        if web_kind == "nginx":
            text = more_workers(templated(
                "nginx/socketiod-workers%s.conf" % suffix, {}), n)
            web_port = free_port()
            subst = {"listen 80;": "listen 127.0.0.1:%d;" % web_port,
                     "/run/socketiod/": "%s/" % run}
            subst.update({k + ";": v + ";" for k, v in ports.items()})
            site = _replace(text, subst)
            # what the test reads: which upstream served which sid
            site = ("log_format socketiod_routes "
                    "'$arg_sid $upstream_addr $status $request_method';\n"
                    "access_log %s socketiod_routes;\n" % self.route_log
                    ) + site
            self.web = servers(Nginx, tmp_path / "nginx").start(site,
                                                                web_port)
        else:
            text = more_workers(templated(
                "apache2/socketiod-workers%s.conf" % suffix, {}), n)
            subst = {"/run/socketiod/": "%s/" % run}
            subst.update({k + '"': v + '"' for k, v in ports.items()})
            site = _replace(text, subst)
            top = ('LogFormat "%%{BALANCER_SESSION_ROUTE}e '
                   '%%{BALANCER_WORKER_ROUTE}e %%>s %%m %%q" '
                   "socketiod_routes\n"
                   "CustomLog %s socketiod_routes\n" % self.route_log)
            self.web = servers(Apache, tmp_path / "apache").start(
                site, free_port(), modules=BALANCER_MODULES, top_text=top)
        self.url = self.web.url

    def _up(self, k):
        if not os.path.exists("%s/%s.%d" % (self.run, self.front, k)):
            return False
        port = [p for p, w in self.http_ports.items() if w == k][0]
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            return False

    def metrics(self, k):
        return metrics("%s/admin.%d" % (self.run, k))

    def routes(self):
        """(tag of the request's sid or None, worker that served it,
        status, method) per logged request."""
        out = []
        try:
            text = self.route_log.read_text()
        except FileNotFoundError:
            return out
        for line in text.splitlines():
            f = line.split()
            if self.kind == "nginx":
                sid, addr, status, method = f[0], f[-3], f[-2], f[-1]
                tag = tag_of(sid) if sid != "-" else None
                addr = addr.split(",")[-1].strip()   # after a retry: the last
                sock = re.search(r"[fs]cgi\.(\d+)$", addr)
                port = re.search(r":(\d+)$", addr)
                worker = int(sock.group(1)) if sock else \
                    self.http_ports.get(int(port.group(1))) if port else None
            else:
                session, member, status, method = f[:4]
                sid = re.search(r"[?&]sid=([^&]*)", f[4] if len(f) > 4
                                else "")
                tag = tag_of(sid.group(1)) if sid else None
                assert session == (tag or "-"), line
                worker = int(member[1:]) if member != "-" else None
            out.append((tag, worker, int(status), method))
        return out


def _replace(text, subst):
    for k, v in subst.items():
        assert k in text, "the config does not contain %r" % k
        text = text.replace(k, v)
    return text


def connected(h):
    """(connects so far, connected now) of a handle."""
    if h.kind == "py":
        return h.connects, h.sio.connected and h.disconnects == 0
    st = h.state()
    return st["connects"], st["connected"] and st["sid"] == h.sid


MODES = ("polling", "upgrade", "websocket")


@pytest.mark.skipif(shutil.which("redis-server") is None,
                    reason="no redis-server")
@pytest.mark.parametrize("web_kind,front,workers", [
    pytest.param("nginx", "fcgi", 2, marks=pytest.mark.skipif(
        shutil.which("nginx") is None, reason="no nginx")),
    pytest.param("apache", "fcgi", 2, marks=pytest.mark.skipif(
        shutil.which("apache2") is None, reason="no apache2")),
    pytest.param("nginx", "scgi", 3, marks=pytest.mark.skipif(
        shutil.which("nginx") is None, reason="no nginx")),
    pytest.param("apache", "scgi", 3, marks=pytest.mark.skipif(
        shutil.which("apache2") is None, reason="no apache2")),
])
@pytest.mark.timeout(150)
def test_routed_by_tag(rundir, redis, daemon, clients,  # noqa: F811
                       servers, tmp_path, web_kind, front,  # noqa: F811
                       workers):
    box = Box(daemon, redis, servers, rundir, tmp_path, web_kind, front,
              workers)
    handles = []
    for kind in ("v4", "v2", "py"):
        for mode in MODES:
            h = clients(kind, box, mode=mode)
            h.mode = mode
            handles.append(h)
    # New sessions go to any worker; more polling clients until every
    # worker holds sessions that poll (round robin makes that quick).
    while {tag_of(h.sid) for h in handles if h.mode != "websocket"} != \
            {"w%d" % k for k in range(1, workers + 1)}:
        assert len(handles) < 9 + 4 * workers, \
            "sessions never reached every worker: %r" % (
                sorted((tag_of(h.sid), h.mode) for h in handles))
        h = clients("py", box, mode="polling")
        h.mode = "polling"
        handles.append(h)
    for h in handles:
        assert h.subscribe("room") == [None, "room"], h.kind
        assert h.transport() == ("polling" if h.mode == "polling"
                                 else "websocket"), (h.kind, h.mode)

    # Broadcasts from the control socket (any worker answers it; Redis
    # carries them to the others) while polls and pongs go back and forth.
    rpc = box.d.rpc()
    for k in range(EVENTS):
        rpc.call("emit", event="seq", args=[k], channel="room")
        time.sleep(0.25)
    rpc.call("emit", event="done", args=[], channel="room")
    for h in handles:
        h.wait_event("done", timeout=30)
        assert h.events("seq") == [[k] for k in range(EVENTS)], \
            (h.kind, h.mode, h.sid, h.events("seq"))
        assert connected(h) == (1, True), (h.kind, h.mode, h.sid)
    # The fleet lists each of them once.
    listed = [s["sid"] for s in rpc.call("sessions")["sessions"]]
    assert sorted(listed) == sorted(h.sid for h in handles)

    # Every request with a sid went to the worker its tag names, none was
    # answered 400 ("Session ID unknown": a request at the wrong worker),
    # and polling traffic reached every worker by its tag.
    routes = wait_until(lambda: [r for r in box.routes() if r[0]],
                        what="logged requests with a sid")
    assert all(r[2] != 400 for r in box.routes()), box.routes()
    wrong = [r for r in routes if r[0] != "w%d" % r[1]]
    assert not wrong, wrong
    by_worker = {k: sum(1 for r in routes if r[1] == k)
                 for k in range(1, workers + 1)}
    assert all(by_worker.values()), by_worker
    posts = [r for r in routes if r[3] == "POST"]
    assert posts, routes
    # Each worker's own counters: it made exactly the sessions whose ids
    # carry its tag, upgraded those of them that upgraded, and served
    # FastCGI (SCGI) requests.
    for k in range(1, workers + 1):
        m = box.metrics(k)
        mine = [h for h in handles if tag_of(h.sid) == "w%d" % k]
        assert m["socketiod_handshakes_total"] == len(mine), (k, m)
        assert m["socketiod_sessions_polling"] == sum(
            1 for h in mine if h.mode == "polling"), (k, m)
        assert m["socketiod_sessions_websocket"] == sum(
            1 for h in mine if h.mode != "polling"), (k, m)
        assert m["socketiod_upgrades_total"] == sum(
            1 for h in mine if h.mode == "upgrade"), (k, m)
        assert m["socketiod_%s_requests_total" % front] > 0, (k, m)
        assert m["socketiod_bad_requests_total"] == 0, (k, m)

    # A sid whose tag names no worker (or a worker that never issued it)
    # is answered at once by some worker, not held.
    for sid in ("A" * 17 + ".w9", "B" * 17 + ".w1", "C" * 20):
        for method, body in (("GET", None), ("POST", b"1:6")):
            url = box.url + "/socket.io/?EIO=4&transport=polling&sid=" + sid
            t0 = time.monotonic()
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(urllib.request.Request(
                    url, data=body, method=method), timeout=15)
            assert e.value.code == 400, (sid, method)
            assert json.loads(e.value.read()) == \
                {"code": 1, "message": "Session ID unknown"}, (sid, method)
            assert time.monotonic() - t0 < 10
    import websocket  # Debian's python3-websocket
    ws_url = box.url.replace("http:", "ws:") + \
        "/socket.io/?EIO=4&transport=websocket&sid=" + "D" * 17 + ".w9"
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(ws_url, timeout=15)
    assert e.value.status_code == 400
    # The clients carried on meanwhile.
    rpc.call("emit", event="after", args=[1], channel="room")
    for h in handles:
        assert h.wait_event("after", timeout=30) == [1]


def again(h):
    """The new sid of a handle connected a second time, else None."""
    if h.kind == "py":
        return h.connects >= 2 and h.sio.connected and \
            h.sio.get_sid(h.namespace)
    st = h.state()
    return st["connects"] >= 2 and st["connected"] and st["sid"]


def worker_pid(box, k):
    """The pid of worker k: the process holding its admin socket, which
    the worker itself binds (the supervisor keeps only the public ones)."""
    path = "%s/admin.%d" % (box.run, k)
    inodes = set()
    with open("/proc/net/unix") as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 8 and fields[7] == path:
                inodes.add("socket:[%s]" % fields[6])
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
            if any(os.readlink("/proc/%s/fd/%s" % (pid, fd)) in inodes
                   for fd in fds):
                return int(pid)
        except OSError:
            continue
    return None


@pytest.mark.skipif(shutil.which("redis-server") is None,
                    reason="no redis-server")
@WEB_KINDS
@pytest.mark.timeout(150)
def test_worker_killed_behind_web_server(
        rundir, redis, daemon, clients, servers,  # noqa: F811
        tmp_path, web_kind):
    """Worker 1 dies (SIGKILL) under the web server: the supervisor starts
    it again behind the same sockets, its clients connect again through
    the web server (to any worker), a request with one of its old sids is
    answered "Session ID unknown", and worker 2's clients never notice."""
    box = Box(daemon, redis, servers, rundir, tmp_path, web_kind, "fcgi", 2)
    handles = []
    kinds = ("v4", "v2", "py")
    while not all(sum(1 for h in handles if tag_of(h.sid) == t) >= 2
                  for t in ("w1", "w2")):
        assert len(handles) < 16, sorted(tag_of(h.sid) for h in handles)
        h = clients(kinds[len(handles) % 3], box,
                    mode=MODES[len(handles) % 2])   # polling, upgrade
        handles.append(h)
    for h in handles:
        assert h.subscribe("room") == [None, "room"]
    old = {h: h.sid for h in handles}
    victims = [h for h in handles if tag_of(h.sid) == "w1"]
    pid = worker_pid(box, 1)
    assert pid not in (None, box.d.proc.pid)
    os.kill(pid, 9)
    wait_until(lambda: worker_pid(box, 1) not in (None, pid), timeout=30,
               what="worker 1 started again")
    # Its clients come back with new sessions, wherever the handshake
    # lands; worker 2's keep theirs.
    for h in victims:
        h.sid = wait_until(lambda: again(h), timeout=60, interval=0.5,
                           what="%s back" % h.kind)
        assert h.sid != old[h]
    for h in handles:
        if h not in victims:
            assert connected(h) == (1, True), (h.kind, h.sid)
    url = box.url + "/socket.io/?EIO=4&transport=polling&sid=" + \
        old[victims[0]]
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, timeout=15)
    assert e.value.code == 400
    assert json.loads(e.value.read())["message"] == "Session ID unknown"
    rpc = box.d.rpc()
    wait_until(lambda: len(rpc.call("sessions")["sessions"]) == len(handles),
               timeout=30, what="every client listed again")
    rpc.call("emit", event="after", args=[2], channel="room")
    for h in handles:
        assert h.wait_event("after", timeout=30) == [2], (h.kind, h.sid)
        assert len(h.events("after")) == 1


@pytest.mark.skipif(shutil.which("redis-server") is None,
                    reason="no redis-server")
@WEB_KINDS
@pytest.mark.timeout(150)
def test_many_polling_sessions_routed(
        rundir, redis, daemon, node, servers,  # noqa: F811
        tmp_path, web_kind):
    """300 socket.io-client sessions long-polling through the web server
    at once, on two workers: their requests interleave on the web
    server's connections to each worker; none reaches the wrong worker,
    none is refused, and each session gets each broadcast once, in
    order."""
    count, events = 300, 20
    box = Box(daemon, redis, servers, rundir, tmp_path, web_kind, "fcgi", 2)
    n = node("v4")
    ready = n.connect_many("p", count, box.url, concurrency=50,
                           channel="room", opts={"transports": ["polling"],
                                                 "forceNew": True})
    assert ready["connected"] == count and ready["failed"] == 0, ready
    rpc = box.d.rpc()
    for k in range(1, events + 1):
        rpc.call("emit", event="seq", args=[k], channel="room")

    def counts():
        req, mark = n.send("counts", prefix="p", event="seq")
        return n.wait_for(lambda e: e["ev"] == "counts" and
                          e.get("req") == req, since=mark)
    wait_until(lambda: set(counts()["counts"].values()) == {events},
               timeout=60, interval=0.5,
               what="%d broadcasts at each of %d sessions" % (events, count))
    last = counts()
    assert len(last["counts"]) == count
    assert set(last["disorder"].values()) == {0}
    sessions = [box.metrics(k)["socketiod_sessions_polling"] for k in (1, 2)]
    assert sum(sessions) == count and min(sessions) > 0, sessions
    routes = [r for r in box.routes() if r[0]]
    assert len(routes) > 2 * count, len(routes)
    assert not [r for r in routes if r[0] != "w%d" % r[1]]
    assert not [r for r in box.routes() if r[2] >= 400]
    for k in (1, 2):
        assert box.metrics(k)["socketiod_bad_requests_total"] == 0
