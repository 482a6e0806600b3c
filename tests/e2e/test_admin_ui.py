"""The Socket.IO Admin UI (--admin-ui): the daemon answers the `/admin`
namespace as @socket.io/admin-ui 0.5's instrument() does, for a real
socket.io-client 4.x speaking to it as the dashboard does (login, config,
server_stats, all_sockets, the live notices, _disconnect/join/leave/emit on
real socket.io-client 4.x and python-socketio clients), and the real UI,
served by the admin listener, in headless Chromium (screenshots in
tests/artifacts/ or $SOCKETIOD_ARTIFACTS)."""
import json
import os
import re
import socket
import subprocess

import pytest
import requests

from e2e_lib import exchange, free_port, node_modules_dir, wait_until
from test_presence import upstream  # noqa: F401 (fixture)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
UI_DIR = os.path.join(node_modules_dir(), "@socket.io", "admin-ui", "ui",
                      "dist")
CHROMIUM = os.environ.get("SOCKETIOD_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "s3cret-pass"
_hashes = {}


def bcrypt_hash(password, cost=8):
    """A bcrypt hash as admin-ui's README makes one (bcryptjs)."""
    if (password, cost) not in _hashes:
        out = subprocess.run(
            ["node", "-e",
             "process.stdout.write(require('bcryptjs').hashSync("
             "process.argv[1], %d))" % cost, password],
            env=dict(os.environ, NODE_PATH=node_modules_dir()),
            capture_output=True, check=True, timeout=30)
        _hashes[password, cost] = out.stdout.decode()
    return _hashes[password, cost]


def admin_ui(daemon, *extra, admin_port=None):
    args = ["--admin-ui", "--admin-ui-username", "admin",
            "--admin-ui-password-hash", bcrypt_hash(PASSWORD),
            "--admin-ui-dir", UI_DIR]
    if admin_port:
        args += ["--admin", "127.0.0.1:%d" % admin_port]
    d = daemon(*(args + list(extra)))
    return d


def login(clients, d, username="admin", password=PASSWORD, **kw):
    return clients("v4", d, namespace="/admin",
                   auth={"username": username, "password": password}, **kw)


def connect_error(h):
    ev = h.node.wait_for(
        lambda e: e.get("cid") == h.cid and
        e["ev"] in ("connect", "connect_error"),
        what="connect answer of " + h.cid)
    return ev


def stats(d):
    return d.rpc().call("stats")


def channels_of(d, sid):
    """The channels of socket `sid` as the control RPC says (None: gone)."""
    for s in d.rpc().call("sessions")["sessions"]:
        if s["sid"] == sid:
            return sorted(s["channels"])
    return None


def by_id(sockets):
    return {s["id"]: s for s in sockets}


def test_wrong_credentials_refused_as_admin_ui_does(daemon, clients):
    d = admin_ui(daemon)
    for auth in ({"username": "admin", "password": "wrong"},
                 {"username": "root", "password": PASSWORD},
                 {"password": PASSWORD}, {"sessionId": "0123456789abcdef"},
                 {"username": "admin", "password": PASSWORD + "\u0000x"},
                 {"username": ["admin"], "password": {"x": 1}}):
        h = clients("v4", d, namespace="/admin", auth=auth, wait=False)
        ev = connect_error(h)
        assert ev["ev"] == "connect_error", (auth, ev)
        assert ev["message"] == "invalid credentials"
        assert h.events() == []  # nothing reached an unauthenticated client
    h = clients("v4", d, namespace="/admin", wait=False)  # no auth at all
    assert connect_error(h)["message"] == "invalid credentials"
    assert stats(d)["admin_ui_logins_refused"] >= 7
    assert stats(d)["admin_ui_logins"] == 0
    # the hash is never logged
    assert bcrypt_hash(PASSWORD) not in d.stderr()


def test_a_password_check_leaves_the_loop_free(daemon, clients):
    """bcrypt is slow by design (cost 13: most of a second of CPU): the
    check runs beside the event loop, which answers everyone meanwhile.
    The gauge can read 1 only in an answer given while a check runs."""
    d = daemon("--admin-ui", "--admin-ui-username", "admin",
               "--admin-ui-password-hash", bcrypt_hash(PASSWORD, cost=13))
    other = clients("v4", d)
    h = login(clients, d, wait=False)
    wait_until(lambda: stats(d)["admin_ui_logins_checking"] == 1,
               what="a stats answer while the check runs", timeout=10)
    d.rpc().call("emit", event="still", args=[1], to=other.sid)
    assert other.wait_event("still") == [1]
    assert connect_error(h)["ev"] == "connect"
    assert stats(d)["admin_ui_logins_checking"] == 0
    assert stats(d)["admin_ui_logins"] == 1


def test_login_gets_config_stats_and_every_socket(daemon, clients):
    d = admin_ui(daemon)
    a = clients("v4", d)
    a.subscribe("room1")
    b = clients("py", d)
    adm = login(clients, d)
    session = adm.wait_event("session")[0]
    assert re.fullmatch(r"[0-9a-f]{16}", session)
    cfg = adm.wait_event("config")[0]
    assert set(cfg["supportedFeatures"]) == {
        "EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE",
        "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"}
    listed = by_id(adm.wait_event("all_sockets")[0])
    assert a.sid in listed and b.sid in listed and adm.sid in listed
    sa = listed[a.sid]
    assert sa["nsp"] == "/" and sa["transport"] == "websocket"
    assert sorted(sa["rooms"]) == sorted([a.sid, "room1"])
    assert sa["handshake"]["address"] == "127.0.0.1"
    assert "cookie" not in sa["handshake"]["headers"]
    assert len(sa["clientId"]) == 12
    assert listed[b.sid]["rooms"] == [b.sid]
    assert listed[adm.sid]["nsp"] == "/admin"
    st = adm.wait_event("server_stats", timeout=10)[0]
    assert st["clientsCount"] == 3 and st["pid"] > 0
    assert st["serverId"] == socket.gethostname()
    nsps = {n["name"]: n["socketsCount"] for n in st["namespaces"]}
    assert nsps == {"/": 2, "/admin": 1}
    # the session id lets the UI reconnect without the password
    again = clients("v4", d, namespace="/admin", auth={"sessionId": session})
    assert again.wait_event("config")[0] == cfg
    assert stats(d)["admin_ui_dashboards"] == 2
    assert stats(d)["admin_ui_logins"] == 2


def test_a_socket_shows_its_app_user(daemon, clients, upstream):  # noqa
    """A socket whose application named its user (presence, docs/presence.md)
    shows it in the dashboard as Node's socket.data would: {"user": ...};
    one without a user shows {}."""
    d = admin_ui(daemon, "--upstream", upstream)
    alice = clients("v4", d, auth={"user": "alice"})
    anon = clients("v4", d)
    adm = login(clients, d)
    listed = by_id(adm.wait_event("all_sockets")[0])
    assert listed[alice.sid]["data"] == {"user": "alice"}
    assert listed[anon.sid]["data"] == {}


def test_live_notices_as_clients_come_and_go(daemon, clients):
    d = admin_ui(daemon)
    adm = login(clients, d)
    adm.wait_event("all_sockets")
    c = clients("v4", d)
    got = adm.wait_event("socket_connected", lambda a: a[0]["id"] == c.sid)
    assert got[0]["nsp"] == "/" and re.match(r"\d{4}-\d\d-\d\dT", got[1])
    c.subscribe("lobby")
    adm.wait_event("room_joined", lambda a: a[:3] == ["/", "lobby", c.sid])
    c.emit("chat", "hi", {"n": 1})
    adm.wait_event("event_received",
                   lambda a: a[:3] == ["/", c.sid, ["chat", "hi", {"n": 1}]])
    p = clients("py", d)
    adm.wait_event("socket_connected", lambda a: a[0]["id"] == p.sid)
    c.unsubscribe("lobby")
    adm.wait_event("room_left", lambda a: a[:3] == ["/", "lobby", c.sid])
    c.disconnect()
    adm.wait_event("socket_disconnected",
                   lambda a: a[:3] == ["/", c.sid,
                                       "client namespace disconnect"])
    # a socket that connected on polling is shown upgraded
    u = clients("v4", d, mode="upgrade")
    first = adm.wait_event("socket_connected",
                           lambda a: a[0]["id"] == u.sid)[0]
    if first["transport"] == "polling":
        adm.wait_event("socket_updated",
                       lambda a: a[0] == {"id": u.sid, "nsp": "/",
                                          "transport": "websocket"})
    # an emit to one socket is shown as sent to it
    d.rpc().call("emit", event="note", args=[7], to=p.sid)
    adm.wait_event("event_sent", lambda a: a[:3] == ["/", p.sid, ["note", 7]])


def test_dashboard_actions_act_on_real_clients(daemon, clients):
    d = admin_ui(daemon)
    adm = login(clients, d)
    adm.wait_event("config")
    js = clients("v4", d)
    py = clients("py", d)

    # join: one socket (the UI's socket page), then everyone in a room
    adm.emit("join", "/", "vip", js.sid)
    wait_until(lambda: channels_of(d, js.sid) == ["vip"], what="js joins vip")
    assert channels_of(d, py.sid) == []
    adm.emit("join", "/", "all")
    wait_until(lambda: channels_of(d, py.sid) == ["all"], what="py joins all")
    # emit to a room reaches its members only, with the arguments as given
    adm.emit("emit", "/", "vip", "news", 1, "two", {"three": [3]})
    assert js.wait_event("news") == [1, "two", {"three": [3]}]
    adm.emit("emit", "/", None, "to-all", "x")
    assert js.wait_event("to-all") == ["x"]
    assert py.wait_event("to-all") == ["x"]
    assert py.events("news") == []
    # leave
    adm.emit("leave", "/", "all", py.sid)
    wait_until(lambda: channels_of(d, py.sid) == [], what="py leaves all")
    assert channels_of(d, js.sid) == ["all", "vip"]
    # _disconnect one socket (close=false): the python client is told
    adm.emit("_disconnect", "/", False, py.sid)
    wait_until(lambda: py.disconnects >= 1, what="python client disconnected")
    # close=true ends the whole connection of the JS client
    adm.emit("_disconnect", "/", True, js.sid)
    js.wait_disconnect()
    assert stats(d)["admin_ui_actions"] == 7


def test_hostile_dashboard_payloads_are_refused(daemon, clients):
    d = admin_ui(daemon)
    adm = login(clients, d)
    adm.wait_event("config")
    c = clients("v4", d)
    before = stats(d)["admin_ui_actions_refused"]
    bad = [
        ("join",), ("join", 5, "r", c.sid), ("join", "/", "", c.sid),
        ("join", "/", "a\u0001b", c.sid), ("join", "/", "a\u0000b", c.sid),
        ("join", "/", "x" * 2000, c.sid), ("leave", "nsp", "r"),
        ("_disconnect", "/" + "n" * 2000, False), ("emit", "/", None,
                                                   "disconnect"),
        ("emit", "/", None, ""), ("emit", "/", {"not": "a room"}, "ev"),
        ("whatever", "/"), ("_disconnect", "/", False, ["x"]),
    ]
    for args in bad:
        adm.emit(*args)
    wait_until(lambda: stats(d)["admin_ui_actions_refused"] - before ==
               len(bad), what="every bad payload refused")
    assert c.state()["connected"]
    assert channels_of(d, c.sid) == []
    d.assert_alive()


def test_read_only_and_production_modes(daemon, clients):
    d = admin_ui(daemon, "--admin-ui-readonly", "--admin-ui-mode",
                 "production")
    adm = login(clients, d)
    assert adm.wait_event("config")[0]["supportedFeatures"] == [
        "AGGREGATED_EVENTS"]
    st = adm.wait_event("server_stats")[0]
    assert st["clientsCount"] == 1
    c = clients("v4", d)
    adm.emit("_disconnect", "/", False, c.sid)
    wait_until(lambda: stats(d)["admin_ui_actions_refused"] == 1,
               what="read-only refusal")
    assert c.state()["connected"]
    # production: no socket list, no live notices
    c.emit("chat", "x")
    adm.wait_event("server_stats", lambda a: a[0]["clientsCount"] == 2)
    assert adm.events("all_sockets") == []
    assert adm.events("socket_connected") == []
    assert adm.events("event_received") == []


def test_no_auth_is_explicit_and_warned(daemon, clients):
    d = daemon("--admin-ui", "--admin-ui-no-auth", "--admin-ui-namespace",
               "/dash")
    adm = clients("v4", d, namespace="/dash")
    assert "ALL_EVENTS" in adm.wait_event("config")[0]["supportedFeatures"]
    assert "open to anyone" in d.stderr()


def test_start_refused_without_credentials(daemon, tmp_path):
    from e2e_lib import DaemonError
    with pytest.raises(DaemonError) as e:
        daemon("--admin-ui")
    assert "--admin-ui-username" in str(e.value)
    bad = bcrypt_hash(PASSWORD)[:-1] + "*"
    with pytest.raises(DaemonError) as e:
        daemon("--admin-ui", "--admin-ui-username", "a",
               "--admin-ui-password-hash", bad)
    said = str(e.value).split("--- stderr ---", 1)[1]
    assert "bcrypt" in said and bad not in said


def test_off_by_default(daemon, clients):
    aport = free_port()
    d = daemon("--admin", "127.0.0.1:%d" % aport)
    h = clients("v4", d, namespace="/admin",
                auth={"username": "admin", "password": PASSWORD})
    assert h.sid  # an ordinary namespace: no login, no dashboard
    with pytest.raises(AssertionError):
        h.wait_event("config", timeout=1)
    r = requests.get("http://127.0.0.1:%d/admin-ui/" % aport, timeout=5)
    assert r.status_code == 404


def raw_get(port, path):
    data = exchange(("127.0.0.1", port),
                    ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode(),
                    timeout=5)
    return int(data.split(b" ", 2)[1]), data


def test_ui_files_served_safely(daemon, tmp_path):
    ui = tmp_path / "ui"
    ui.mkdir()
    (ui / "index.html").write_text("<title>Socket.IO Admin UI</title>")
    (ui / "js").mkdir()
    (ui / "js" / "app.js").write_text("var x;")
    (ui / ".hidden").write_text("no")
    (ui / "big.js").write_bytes(b"x" * (8 * 1024 * 1024 + 1))
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(str(tmp_path / "secret.txt"), str(ui / "link.txt"))
    os.symlink("/etc", str(ui / "etc"))
    aport = free_port()
    daemon("--admin-ui", "--admin-ui-no-auth", "--admin",
           "127.0.0.1:%d" % aport, "--admin-ui-dir", str(ui))
    base = "http://127.0.0.1:%d" % aport
    r = requests.get(base + "/admin-ui/", timeout=5)
    assert r.status_code == 200 and "Admin UI" in r.text
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    r = requests.get(base + "/admin-ui/js/app.js", timeout=5)
    assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
    r = requests.get(base + "/admin-ui", timeout=5, allow_redirects=False)
    assert r.status_code == 301 and r.headers["Location"] == "/admin-ui/"
    for path in ("/admin-ui/../ui/index.html", "/admin-ui/%2e%2e/secret.txt",
                 "/admin-ui/js/../../secret.txt", "/admin-ui/.hidden",
                 "/admin-ui/%00", "/admin-ui/index.html%00.js",
                 "/admin-ui/link.txt", "/admin-ui/etc/passwd",
                 "/admin-ui//etc/passwd", "/admin-ui/js%5c..%5cindex.html",
                 "/admin-ui/nope.js"):
        status, data = raw_get(aport, path)
        assert status == 404, (path, data[:200])
        assert b"outside" not in data and b"root:" not in data
    status, _ = raw_get(aport, "/admin-ui/big.js")
    assert status == 413


def test_the_real_ui_in_chromium(daemon, clients, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip("no %s (apt-get install chromium)" % CHROMIUM)
    if not os.path.isdir(os.path.join(node_modules_dir(), "playwright-core")):
        pytest.skip("no playwright-core in tests/node_modules (npm ci)")
    aport = free_port()
    d = admin_ui(daemon, "--origins", "http://127.0.0.1:%d" % aport,
                 admin_port=aport)
    js = clients("v4", d)
    js.subscribe("lobby")
    py = clients("py", d)
    shots = os.environ.get("SOCKETIOD_ARTIFACTS",
                           os.path.join(REPO, "tests", "artifacts"))
    os.makedirs(shots, exist_ok=True)
    cfg = {"ui": "http://127.0.0.1:%d/admin-ui/" % aport, "server": d.url,
           "username": "admin", "password": PASSWORD, "shots": shots,
           "chromium": CHROMIUM, "sids": [js.sid, py.sid], "room": "lobby",
           "victim": js.sid, "hostname": socket.gethostname()}
    r = subprocess.run(
        ["node", os.path.join(HERE, "node", "admin-ui-browser.js"),
         json.dumps(cfg)], env=dict(os.environ, NODE_PATH=node_modules_dir()),
        capture_output=True, timeout=120)
    lines = r.stdout.decode(errors="replace").strip().splitlines()
    res = json.loads(lines[-1]) if lines else {"ok": False}
    assert r.returncode == 0 and res["ok"], "browser: %s\nstderr: %s" % (
        json.dumps(res, indent=1), r.stderr.decode(errors="replace")[-3000:])
    for shot in res["shots"]:
        assert os.path.getsize(shot) > 1000
    # the client saw the dashboard's disconnect
    assert js.wait_disconnect() == "io server disconnect"
    assert py.sio.connected


def test_dashboard_never_reaches_the_application(daemon, clients, tmp_path):
    from test_upstream import App, SECRET
    app = App("http", tmp_path)
    try:
        secret = tmp_path / "secret"
        secret.write_text(SECRET)
        d = admin_ui(daemon, "--upstream", app.url, "--upstream-secret",
                     str(secret))
        c = clients("v4", d)
        wait_until(lambda: app.records(sid=c.sid, type="connect"),
                   what="the app sees the ordinary client")
        adm = login(clients, d)
        listed = by_id(adm.wait_event("all_sockets")[0])
        assert c.sid in listed
        adm.emit("emit", "/", c.sid, "hello", 1)
        assert c.wait_event("hello") == [1]
        adm.disconnect()
        c.emit("after", "x")
        wait_until(lambda: app.records(sid=c.sid, event="after"),
                   what="the app sees the client's event")
        assert app.records(sid=adm.sid) == []
        assert "/admin" not in app.log_path.read_text()
    finally:
        app.stop()


def test_with_redis_the_dashboard_covers_this_node(daemon, clients, tmp_path):
    import shutil
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed (scripts/setup.sh)")
    from test_redis import Redis, joined
    r = Redis(tmp_path)
    try:
        a = admin_ui(daemon, "--redis", r.url)
        b = daemon("--redis", r.url)
        joined(a)
        joined(b)
        ka, kb = clients("v4", a), clients("v4", b)
        adm = login(clients, a)
        listed = by_id(adm.wait_event("all_sockets")[0])
        assert ka.sid in listed and kb.sid not in listed
        st = adm.wait_event("server_stats")[0]
        assert {n["name"]: n["socketsCount"] for n in st["namespaces"]} == {
            "/": 1, "/admin": 1}
        # the dashboard's emit is an emit of this node: the fleet gets it
        adm.emit("emit", "/", None, "fleet-wide", 1)
        assert ka.wait_event("fleet-wide") == [1]
        assert kb.wait_event("fleet-wide") == [1]
        # a disconnect names a socket of this node; the other's is unknown
        adm.emit("_disconnect", "/", False, kb.sid)
        adm.emit("join", "/", "after", ka.sid)
        wait_until(lambda: channels_of(a, ka.sid) == ["after"],
                   what="the later action done")
        assert kb.state()["connected"]
    finally:
        r.stop()


def test_the_hash_is_never_logged_also_not_on_sighup(daemon, clients,
                                                     tmp_path):
    import signal
    old, new = bcrypt_hash(PASSWORD), bcrypt_hash("another one")
    conf = tmp_path / "socketiod.conf"
    conf.write_text("admin-ui = yes\nadmin-ui-username = admin\n"
                    "admin-ui-password-hash = %s\n" % old)
    d = daemon("-c", str(conf), "-v")
    login(clients, d).wait_event("config")
    conf.write_text("admin-ui = yes\nadmin-ui-username = admin\n"
                    "admin-ui-password-hash = %s\n" % new)
    d.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "settings read again" in d.stderr(), timeout=10,
               what="the reload")
    log = d.stderr()
    assert "admin-ui-password-hash changed from '(hidden)'" in log, log
    assert old not in log and new not in log
    assert old[7:29] not in log and new[7:29] not in log  # not even a salt
    # (a new hash needs a restart, as every --admin-ui setting)
    login(clients, d).wait_event("config")


def test_password_never_in_logs_at_vvv(daemon, clients, tmp_path):
    d = admin_ui(daemon, "-vvv", "--message-log", "log.sqlite3",
                 "--message-log-format", "%(MESSAGE)s")
    for mode in ("websocket", "polling"):
        login(clients, d, mode=mode).wait_event("config")
        h = clients("v4", d, namespace="/admin", mode=mode, wait=False,
                    auth={"username": "admin", "password": PASSWORD + "x"})
        assert connect_error(h)["message"] == "invalid credentials"
    c = clients("v4", d)
    assert d.rpc().call("emit", event="chat", args=[PASSWORD[::-1]],
                        to=c.sid)["logged"] is True
    c.wait_event("chat")
    d.stop()
    logs = d.stderr().encode()
    for f in tmp_path.iterdir():
        if f.name.startswith("log.sqlite3"):
            logs += f.read_bytes()
    assert PASSWORD.encode() not in logs
    assert bcrypt_hash(PASSWORD).encode() not in logs
    assert PASSWORD[::-1].encode() in logs  # the log does hold messages


def test_hostile_handshake_bytes_do_not_break_the_dashboard(daemon, clients):
    """A client whose User-Agent and Accept-Language hold bytes that are not
    UTF-8 (the HTTP parser takes them in header values): listed without
    them, and the dashboard's WebSocket (which must carry UTF-8 text) stays
    up."""
    d = admin_ui(daemon)
    s = socket.create_connection(d.addr, timeout=5)
    s.sendall(b"GET /socket.io/?EIO=4&transport=polling&x=%FF HTTP/1.1\r\n"
              b"Host: 127.0.0.1\r\nUser-Agent: bad \xff\xc0 agent\r\n"
              b"Accept-Language: \xed\xa0\x80\r\n\r\n")
    head = s.recv(65536)
    s.close()
    assert b" 200 " in head.split(b"\r\n")[0], head[:200]
    eio_sid = re.search(rb'"sid":"([^"]+)"', head).group(1).decode()
    r = requests.post(d.url + "/socket.io/?EIO=4&transport=polling&sid=" +
                      eio_sid, data="40", timeout=5)
    assert r.status_code == 200
    wait_until(lambda: len(d.rpc().call("sessions")["sessions"]) == 1,
               what="the hostile client's socket")
    adm = login(clients, d)
    listed = adm.wait_event("all_sockets")[0]
    bad = [s for s in listed if s["nsp"] == "/"]
    assert len(bad) == 1
    assert "user-agent" not in bad[0]["handshake"]["headers"]
    assert "accept-language" not in bad[0]["handshake"]["headers"]
    assert bad[0]["handshake"]["query"]["x"] == "%FF"  # as sent
    adm.wait_event("server_stats")
    assert adm.state()["connected"]
