"""Long-polling on the shared port (issue 18, item 3): with --workers N the
kernel spreads new TCP connections over the workers (SO_REUSEPORT), and a
request whose sid carries another worker's tag is handed to that worker
with its fd and the bytes already read (SCM_RIGHTS), before its body. The
official clients over polling (socket.io-client 4.x and 2.x open a new TCP
connection per poll in Node; python-socketio keeps its connections alive),
upgrades, a raw keep-alive connection carrying sids of two workers, and a
worker killed with SIGKILL. Counters are read per worker from its admin
socket (--admin with %i)."""

import json
import os
import resource
import signal
import socket
import time

import pytest

from e2e_lib import NodeHandle, session_sids, wait_until
from test_redis import redis  # noqa: F401 (fixture)

parser = pytest.importorskip("prometheus_client.parser")

UNKNOWN = b'{"code":1,"message":"Session ID unknown"}'


# ---- raw HTTP ---------------------------------------------------------------

def read_response(s):
    """(status, headers dict, body) of one response on socket s."""
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(65536)
        if not b:
            raise ConnectionError("closed before a response: %r" % data)
        data += b
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        b = s.recv(65536)
        if not b:
            raise ConnectionError("closed inside a body")
        rest += b
    return status, headers, rest[:n]


def request(s, method, target, body=b"", close=False):
    head = "%s %s HTTP/1.1\r\nHost: x\r\n" % (method, target)
    if body or method == "POST":
        head += "Content-Type: text/plain;charset=UTF-8\r\n"
        head += "Content-Length: %d\r\n" % len(body)
    if close:
        head += "Connection: close\r\n"
    s.sendall(head.encode() + b"\r\n" + body)
    return read_response(s)


def once(d, method, target, body=b""):
    """One request on a new connection (lands on any worker)."""
    with socket.create_connection(d.addr, timeout=20) as s:
        return request(s, method, target, body, close=True)


def eio(sid=None):
    q = "/socket.io/?EIO=4&transport=polling"
    return q + ("&sid=" + sid if sid else "")


def handshake(d):
    """A raw Engine.IO v4 polling session connected to "/": (its sid, its
    socket's id)."""
    st, _, body = once(d, "GET", eio())
    assert st == 200, body
    sid = json.loads(body[1:])["sid"]
    st, _, body = once(d, "POST", eio(sid), b"40")
    assert st == 200 and body == b"ok", body
    st, _, body = once(d, "GET", eio(sid))
    assert st == 200 and body.startswith(b"40{"), body
    return sid, json.loads(body[2:].split(b"\x1e")[0])["sid"]


def tag(sid):
    return sid.rsplit(".", 1)[1]


def sessions_on(d, worker, count):
    """`count` raw sessions that worker `worker` (1..N) owns."""
    got = []
    for _ in range(200):
        sid, sock = handshake(d)
        if tag(sid) == "w%d" % worker:
            assert tag(sock) == tag(sid)
            got.append((sid, sock))
            if len(got) == count:
                return got
    raise AssertionError("no session landed on worker %d" % worker)


# ---- the workers and their counters ------------------------------------------

def admin_get(path, target):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
        return request(s, "GET", target, close=True)
    finally:
        s.close()


def metrics(path):
    """A worker's unlabelled samples: name -> value."""
    st, _, body = admin_get(path, "/metrics")
    assert st == 200
    out = {}
    for f in parser.text_string_to_metric_families(body.decode()):
        for s in f.samples:
            if not s.labels:
                out[s.name] = s.value
    return out


def total(d, name):
    return sum(metrics(p).get(name, 0) for p in d.admins)


def per_worker(d, name):
    return [metrics(p).get(name, 0) for p in d.admins]


def worker_pid(d, w):
    """The pid of worker w: the child of the supervisor holding the
    listening socket of its admin path."""
    inode = None
    with open("/proc/net/unix") as f:
        for ln in f:
            parts = ln.split()
            if len(parts) >= 8 and parts[7] == d.admins[w - 1]:
                inode = parts[6]
    assert inode, "no socket at " + d.admins[w - 1]
    with open("/proc/%d/task/%d/children" % (d.proc.pid, d.proc.pid)) as f:
        children = [int(x) for x in f.read().split()]
    for pid in children:
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == \
                        "socket:[%s]" % inode:
                    return pid
        except OSError:
            continue
    raise AssertionError("no worker holds " + d.admins[w - 1])


def healthy(path):
    try:
        return admin_get(path, "/healthz")[0] == 200
    except OSError:
        return False


def in_fleet(d):
    try:
        return all(m.get("socketiod_redis_connected") == 1
                   for m in (metrics(p) for p in d.admins))
    except OSError:
        return False


@pytest.fixture
def workers(daemon, redis, tmp_path):  # noqa: F811
    """workers(n, *args) -> a --workers n daemon in a Redis fleet, every
    worker up; d.admins[w-1] is worker w's admin socket."""

    def start(n, *args):
        admin = str(tmp_path / "admin.%i.sock")
        d = daemon("--workers", str(n), "--redis", redis.url, "--admin",
                   admin, *args)
        d.admins = [admin.replace("%i", str(w)) for w in range(1, n + 1)]
        wait_until(lambda: all(healthy(p) for p in d.admins), timeout=30,
                   what="every worker up")
        wait_until(lambda: in_fleet(d), timeout=30,
                   what="every worker in the Redis fleet")
        return d
    return start


def disconnects(h):
    if isinstance(h, NodeHandle):
        return len(h.node.find(lambda e: e.get("cid") == h.cid and
                               e["ev"] == "disconnect"))
    return h.disconnects


def broadcast_exactly_once(d, handles, count, event="tick"):
    """`count` RPC broadcasts reach every handle once each, in order. Each
    waits for the one before to arrive everywhere, so that a polling
    client makes a poll per broadcast."""
    rpc = d.rpc()
    for i in range(count):
        rpc.call("emit", event=event, args=[i])
        for h in handles:
            wait_until(lambda: len(h.events(event)) >= i + 1, timeout=30,
                       what="%s #%d at %s" % (event, i, h.sid))
    want = [[i] for i in range(count)]
    time.sleep(0.5)  # nothing more arrives
    for h in handles:
        assert h.events(event) == want, h.sid


def check_handed(d, clients_):
    """Each client listed once; hand-offs happened, none failed or bad."""
    rpc = d.rpc()
    assert session_sids(rpc) == sorted(h.sid for h in clients_)
    sent = total(d, "socketiod_handoffs_sent_total")
    assert sent > 0
    assert total(d, "socketiod_handoffs_received_total") == sent
    assert total(d, "socketiod_handoffs_failed_total") == 0
    assert total(d, "socketiod_handoffs_bad_total") == 0
    assert total(d, "socketiod_handoff_sid_requests_total") >= sent
    for h in clients_:
        assert disconnects(h) == 0, h.sid
    return sent


# ---- tests ------------------------------------------------------------------

@pytest.mark.timeout(150)
@pytest.mark.parametrize("n", [2, 4])
def test_polling_clients_over_workers(workers, clients, n):
    """Node clients open a new TCP connection per poll (engine.io-client
    gives xmlhttprequest-ssl no agent: "Connection: close"), so polls land
    on any worker; python-socketio keeps its connections alive."""
    # A per-address limit well under the connections that come and go:
    # a hand-off releases the sender's count, the owner takes one.
    d = workers(n, "--max-connections-per-ip", "24")
    hs = [clients(kind, d, mode="polling")
          for kind in ("v4", "v4", "v2", "v2", "py", "py")]
    # Their sockets carry their workers' tags.
    assert all(tag(h.sid) in ["w%d" % w for w in range(1, n + 1)]
               for h in hs if h.kind != "v2")
    broadcast_exactly_once(d, hs, 30)
    sent = check_handed(d, hs)
    # A poll per broadcast, each on a connection of its own for the Node
    # clients: (n-1)/n of them begin on a worker that does not own their
    # session (half that leaves room for chance).
    accepted = total(d, "socketiod_connections_accepted_total")
    assert accepted >= 4 * 30
    assert total(d, "socketiod_connections_refused_total") == 0
    assert sent >= 4 * 30 * (n - 1) / n / 2
    assert all(h.transport() == "polling" for h in hs)


@pytest.mark.timeout(120)
def test_upgrade_get_is_handed_to_the_owner(workers, clients):
    d = workers(2)
    hs = [clients(kind, d, mode="upgrade") for kind in ("v4", "v2", "py")
          for _ in range(3)]
    assert all(h.transport() == "websocket" for h in hs)
    broadcast_exactly_once(d, hs, 10)
    check_handed(d, hs)
    assert total(d, "socketiod_upgrades_total") == len(hs)


@pytest.mark.timeout(120)
def test_keep_alive_connection_with_sids_of_two_workers(workers):
    """One connection, requests for sessions of w1 and w2 in turn: each
    request is decided anew and handed on when its sid is another's."""
    d = workers(2)
    a, = sessions_on(d, 1, 1)
    b, = sessions_on(d, 2, 1)
    sent0 = total(d, "socketiod_handoffs_sent_total")
    rpc = d.rpc()
    with socket.create_connection(d.addr, timeout=20) as s:
        for i in range(6):
            for sid, _ in (a, b):
                st, h, body = request(s, "POST", eio(sid),
                                      b'42["note",%d]' % i)
                assert (st, body) == (200, b"ok"), (sid, body)
                assert h.get("connection", "").lower() != "close"
        # A poll answered on the same connection, for each in turn.
        for sid, sock in (a, b, a):
            rpc.call("emit", event="hello", args=[sock], to=sock)
            st, _, body = request(s, "GET", eio(sid))
            assert st == 200, body
            assert body == b'42["hello","%s"]' % sock.encode()
    # At least one request in two changed worker.
    assert total(d, "socketiod_handoffs_sent_total") - sent0 >= 7
    assert total(d, "socketiod_handoffs_failed_total") == 0


@pytest.mark.timeout(150)
def test_sigkill_owner_answers_unknown_sid_and_client_comes_back(workers,
                                                                 clients):
    d = workers(2, "--ping-interval", "2000", "--ping-timeout", "2000")
    h = clients("v4", d, mode="polling",
                extra_opts={"reconnectionDelay": 200,
                            "reconnectionDelayMax": 500})
    w = int(tag(h.sid)[1:])
    (raw, _), = sessions_on(d, w, 1)
    pid = worker_pid(d, w)
    os.kill(pid, signal.SIGKILL)
    # Requests for its sessions, wherever they land (the other worker
    # hands them to the dead one's inbox, the supervisor keeps it and its
    # accept queue), are answered by its successor: unknown.
    for _ in range(6):
        st, _, body = once(d, "GET", eio(raw))
        assert (st, body) == (400, UNKNOWN)
    wait_until(lambda: healthy(d.admins[w - 1]) and
               worker_pid(d, w) != pid, timeout=30, what="worker restarted")
    h.wait_connect(2, timeout=40)
    wait_until(lambda: in_fleet(d), timeout=30, what="fleet again")
    rpc = d.rpc()
    # (the raw sessions on the other worker time out: they never poll)
    wait_until(lambda: session_sids(rpc) == [h.sid], timeout=30,
               what="the client listed once, alone")
    broadcast_exactly_once(d, [h], 5, event="after")


@pytest.mark.timeout(150)
def test_full_inbox_answers_unknown_sid_here(workers):
    """A stopped owner reads nothing: once its inbox is full, the sender
    answers the request itself (400 Session ID unknown, counted) instead
    of waiting; when the owner runs again it serves what was queued. Each
    request carries a 12 KB header, so that the pair's send buffer (4 MiB
    asked, doubled by the kernel: ~700 such records) fills with the
    ~1,200 of them that reach the running worker."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    d = workers(2, "--ping-interval", "60000", "--ping-timeout", "60000")
    (sid, _), = sessions_on(d, 2, 1)
    pid = worker_pid(d, 2)
    os.kill(pid, signal.SIGSTOP)
    socks = []
    try:
        pad = "x" * 12000
        for _ in range(2400):
            s = socket.create_connection(d.addr, timeout=30)
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n"
                       % (eio(sid), pad)).encode())
            socks.append(s)
        # (worker 2 answers nothing while stopped, its admin socket too)
        wait_until(lambda: metrics(d.admins[0]).get(
            "socketiod_handoffs_failed_total", 0) > 0, timeout=30,
            what="a hand-off refused by the full inbox")
        failed = metrics(d.admins[0])["socketiod_handoffs_failed_total"]
    finally:
        os.kill(pid, signal.SIGCONT)
    answers = {}
    for s in socks:
        try:
            st, _, body = read_response(s)
            answers[st] = answers.get(st, 0) + 1
            if st == 400:
                assert body in (UNKNOWN, b'{"code":3,"message":"Bad request"}')
        except (ConnectionError, OSError):
            answers["closed"] = answers.get("closed", 0) + 1
        s.close()
    print("full inbox: %d failed, answers %r" % (failed, answers))
    assert answers.get(400, 0) >= failed
    m = per_worker(d, "socketiod_handoffs_sent_total")
    assert m[0] > 0
    assert total(d, "socketiod_handoffs_bad_total") == 0
    assert healthy(d.admins[0]) and healthy(d.admins[1])


@pytest.mark.timeout(200)
def test_share_of_handoffs_with_and_without_keep_alive(workers, clients):
    """The share of requests with a sid that were handed on, for a polling
    population without keep-alive (Node clients: a connection per poll)
    and with it (python-socketio: requests' pooled connections). Printed
    for docs/scale-out.md."""
    d = workers(2)

    def share(kind):
        s0 = total(d, "socketiod_handoffs_sent_total")
        r0 = total(d, "socketiod_handoff_sid_requests_total")
        hs = [clients(kind, d, mode="polling") for _ in range(4)]
        broadcast_exactly_once(d, hs, 40, event=kind)
        for h in hs:
            h.disconnect()
        rpc = d.rpc()
        wait_until(lambda: session_sids(rpc) == [], timeout=30,
                   what="every %s client gone" % kind)
        sent = total(d, "socketiod_handoffs_sent_total") - s0
        reqs = total(d, "socketiod_handoff_sid_requests_total") - r0
        return sent, reqs

    sent, reqs = share("v4")
    sent_ka, reqs_ka = share("py")
    print("hand-off share, 2 workers, 4 clients x 40 polls: without "
          "keep-alive %d/%d = %.2f, with keep-alive %d/%d = %.2f"
          % (sent, reqs, sent / reqs, sent_ka, reqs_ka, sent_ka / reqs_ka))
    assert 0.3 < sent / reqs < 0.7  # about (N-1)/N
    assert sent_ka / reqs_ka < 0.2  # the first request of a connection
