"""socketiod behind real web servers from Debian, with the configs in etc/.

nginx with fastcgi_pass and scgi_pass (WebSocket through proxy_pass with
Upgrade), Apache with mod_proxy_fcgi, mod_proxy_scgi and mod_fcgid spawn
mode (WebSocket through mod_proxy_wstunnel): socket.io-client connects
through the web server's port, polling only and then upgrading; it joins a
channel, receives an RPC broadcast, and its events reach the upstream test
app (tests/e2e/apps/upstream_app.py over plain HTTP), whose answer comes
back as the ack. test_apache_beside_mod_wsgi does the same with the real
application: adapters/example_django under mod_wsgi in the same Apache
(etc/apache2/example-django-wsgi.conf), its views broadcasting over the
RPC and its handlers answering the client's events. Every server is
started on free ports in the test's directory and stopped at the end, also
when the test fails."""
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bridge_lib import (APACHE_MODULES, REPO, Apache, Nginx,
                        _group_members, templated)
from e2e_lib import (SANITIZER_MARKS, Daemon, Rpc, daemon_command, free_port,
                     wait_until)
from test_upstream import SECRET, App

EXAMPLE_DJANGO = REPO / "adapters" / "example_django"


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


def apache_graceful(ap):
    """A graceful restart, returning once Apache runs the new generation
    (its "resuming normal operations" once more; mod_wsgi's daemon
    processes are new by then)."""
    log = ap.dir / "error.log"
    count = lambda: log.read_text(errors="replace").count(
        "resuming normal operations")
    before = count()
    ap.graceful()
    wait_until(lambda: count() > before, timeout=20,
               what="the graceful restart")


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
    apache_graceful(ap)
    # Old children finish their requests, new ones take the next: the
    # clients keep their sessions or reconnect, and go on working.
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


def private_rpc_dir(run, owner=None):
    """A directory for the control socket inside the world-usable `run`:
    socketiod refuses one that others may write. Owned by `owner` (a user
    name; the daemon's user) when running as root, mode 0755 so that
    Apache's user reaches the socket in it."""
    d = run / "rpc"
    d.mkdir()
    if owner is not None and os.geteuid() == 0:
        import pwd
        pw = pwd.getpwnam(owner)
        os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o755)
    return d


def _fcgid_spawn(servers, app, tmp_path, run):
    # mod_fcgid starts the daemon as Apache's user, who must own it
    rpc_path = str(private_rpc_dir(run, "www-data") / "rpc.sock")
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
    """The pid of the socketiod serving `rpc_path` (in run/rpc/, its config
    in run/), from /proc."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"socketiod") and \
                os.path.dirname(os.path.dirname(rpc_path)).encode() in \
                b" ".join(cmd):
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
        # --man=no: Documentation= names socketiod(8), which only make
        # install puts where man finds it (scripts/test-install.sh checks).
        out = subprocess.run(["systemd-analyze", "verify", "--man=no",
                              str(copy)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
    run = Path(tempfile.mkdtemp(prefix="siod-unit-"))
    try:
        # RuntimeDirectory: owned by User= and Group=, mode 0750.
        os.chown(run, pwd.getpwnam("nobody").pw_uid,
                 grp.getgrnam(group).gr_gid)
        os.chmod(run, 0o750)
        args = _unit_exec_start(unit)
        assert args == ["/usr/local/bin/socketiod", "--config",
                        "/usr/local/etc/socketiod/socketiod.conf"]
        # The settings are etc/socketiod.conf's, the sample make install
        # puts there; only ports and the runtime directory are replaced.
        ports = {"9000": str(free_port()), "9001": str(free_port())}
        conf = (Path(__file__).resolve().parents[2] / "etc" /
                "socketiod.conf").read_text()
        conf = re.sub(r":(900[01])$", lambda m: ":" + ports[m.group(1)],
                      conf.replace("/run/socketiod", str(run)), flags=re.M)
        copy_conf = run / "socketiod.conf"   # readable by the daemon's user
        copy_conf.write_text(conf)
        args = [exe, "--config", str(copy_conf)]
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


class DjangoBrowser:
    """A user of the Django site through Apache: cookies, and forms
    posted with their CSRF token."""

    def __init__(self, base, logs=lambda: ""):
        import http.cookiejar
        self.base = base
        self.logs = logs   # the server's logs, for a failure's message
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar))

    def _open(self, path, data=None):
        try:
            with self.opener.open(self.base + path, data, timeout=20) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            # Django's DEBUG page: the exception in its <title> and value
            body = e.read().decode(errors="replace")
            what = re.findall(r"<title>(.*?)</title>|"
                              r'exception_value">(.*?)<', body, re.S)
            raise AssertionError("%s %s: %d %s\n%s" % (
                "POST" if data else "GET", path, e.code,
                " ".join(" ".join(w).strip() for w in what) or body[:2000],
                self.logs()))

    def get(self, path):
        return self._open(path)

    def submit(self, form_path, action, fields):
        """Posts `fields` to `action` with the CSRF token of the form on
        `form_path`; the page after the redirects."""
        page = self.get(form_path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                          page).group(1)
        data = urllib.parse.urlencode(dict(
            fields, csrfmiddlewaretoken=token)).encode()
        return self._open(action, data)

    def cookie(self, name):
        return next(c.value for c in self.jar if c.name == name)


def wsgi_daemons(ap):
    """The pids of the example's mod_wsgi daemon processes, by their
    display-name "(wsgi:example_django)" (cut to the length of argv[0])."""
    pids = set()
    for pid in _group_members(ap.proc.pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if f.read().startswith(b"(wsgi:"):
                    pids.add(pid)
        except OSError:
            pass
    return pids


def chat_message(h, pred, since, timeout=15):
    """The first django-socketio message (the `message` event) at handle h
    from report `since` on for which pred(message) holds."""
    return h.node.wait_for(
        lambda e: h._mine(e, "event") and e["event"] == "message" and
        pred(e["args"][0]), since=since, timeout=timeout,
        what="a chat message at %s" % h.cid)["args"][0]


def chat_start(h, room, name=None, timeout=15):
    """The page's "start": join the room's chat (as the signed-in user, or
    under `name`); the handler answers "started" or "in-use"."""
    mark = h.node.mark()
    h.emit("message", {"room": room, "action": "start", "name": name})
    return chat_message(h, lambda m: m.get("action") in ("started", "in-use"),
                        mark, timeout)


def chat_say(sender, receivers, room, text, name):
    """sender says `text`; the handler strips the tags, adds the sender's
    name and sends it to the whole room (the sender too)."""
    marks = [h.node.mark() for h in receivers]
    sender.emit("message", {"room": room, "action": "message",
                            "message": "<b>%s</b>" % text})
    for h, mark in zip(receivers, marks):
        m = chat_message(h, lambda m: m.get("action") == "message" and
                         m.get("message") == text, mark)
        assert m == {"room": room, "action": "message", "message": text,
                     "name": name}, m


def system_message(admin, receivers, room, text):
    """The staff's out-of-band message: a Django view inside mod_wsgi calls
    django_socketio.broadcast_channel (the control RPC)."""
    marks = [h.node.mark() for h in receivers]
    page = admin.submit("/system_message/", "/system_message/",
                        {"room": str(room), "message": text})
    assert '<p id="result">Message sent</p>' in page, page
    for h, mark in zip(receivers, marks):
        assert chat_message(h, lambda m: m.get("message") == text, mark) == \
            {"action": "system", "message": text}


@pytest.mark.skipif(shutil.which("apache2") is None or not os.path.exists(
    "/usr/lib/apache2/modules/mod_wsgi.so"), reason="no apache2/mod_wsgi")
@pytest.mark.parametrize("front", ["fcgi", "scgi"])
@pytest.mark.timeout(40)
def test_apache_beside_mod_wsgi(clients, servers, tmp_path, front):
    """One Apache serves adapters/example_django (the Django chat on the
    django_socketio adapter) under mod_wsgi with
    etc/apache2/example-django-wsgi.conf, and fronts socketiod with
    socketiod-proxy-fcgi.conf / -scgi.conf; socketiod's upstream is the
    Django event view in that Apache. Through Apache's port: a signed-in
    client (polling only) and an anonymous one (upgraded to WebSocket)
    join a room; their chat messages reach the Django handlers, which
    broadcast them to the room with the user's name; the staff's system
    message, a view in mod_wsgi, reaches both over the RPC. After a
    graceful restart of Apache (which also restarts the mod_wsgi
    processes) all of it works again, and a new client joins."""
    # Apache's user (www-data) must reach the database, the control
    # socket and the secret: a world-usable directory.
    run = Path(tempfile.mkdtemp(prefix="siod-wsgi-"))
    os.chmod(run, 0o777)
    d = ap = None
    problems = []
    try:
        db = run / "db.sqlite3"
        # The database and the users admin/admin, ann/ann, as the
        # config's comment says.
        init = subprocess.run(
            [sys.executable, str(EXAMPLE_DJANGO / "run.py"), "--init"],
            env=dict(os.environ, EXAMPLE_DB=str(db)), capture_output=True,
            text=True, timeout=60)
        assert init.returncode == 0, init.stdout + init.stderr
        os.chmod(db, 0o666)
        secret = run / "upstream.secret"
        secret.write_text(SECRET + "\n")
        os.chmod(secret, 0o644)
        rpc_path = str(private_rpc_dir(run) / "rpc.sock")
        web, port = free_port(), free_port()
        # The control socket as in production: Apache's group may use it
        # (as root, Apache runs as www-data; else as this user).
        access = ["--rpc-group", "www-data", "--rpc-allow-gid", "www-data"] \
            if os.geteuid() == 0 else []
        d = Daemon(tmp_path, [
            "--" + front, "127.0.0.1:%d" % port, "--rpc", rpc_path] +
            access + ["--trusted-proxies", "127.0.0.1",
                      "--upstream", "http://127.0.0.1:%d/socketio/events" % web,
                      "--upstream-secret", str(secret)], name="wsgi")
        d.rpc_path = rpc_path
        d.start()
        site = templated("apache2/example-django-wsgi.conf", {
            "/opt/socketiod/adapters": str(EXAMPLE_DJANGO.parent),
            "SetEnv SOCKETIOD_RPC /run/socketiod/socketiod.sock":
                "SetEnv SOCKETIOD_RPC " + rpc_path,
            "SetEnv SOCKETIOD_SECRET_FILE /etc/socketiod/upstream.secret":
                "SetEnv SOCKETIOD_SECRET_FILE %s" % secret,
            "SetEnv SOCKETIO_PORT 80": "SetEnv SOCKETIO_PORT %d" % web,
            "SetEnv EXAMPLE_DB /var/lib/example_django/db.sqlite3":
                "SetEnv EXAMPLE_DB %s" % db,
        }) + apache_site(front, d.port, port)
        ap = servers(Apache, tmp_path / "apache")
        ap.start(site, web, modules=APACHE_MODULES + ("env", "wsgi"),
                 top_text="WSGISocketPrefix %s/wsgi\n" % run, docroot=run)
        _example_django_chat(clients, d, ap, web)
        assert "Traceback" not in ap.logs(), ap.logs()
    finally:
        if ap is not None:
            ap.stop()
        if d is not None:
            problems = d.stop()
        shutil.rmtree(run, ignore_errors=True)
    assert not problems, problems


def _example_django_chat(clients, d, ap, web):
    rpc = d.rpc()
    admin = DjangoBrowser(ap.url, ap.logs)
    page = admin.submit("/accounts/login/", "/accounts/login/",
                        {"username": "admin", "password": "admin",
                         "next": "/"})
    assert '<b id="me">admin</b>' in page, page
    # A new room; the room's page, rendered inside mod_wsgi, points the
    # client at Apache's own port ({% socketio %}, SOCKETIO_PORT).
    page = admin.submit("/", "/create/", {"name": "Lobby"})
    room = int(re.search(r"var room = (\d+);", page).group(1))
    src = "//127.0.0.1:%d/socket.io/socket.io.js" % web
    assert 'src="%s"' % src in page, page
    with urllib.request.urlopen("http:" + src, timeout=10) as r:
        assert r.status == 200 and b"subscribe" in r.read()
    channel = "room-%d" % room

    # The admin's socket carries the session cookie (as the page's would):
    # the handler names it after request.user. Polling only.
    a = clients("v4", ap, mode="polling", extra_opts={
        "extraHeaders": {"Cookie": "sessionid=" + admin.cookie("sessionid")}})
    assert a.transport() == "polling"
    assert a.subscribe(channel) == [None, channel]
    assert chat_start(a, room) == {"action": "started", "name": "admin",
                                   "users": []}
    # An anonymous socket picks a name; polling, then WebSocket.
    b = clients("v2", ap, mode="upgrade")
    assert b.transport() == "websocket"
    assert b.subscribe(channel) == [None, channel]
    mark = a.node.mark()
    assert chat_start(b, room, "bob") == {"action": "started", "name": "bob",
                                          "users": ["admin"]}
    assert chat_message(a, lambda m: m.get("action") == "join", mark)[
        "name"] == "bob"
    chat_say(a, [a, b], room, "hello from admin", "admin")
    chat_say(b, [a, b], room, "hello from bob", "bob")
    system_message(admin, [a, b], room, "from a view in mod_wsgi")
    for h, transport in ((a, "polling"), (b, "websocket")):
        s = rpc.call("session", sid=h.sid)["session"]
        assert s["remote_addr"] == "127.0.0.1" and \
            s["transport"] == transport, s

    old = wsgi_daemons(ap)
    assert len(old) == 2, old   # processes=2 in the config
    apache_graceful(ap)
    wait_until(lambda: len(wsgi_daemons(ap) - old) == 2, timeout=20,
               what="new mod_wsgi daemon processes")
    # The clients keep their sessions or reconnect (the extension joins
    # the channel again); one that reconnected is a new socket to the
    # app, so it starts again as the page does on "connect" (its old
    # user goes when the app hears of the old socket's end).
    wait_until(lambda: rpc.call("emit", event="ping-room", args=[1],
                                channel=channel)["recipients"] == 2,
               timeout=30, what="both clients back in the channel")
    for h, name in ((a, None), (b, "bob")):
        sid = h.state()["sid"]
        if sid != h.sid:
            h.sid = sid
            wait_until(lambda: chat_start(h, room, name)["action"] ==
                       "started", timeout=30, interval=0.5,
                       what="%s back in the chat" % h.cid)
    chat_say(a, [a, b], room, "admin after the restart", "admin")
    chat_say(b, [a, b], room, "bob after the restart", "bob")
    system_message(admin, [a, b], room, "after the restart")
    # A new client after the restart.
    c = clients("v4", ap, mode="upgrade")
    assert c.subscribe(channel) == [None, channel]
    started = chat_start(c, room, "carol")
    assert started["action"] == "started" and \
        sorted(started["users"]) == ["admin", "bob"], started
    chat_say(c, [a, b, c], room, "carol here", "carol")
