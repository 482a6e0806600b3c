"""socketiod behind real web servers from Debian, with the configs in etc/.

nginx with fastcgi_pass and scgi_pass (WebSocket through proxy_pass with
Upgrade), Apache with mod_proxy_fcgi, mod_proxy_scgi and mod_fcgid spawn
mode (WebSocket through mod_proxy_wstunnel): socket.io-client connects
through the web server's port, polling only and then upgrading; it joins a
channel, receives an RPC broadcast, and its events reach the upstream test
app (tests/e2e/apps/upstream_app.py over plain HTTP), whose answer comes
back as the ack. Every server is started on free ports in the test's
directory and stopped at the end, also when the test fails."""
import json
import re
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bridge_lib import APACHE_MODULES, Apache, Nginx, templated
from e2e_lib import (SANITIZER_MARKS, Rpc, daemon_command, free_port,
                     wait_until)
from test_upstream import SECRET, App


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    a = App("http", tmp_path_factory.mktemp("bridge-app"))
    yield a
    a.stop()


@pytest.fixture
def secret_file(tmp_path):
    p = tmp_path / "upstream.secret"
    p.write_text(SECRET + "\n")
    return p


@pytest.fixture
def servers():
    """servers(cls, subdir) -> a Server; each is stopped at teardown."""
    made = []

    def make(cls, workdir):
        s = cls(workdir)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def start_daemon(daemon, app, secret_file, front, port):
    return daemon("--" + front, "127.0.0.1:%d" % port,
                  "--upstream", app.url, "--upstream-secret",
                  str(secret_file), "--trusted-proxies", "127.0.0.1")


def exercise(clients, d, server, app, mode, kind="v4", channel="room"):
    """One client through `server`: connect, join, broadcast, event."""
    h = clients(kind, server, mode=mode)
    want = "websocket" if mode in ("websocket", "upgrade") else "polling"
    assert h.transport() == want
    assert h.subscribe(channel) == [None, channel]
    h.wait_event("subscribed", lambda args: args == [channel])
    rpc = d.rpc()
    assert rpc.call("emit", event="news", args=["through " + mode],
                    channel=channel)["recipients"] >= 1
    assert h.wait_event("news") == ["through " + mode]
    assert h.emit("echo", "hello app", ack=True) == ["hello app"]
    wait_until(lambda: app.records(h.sid, type="event", event="echo"),
               what="the event at the app")
    s = rpc.call("session", sid=h.sid)["session"]
    assert s["remote_addr"] == "127.0.0.1" and s["transport"] == want
    return h


@pytest.mark.skipif(shutil.which("nginx") is None, reason="no nginx")
@pytest.mark.parametrize("front", ["fcgi", "scgi"])
@pytest.mark.timeout(90)
def test_nginx(daemon, clients, servers, app, secret_file, tmp_path, front):
    port = free_port()
    d = start_daemon(daemon, app, secret_file, front, port)
    conf = "socketiod-fastcgi.conf" if front == "fcgi" else \
        "socketiod-scgi.conf"
    web = free_port()
    site = templated("nginx/" + conf, {
        "listen 80;": "listen 127.0.0.1:%d;" % web,
        "127.0.0.1:%d;" % (9001 if front == "fcgi" else 9002):
            "127.0.0.1:%d;" % port,
        "127.0.0.1:9000;": "127.0.0.1:%d;" % d.port,
    })
    ngx = servers(Nginx, tmp_path / "nginx").start(site, web)
    a = exercise(clients, d, ngx, app, "polling")
    b = exercise(clients, d, ngx, app, "upgrade", kind="v2")
    # Both fronts reach the same sessions and channels.
    rpc = d.rpc()
    assert rpc.call("emit", event="all", args=[1], channel="room")[
        "recipients"] == 2
    assert a.wait_event("all") == [1] and b.wait_event("all") == [1]
    # The served client script comes through the front too.
    import urllib.request
    with urllib.request.urlopen(ngx.url + "/socket.io/socket.io.js",
                                timeout=10) as r:
        assert r.status == 200 and len(r.read()) > 10000


def apache_site(front, daemon_port, port):
    name = "apache2/socketiod-proxy-%s.conf" % front
    other = 9001 if front == "fcgi" else 9002
    return templated(name, {
        "127.0.0.1:%d/" % other: "127.0.0.1:%d/" % port,
        "127.0.0.1:9000/": "127.0.0.1:%d/" % daemon_port,
    })


@pytest.mark.skipif(shutil.which("apache2") is None, reason="no apache2")
@pytest.mark.parametrize("front", ["fcgi", "scgi"])
@pytest.mark.timeout(100)
def test_apache_proxy(daemon, clients, servers, app, secret_file, tmp_path,
                      front):
    """mod_proxy_fcgi / mod_proxy_scgi for polling, mod_proxy_wstunnel for
    WebSocket; then a graceful restart of Apache."""
    port = free_port()
    d = start_daemon(daemon, app, secret_file, front, port)
    web = free_port()
    ap = servers(Apache, tmp_path / "apache").start(
        apache_site(front, d.port, port), web)
    a = exercise(clients, d, ap, app, "polling")
    b = exercise(clients, d, ap, app, "upgrade", kind="v2")
    rpc = d.rpc()
    ap.graceful()
    # Old children finish their requests, new ones take the next: the
    # clients keep their sessions or reconnect, and go on working.
    wait_until(lambda: "resuming normal operations" in ap.logs() or
               "Graceful restart" in ap.logs(), timeout=20,
               what="the graceful restart")
    for n in range(3):
        wait_until(lambda: rpc.call("emit", event="after", args=[n],
                                    channel="room")["recipients"] == 2,
                   timeout=30, what="both clients back in the channel")
        assert a.wait_event("after", lambda args: args == [n],
                            timeout=30) == [n]
        assert b.wait_event("after", lambda args: args == [n],
                            timeout=30) == [n]
    assert a.emit("echo", "after restart", ack=True,
                  timeout=30) == ["after restart"]
    c = exercise(clients, d, ap, app, "polling", channel="room2")
    assert c.sid not in (a.sid, b.sid)


class Poller:
    """A sequential Engine.IO v4 polling client over urllib: one request at
    a time, which is all mod_fcgid can serve."""

    def __init__(self, base):
        self.base = base + "/socket.io/?EIO=4&transport=polling"
        body = self._req("GET", self.base)
        assert body[:1] == b"0", body
        self.sid = json.loads(body[1:])["sid"]
        self.url = self.base + "&sid=" + self.sid

    def _req(self, method, url, data=None):
        r = urllib.request.Request(url, data=data, method=method)
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.read()

    def post(self, packet):
        assert self._req("POST", self.url, packet.encode()) == b"ok"

    def poll_until(self, pred, timeout=20):
        """Polls (answering pings) until a packet satisfies pred."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self._req("GET", self.url).split(b"\x1e"):
                p = p.decode()
                if p == "2":
                    self.post("3")
                elif pred(p):
                    return p
        raise AssertionError("no matching packet within %d s" % timeout)


@pytest.mark.skipif(not os.path.exists(
    "/usr/lib/apache2/modules/mod_fcgid.so"), reason="no mod_fcgid")
@pytest.mark.timeout(120)
def test_apache_fcgid_spawn(servers, app, tmp_path):
    """mod_fcgid starts socketiod itself (the FastCGI socket on fd 0); a
    client polling one request at a time connects, joins a channel, gets
    an RPC broadcast, reaches the app; a graceful restart replaces the
    spawned daemon and the client connects again to the new one.
    (socket.io-client itself starves there: see docs/deployment.md.)"""
    # Apache's user must reach the config, the control socket and the
    # binary: a world-usable directory outside the test's private one.
    run = Path(tempfile.mkdtemp(prefix="siod-fcgid-"))
    os.chmod(run, 0o777)
    try:
        _fcgid_spawn(servers, app, tmp_path, run)
    finally:
        shutil.rmtree(run, ignore_errors=True)


def _fcgid_session(base, rpc_path, app, n):
    c = Poller(base)
    c.post("40")
    connect = c.poll_until(lambda p: p.startswith("40"))
    ssid = json.loads(connect[2:])["sid"]
    rpc = Rpc(rpc_path)
    try:
        rpc.call("join", sid=ssid, channel="room")
        assert rpc.call("emit", event="news", args=[n],
                        channel="room")["recipients"] == 1
    finally:
        rpc.close()
    c.poll_until(lambda p: p == '42["news",%d]' % n)
    c.post('421["echo","via fcgid %d"]' % n)
    c.poll_until(lambda p: p == '431["via fcgid %d"]' % n)
    wait_until(lambda: app.records(ssid, type="event", event="echo"),
               what="the event at the app")
    return c


def _fcgid_spawn(servers, app, tmp_path, run):
    rpc_path = str(run / "rpc.sock")
    conf = run / "fcgid.conf"
    conf.write_text(
        "rpc = %s\nrpc-mode = 0666\ntransports = polling\n"
        "poll-hold = 200\nupstream = %s\nclient-js = %s\n" % (
            rpc_path, app.url, os.environ.get("SOCKETIOD_CLIENT_JS", "")))
    exe = daemon_command()
    assert len(exe) == 1, "SOCKETIOD must be a plain binary here"
    site = templated("apache2/socketiod-fcgid.conf", {
        "/usr/local/bin/socketiod": os.path.abspath(exe[0]),
        "/etc/socketiod/fcgid.conf": str(conf),
        '#FcgidInitialEnv SOCKETIOD_UPSTREAM_SECRET "change me"':
            'FcgidInitialEnv SOCKETIOD_UPSTREAM_SECRET "%s"' % SECRET,
    })
    ipc = run / "ipc"
    ipc.mkdir()
    os.chmod(ipc, 0o777)
    top = "FcgidIPCDir %s\nFcgidProcessTableFile %s/fcgid_shm\n" % (ipc, run)
    ap = servers(Apache, tmp_path / "apache").start(
        site, free_port(), modules=APACHE_MODULES + ("fcgid",),
        top_text=top, docroot=run)
    first = _fcgid_session(ap.url, rpc_path, app, 1)
    pid = _spawned_pid(rpc_path)
    assert pid is not None
    ap.graceful()
    # mod_fcgid stops its processes on a restart: the session is gone
    # (the client is told so), and the next request spawns a new daemon.
    wait_until(lambda: _spawned_pid(rpc_path) != pid, timeout=30,
               what="the old daemon to go")
    with pytest.raises(urllib.error.HTTPError) as e:
        first.poll_until(lambda p: False, timeout=10)
    assert e.value.code == 400  # unknown sid: the client reconnects
    _fcgid_session(ap.url, rpc_path, app, 2)
    assert _spawned_pid(rpc_path) not in (None, pid)
    assert "FastCGI on the inherited socket" in ap.logs()
    assert not any(m in ap.logs() for m in SANITIZER_MARKS), ap.logs()


def _spawned_pid(rpc_path):
    """The pid of the socketiod serving `rpc_path`, from /proc."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"socketiod") and \
                os.path.dirname(rpc_path).encode() in b" ".join(cmd):
            return int(p)
    return None


def _unit_exec_start(text):
    """ExecStart= of a unit file, continuation lines joined, split."""
    lines, cur = [], None
    for line in text.splitlines():
        if cur is not None:
            cur += " " + line.strip().rstrip("\\")
            if not line.rstrip().endswith("\\"):
                lines.append(cur)
                cur = None
        elif line.startswith("ExecStart="):
            cur = line[len("ExecStart="):].rstrip("\\")
            if not line.rstrip().endswith("\\"):
                lines.append(cur)
                cur = None
    assert len(lines) == 1, lines
    return lines[0].split()


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to switch users")
def test_systemd_unit(tmp_path):
    """etc/systemd/socketiod.service passes systemd-analyze verify, and the
    daemon as it starts it (its user, group and umask) makes a control
    socket that the web server's group can use and others cannot."""
    import grp
    import pwd
    import socket
    import stat
    import subprocess
    unit = (Path(__file__).resolve().parents[2] / "etc" / "systemd" /
            "socketiod.service").read_text()
    exe = os.path.abspath(daemon_command()[0])
    group = re.search(r"^Group=(\S+)", unit, re.M).group(1)
    assert re.search(r"^UMask=0007$", unit, re.M)
    if shutil.which("systemd-analyze"):
        copy = tmp_path / "socketiod.service"
        copy.write_text(unit.replace("/usr/local/bin/socketiod", exe))
        out = subprocess.run(["systemd-analyze", "verify", str(copy)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
    run = Path(tempfile.mkdtemp(prefix="siod-unit-"))
    try:
        # RuntimeDirectory: owned by User= and Group=, mode 0750.
        os.chown(run, pwd.getpwnam("nobody").pw_uid,
                 grp.getgrnam(group).gr_gid)
        os.chmod(run, 0o750)
        args = _unit_exec_start(unit)
        assert args[0] == "/usr/local/bin/socketiod"
        ports = {"9000": str(free_port()), "9001": str(free_port())}
        args = [exe] + [re.sub(r":(900[01])$", lambda m: ":" + ports[m.group(1)],
                               a.replace("/run/socketiod", str(run)))
                        for a in args[1:]]
        sock = run / "socketiod.sock"
        # User=socketiod is made by the admin; nobody stands in for it.
        p = subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=" + group,
             "--clear-groups", "sh", "-c", "umask 0007 && exec \"$@\"",
             "sh"] + args, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: sock.exists() or p.poll() is not None,
                       what="the control socket")
            assert p.poll() is None, p.communicate()[1]
            st = os.stat(sock)
            assert stat.S_IMODE(st.st_mode) == 0o660
            assert st.st_gid == grp.getgrnam(group).gr_gid
            probe = ("import socket,sys; s=socket.socket(socket.AF_UNIX);"
                     "s.connect(sys.argv[1]);"
                     "s.sendall(b'{\"id\":1,\"method\":\"stats\"}\\n');"
                     "print(s.recv(4096).decode())")
            web_user = pwd.getpwnam("www-data")
            assert web_user.pw_gid == grp.getgrnam(group).gr_gid
            ok = subprocess.run(
                ["setpriv", "--reuid=www-data", "--regid=www-data",
                 "--init-groups", "/usr/bin/python3", "-c", probe, str(sock)],
                capture_output=True, text=True, timeout=20)
            assert '"result"' in ok.stdout, ok
            denied = subprocess.run(
                ["setpriv", "--reuid=daemon", "--regid=daemon",
                 "--clear-groups", "/usr/bin/python3", "-c", probe, str(sock)],
                capture_output=True, text=True, timeout=20)
            assert denied.returncode != 0 and \
                "Permission denied" in denied.stderr, denied
        finally:
            p.terminate()
            _, err = p.communicate(timeout=10)
        assert p.returncode == 0, err
        assert not any(m in err.decode() for m in SANITIZER_MARKS), err
    finally:
        shutil.rmtree(run, ignore_errors=True)


BROADCAST_WSGI = '''
import json, socket

def application(environ, start_response):
    """A view inside mod_wsgi: broadcasts through socketiod's RPC."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(%r)
    req = {"id": 1, "method": "emit", "params": {
        "event": "from-wsgi", "args": [environ["QUERY_STRING"]],
        "channel": "room"}}
    s.sendall(json.dumps(req).encode() + b"\\n")
    resp = s.recv(65536)
    s.close()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [resp]
'''


@pytest.mark.skipif(not os.path.exists(
    "/usr/lib/apache2/modules/mod_wsgi.so"), reason="no mod_wsgi")
@pytest.mark.timeout(90)
def test_apache_beside_mod_wsgi(clients, servers, tmp_path):
    """One Apache serves a WSGI site under mod_wsgi and fronts socketiod
    (mod_proxy_fcgi + wstunnel): client events reach the upstream handler
    running inside mod_wsgi, and a view inside mod_wsgi broadcasts to the
    client through the RPC. (The Django adapters are another issue; the
    WSGI apps here are the test app and a ten-line view.)"""
    from e2e_lib import Daemon
    run = Path(tempfile.mkdtemp(prefix="siod-wsgi-"))
    os.chmod(run, 0o777)
    d = None
    try:
        rpc_path = str(run / "rpc.sock")
        (run / "broadcast.wsgi").write_text(BROADCAST_WSGI % rpc_path)
        app_py = Path(__file__).resolve().parent / "apps" / "upstream_app.py"
        log = run / "app.log"
        web, fport = free_port(), free_port()
        secret = tmp_path / "secret"
        secret.write_text(SECRET)
        d = Daemon(tmp_path, [
            "--fcgi", "127.0.0.1:%d" % fport, "--rpc", rpc_path,
            "--rpc-mode", "0666", "--rpc-group", "www-data",
            "--trusted-proxies", "127.0.0.1",
            "--upstream", "http://127.0.0.1:%d/socketio/events" % web,
            "--upstream-secret", str(secret)], name="wsgi")
        d.rpc_path = rpc_path
        wsgi = (
            "WSGISocketPrefix %s/wsgi\n"
            "WSGIDaemonProcess siodapp processes=1 threads=8\n"
            "WSGIProcessGroup siodapp\nWSGIApplicationGroup %%{GLOBAL}\n"
            "WSGIScriptAlias /socketio/events %s\n"
            "WSGIScriptAlias /broadcast %s/broadcast.wsgi\n"
            "<Directory %s>\n    Require all granted\n</Directory>\n"
            "<Directory %s>\n    Require all granted\n</Directory>\n" % (
                run, app_py, run, app_py.parent, run))
        ap = servers(Apache, tmp_path / "apache")
        os.environ["UPSTREAM_APP_SECRET"] = SECRET
        os.environ["UPSTREAM_APP_LOG"] = str(log)
        try:
            ap.start(apache_site("fcgi", d.port, fport), web,
                     modules=APACHE_MODULES + ("wsgi",), top_text=wsgi,
                     docroot=run)
        finally:
            del os.environ["UPSTREAM_APP_SECRET"]
            del os.environ["UPSTREAM_APP_LOG"]
        d.start()
        h = clients("v4", ap, mode="polling")
        assert h.subscribe("room") == [None, "room"]
        h.wait_event("subscribed", lambda args: args == ["room"])
        assert h.emit("echo", "to mod_wsgi", ack=True) == ["to mod_wsgi"]
        with urllib.request.urlopen(ap.url + "/broadcast?hello",
                                    timeout=20) as r:
            assert json.loads(r.read())["result"]["recipients"] == 1
        assert h.wait_event("from-wsgi") == ["hello"]
        recs = [json.loads(x) for x in log.read_text().splitlines()]
        assert any(r.get("type") == "event" and r.get("event") == "echo"
                   for r in recs), recs
    finally:
        if d is not None:
            problems = d.stop()
            assert not problems, problems
        shutil.rmtree(run, ignore_errors=True)
