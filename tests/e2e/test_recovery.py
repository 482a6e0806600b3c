"""Connection state recovery (--recovery, docs/recovery.md), as users of
socket.io's connectionStateRecovery check it with socket.io-client 4.x:
after a transport cut, `socket.recovered` is true, `socket.id` is the same,
the channels are kept and every event emitted meanwhile to the socket, its
channels or everyone arrives once, in order; a session past its window or
whose offset the ring dropped starts afresh; socket.io-client 2.x and
python-socketio clients connect and receive as before; the app behind
--upstream sees `"recovered": true`."""

import json
import os
import subprocess
import time

import pytest

from e2e_lib import (HERE, NodeClient, _raise_nofile, node_modules_dir,
                     wait_until)

DRIVER = HERE / "node" / "recovery-client.js"


class RecoveryClient(NodeClient):
    """tests/e2e/node/recovery-client.js: socket.io-client 4.x sockets
    reporting `recovered`, `pid` and every event with its arguments."""

    def __init__(self, workdir):
        import threading
        self.flavour = "v4 (recovery)"
        nm = node_modules_dir()
        env = dict(os.environ, NODE_PATH=nm, SOCKETIOD_NODE_MODULES=nm)
        self.stderr_path = workdir / ("recovery-client-%d.stderr" % id(self))
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                ["node", str(DRIVER)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=err, env=env,
                preexec_fn=_raise_nofile)
        self.events = []
        self._cond = threading.Condition()
        self._req = 0
        self._wlock = threading.Lock()
        self._eof = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(lambda e: e["ev"] == "ready", timeout=15,
                      what="recovery driver start")

    def connect(self, cid, url, mode="websocket", namespace="/", **opts):
        opts.setdefault("transports", [mode])
        opts.setdefault("reconnection", False)
        mark = self.mark()
        self.send("connect", cid=cid, url=url, namespace=namespace,
                  opts=opts)
        return self.wait_connect(cid, mark)

    def wait_connect(self, cid, since):
        return self.wait_for(
            lambda e: e.get("cid") == cid and e["ev"] == "connect",
            since=since, timeout=20, what="connect of " + cid)

    def cut(self, cid):
        mark = self.mark()
        self.send("cut", cid=cid)
        self.wait_for(lambda e: e.get("cid") == cid and
                      e["ev"] == "disconnect", since=mark,
                      what="disconnect of " + cid)

    def reopen(self, cid):
        mark = self.mark()
        self.send("open", cid=cid)
        return self.wait_connect(cid, mark)

    def events_of(self, cid, since=0, event=None):
        return [e for e in self.find(lambda e: e.get("cid") == cid and
                                     e["ev"] == "event", since)
                if event is None or e["event"] == event]


@pytest.fixture
def rc(tmp_path):
    c = RecoveryClient(tmp_path)
    yield c
    c.close()


def stats(d):
    if getattr(d, "stats_rpc", None) is None or d.stats_rpc.closed:
        d.stats_rpc = d.rpc()
    return d.stats_rpc.call("stats")


def wait_stat(d, name, value, timeout=15):
    wait_until(lambda: stats(d).get(name) == value, timeout=timeout,
               what="stats %s == %r" % (name, value))


def is_offset(v):
    if not isinstance(v, str) or "-" not in v:
        return False
    a, b = v.split("-", 1)
    return a.isdigit() and b.isdigit()


def first_event(rc, d, cid, sid):
    """Gives the socket an offset (socket.io-client recovers only after an
    event); returns the offset."""
    mark = rc.mark()
    d.rpc().call("emit", event="hello", args=[0], to=sid)
    ev = rc.wait_for(lambda e: e.get("cid") == cid and e["ev"] == "event",
                     since=mark, what="the first event")
    assert ev["args"][0] == 0 and is_offset(ev["args"][-1]), ev
    return ev["args"][-1]


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_recovered_after_a_transport_cut(daemon, rc, mode):
    d = daemon("--recovery", "60")
    rpc = d.rpc()
    a = rc.connect("a", d.url, mode)
    rc.connect("b", d.url, mode)
    assert a["recovered"] is False and a["pid"] and len(a["pid"]) == 20
    rpc.call("join", sid=a["sid"], channel="room")
    first_event(rc, d, "a", a["sid"])
    rc.cut("a")
    wait_stat(d, "recovery_sessions", 1)
    assert stats(d)["recovery_stored"] == 1
    # meanwhile: to its sid, its channel, everyone, and to others only
    assert rpc.call("emit", event="m", args=[1], to=a["sid"]) == \
        {"recipients": 0}
    rpc.call("emit", event="m", args=[2, {"x": "y"}], channel="room")
    rpc.call("emit", event="m", args=[3])
    rpc.call("emit", event="m", args=["no"], channel="elsewhere")
    rpc.call("emit", event="m", args=["no"], to=a["sid"], volatile=True)
    rpc.call("emit", event="m", args=[4], params={"except": "nobody"})
    rpc.call("emit", event="m", args=["no"], params={"except": "room"})
    mark = rc.mark()
    back = rc.reopen("a")
    assert back["recovered"] is True
    assert back["sid"] == a["sid"] and back["pid"] == a["pid"]
    # live again, in its channel
    rpc.call("emit", event="m", args=[5], channel="room")
    rc.wait_for(lambda e: e.get("cid") == "a" and e["ev"] == "event" and
                e["args"][0] == 5, since=mark, what="the live event")
    got = [e["args"] for e in rc.events_of("a", mark)]
    assert [g[0] for g in got] == [1, 2, 3, 4, 5], got
    assert got[1][1] == {"x": "y"}
    assert all(is_offset(g[-1]) for g in got)
    offsets = [int(g[-1].split("-")[1]) for g in got]
    assert offsets == sorted(offsets) and len(set(offsets)) == 5
    st = stats(d)
    assert st["recovery_recovered"] == 1 and st["recovery_sessions"] == 0
    assert st["recovery_refused"] == 0
    members = rpc.call("session", sid=a["sid"])["session"]
    assert "room" in members["channels"]
    # b, connected all along, got the broadcasts once each
    assert [e["args"][0] for e in rc.events_of("b")] == [3, 4, "no"]


def test_auto_reconnect_recovers(daemon, rc):
    """The manager's own reconnection (the usual case) recovers too."""
    d = daemon("--recovery", "60")
    a = rc.connect("a", d.url, reconnection=True, reconnectionDelay=50,
                   randomizationFactor=0)
    first_event(rc, d, "a", a["sid"])
    mark = rc.mark()
    rc.send("cut", cid="a")
    back = rc.wait_connect("a", mark)
    assert back["recovered"] is True and back["sid"] == a["sid"]


def test_binary_events_recover(daemon, rc):
    d = daemon("--recovery", "60")
    a = rc.connect("a", d.url)
    first_event(rc, d, "a", a["sid"])
    rc.cut("a")
    wait_stat(d, "recovery_sessions", 1)
    d.rpc().call("emit", event="file",
                 args=["f", {"_binary": "AAECAw=="}], to=a["sid"])
    mark = rc.mark()
    assert rc.reopen("a")["recovered"] is True
    ev = rc.wait_for(lambda e: e.get("cid") == "a" and e["ev"] == "event",
                     since=mark, what="the binary event")
    assert ev["args"][0] == "f" and is_offset(ev["args"][-1])
    assert ev["args"][1] == {"type": "Buffer", "data": [0, 1, 2, 3]}


def test_relayed_events_recover(daemon, rc):
    """--relay: a client's event re-emitted to its channels is kept for a
    member that is away, as any broadcast."""
    d = daemon("--recovery", "60", "--relay")
    a = rc.connect("a", d.url)
    b = rc.connect("b", d.url)
    for cid in ("a", "b"):
        rc.send("emit", cid=cid, event="subscribe", args=["room"])
    wait_until(lambda: stats(d)["channels"] == 1 and
               len(d.rpc().call("sessions", channel="room")["sessions"]) == 2,
               what="both in the room")
    first_event(rc, d, "a", a["sid"])
    rc.cut("a")
    wait_stat(d, "recovery_sessions", 1)
    rc.send("emit", cid="b", event="chat", args=["hi from b"])
    wait_until(lambda: stats(d)["recovery_packets"] >= 2,
               what="the relayed event kept")
    mark = rc.mark()
    assert rc.reopen("a")["recovered"] is True
    ev = rc.wait_for(lambda e: e.get("cid") == "a" and
                     e.get("event") == "chat", since=mark)
    assert ev["args"][0] == "hi from b" and is_offset(ev["args"][-1])
    assert not [e for e in rc.events_of("b", event="chat")]


def test_expired_after_the_window(daemon, rc):
    d = daemon("--recovery", "1")
    a = rc.connect("a", d.url)
    first_event(rc, d, "a", a["sid"])
    rc.cut("a")
    wait_stat(d, "recovery_expired", 1)
    assert stats(d)["recovery_sessions"] == 0
    back = rc.reopen("a")
    assert back["recovered"] is False and back["sid"] != a["sid"]
    assert stats(d)["recovery_refused"] == 1


def test_a_gap_is_refused_never_skipped(daemon, rc):
    """The byte cap dropped the event after the client's offset: a new
    session, not a recovery that silently misses it."""
    d = daemon("--recovery", "60", "--recovery-max-bytes", "4096")
    a = rc.connect("a", d.url)
    first_event(rc, d, "a", a["sid"])
    rc.cut("a")
    wait_stat(d, "recovery_sessions", 1)
    for i in range(20):
        d.rpc().call("emit", event="big", args=[i, "x" * 500])
    st = stats(d)
    assert st["recovery_ring_drops"] > 0
    assert st["recovery_ring_bytes"] <= 4096
    mark = rc.mark()
    back = rc.reopen("a")
    assert back["recovered"] is False and back["sid"] != a["sid"]
    assert stats(d)["recovery_refused"] == 1
    time.sleep(0.3)
    assert rc.events_of("a", mark) == []


def test_only_recoverable_reasons_keep_a_session(daemon, rc):
    d = daemon("--recovery", "60")
    a = rc.connect("a", d.url)
    first_event(rc, d, "a", a["sid"])
    b = rc.connect("b", d.url)
    mark = rc.mark()
    rc.send("disconnect", cid="a")  # the client's own: not kept
    d.rpc().call("disconnect", sid=b["sid"])  # the server's: not kept
    rc.wait_for(lambda e: e.get("cid") == "b" and e["ev"] == "disconnect",
                since=mark, what="b's disconnect")
    wait_until(lambda: stats(d)["sockets"] == 0, what="both gone")
    st = stats(d)
    assert st["recovery_stored"] == 0 and st["recovery_sessions"] == 0


def test_off_by_default(daemon, rc):
    d = daemon()
    a = rc.connect("a", d.url)
    assert a["pid"] is None
    mark = rc.mark()
    d.rpc().call("emit", event="e", args=[1])
    ev = rc.wait_for(lambda e: e.get("cid") == "a" and e["ev"] == "event",
                     since=mark)
    assert ev["args"] == [1]


def test_v2_and_python_clients_still_work(daemon, clients, rc):
    """Clients without recovery connect and receive as before:
    socket.io-client 2.x and python-socketio get every event as sent
    (never an offset, from the same emits as the 4.x clients beside it,
    relayed ones too), while the 4.x client gets its offsets."""
    d = daemon("--recovery", "60", "--relay")
    v2 = clients("v2", d)
    py = clients("py", d)
    a = rc.connect("a", d.url)
    rpc = d.rpc()
    rpc.call("emit", event="news", args=["hi", 1])
    rpc.call("emit", event="bin", args=[{"_binary": "AAE="}])
    e2 = v2.wait_event("news")
    ep = py.wait_event("news")
    assert e2 == ["hi", 1], e2
    assert ep == ["hi", 1], ep
    assert len(v2.wait_event("bin")) == 1
    ev = rc.wait_for(lambda e: e.get("cid") == "a" and
                     e.get("event") == "news")
    assert ev["args"][:2] == ["hi", 1] and is_offset(ev["args"][-1])
    # a relayed event: the 2.x client in the room gets it as sent
    rpc.call("join", sid=a["sid"], channel="room")
    rpc.call("join", sid=v2.sid, channel="room")
    rc.send("emit", cid="a", event="chat", args=["from a"])
    assert v2.wait_event("chat") == ["from a"]
    rpc.call("join", sid=py.sid, channel="room")
    rc.send("emit", cid="a", event="chat", args=["again"])
    assert py.wait_event("chat") == ["again"]
    v2.drop_transport()
    v2.wait_connect(2)
    assert stats(d)["recovery_recovered"] == 0


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_python_handlers_with_fixed_arguments(daemon, transport):
    """A python-socketio app written as its docs show, one parameter per
    argument (`def news(text, n)`), works against a daemon with recovery
    on: no offset is appended for it (a handler with two parameters given
    three raises TypeError inside python-socketio, and the event is lost),
    and its session is not kept for a recovery it can never ask for."""
    import socketio
    d = daemon("--recovery", "60")
    got = []
    sio = socketio.Client(reconnection=False)

    @sio.on("news")
    def news(text, n):
        got.append((text, n))

    @sio.on("bin")
    def binary(data):
        got.append(("bin", data))

    try:
        sio.connect(d.url, transports=[transport], wait_timeout=10)
        rpc = d.rpc()
        rpc.call("emit", event="news", args=["hi", 1])
        rpc.call("emit", event="bin", args=[{"_binary": "AAE="}])
        rpc.call("emit", to=sio.get_sid(), event="news", args=["you", 2])
        wait_until(lambda: len(got) >= 3, timeout=10)
        assert got == [("hi", 1), ("bin", b"\x00\x01"), ("you", 2)], got
        assert stats(d)["recovery_packets"] >= 2  # kept for 4.x clients
        if transport == "websocket":
            # a cut a 4.x client would recover from ("transport close")
            import socket
            sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)
            wait_until(lambda: rpc.call("sessions")["sessions"] == [],
                       timeout=10)
            assert stats(d)["recovery_stored"] == 0
    finally:
        sio.disconnect()


# ---- the app behind --upstream ----

class RecordingApp:
    """A minimal app for --upstream (docs/upstream.md) in a thread of the
    test: records every request; a connect gets its auth's user as
    context and, unless recovered, as its app user (docs/presence.md) and
    joins "user:<user>"; the event "shout" [channel, text]
    emits "shout" [text] to the channel, the sender left out."""

    def __init__(self):
        import http.server
        import threading
        app = self
        self.requests = []

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                req = json.loads(self.rfile.read(
                    int(self.headers["Content-Length"])))
                app.requests.append(req)
                out = {}
                if req["type"] == "connect":
                    user = (req.get("auth") or {}).get("user", "anon")
                    out = {"context": {"user": user}, "actions": [
                        {"action": "join", "channel": "user:" + user}]}
                    if not req.get("recovered"):
                        out["user"] = user  # recovery keeps it
                elif req.get("event") == "shout":
                    out = {"actions": [{"action": "emit", "event": "shout",
                                        "args": [req["args"][1]],
                                        "channel": req["args"][0],
                                        "except_self": True}]}
                body = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/events" % self.server.server_port
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def of(self, sid, **match):
        return [r for r in list(self.requests) if r["sid"] == sid and
                all(r.get(k) == v for k, v in match.items())]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app():
    a = RecordingApp()
    yield a
    a.close()


@pytest.mark.parametrize("authorize", [False, True])
def test_upstream_sees_recovered(daemon, rc, app, authorize):
    """The app gets the disconnect, then a connect with "recovered": true
    and the restored context; by default it is told, not asked
    (--recovery-authorize makes the socket wait for its answer)."""
    extra = ["--recovery-authorize"] if authorize else []
    d = daemon("--recovery", "60", "--upstream", app.url, *extra)
    a = rc.connect("a", d.url, auth={"user": "ann"})
    rc.connect("b", d.url, auth={"user": "bob"})
    sid = a["sid"]
    first_event(rc, d, "a", sid)
    assert [x["sid"] for x in wait_until(lambda: d.rpc().call(
        "sessions", user="ann")["sessions"], what="ann's socket")] == [sid]
    rc.cut("a")
    wait_stat(d, "recovery_sessions", 1)
    wait_until(lambda: app.of(sid, type="disconnect"),
               what="the app's disconnect")
    # an upstream action meanwhile: b shouts to ann's channel
    mark = rc.mark()
    rc.send("emit", cid="b", event="shout", args=["user:ann", "hey"])
    wait_until(lambda: stats(d)["recovery_packets"] >= 2,
               what="the shout stored")
    d.rpc().call("emit", event="direct", args=[7], to=sid)
    back = rc.reopen("a")
    assert back["recovered"] is True and back["sid"] == sid
    got = rc.wait_for(lambda e: e.get("cid") == "a" and
                      e.get("event") == "direct", since=mark)
    assert got["args"][0] == 7
    names = [e["event"] for e in rc.events_of("a", mark)]
    assert names == ["shout", "direct"], names
    recs = wait_until(lambda: app.of(sid, type="connect", recovered=True),
                      what="the recovered connect upstream")
    kinds = [r["type"] for r in app.of(sid)]
    assert kinds == ["connect", "disconnect", "connect"], kinds
    assert recs[0]["context"] == {"user": "ann"}
    assert recs[0]["auth"]["user"] == "ann" and recs[0]["auth"]["pid"]
    assert "recovered" not in app.of(sid)[0]
    # still ann's socket (presence), in the channel the app joined it to
    # at its first connect
    by_user = d.rpc().call("sessions", user="ann")["sessions"]
    assert [x["sid"] for x in by_user] == [sid]
    assert by_user[0]["user"] == "ann"
    assert by_user[0]["channels"] == ["user:ann"]
    mark = rc.mark()
    rc.send("emit", cid="b", event="shout", args=["user:ann", "again"])
    rc.wait_for(lambda e: e.get("cid") == "a" and e.get("event") == "shout",
                since=mark, what="the live shout")


# ---- across a daemon restart (--state-file) ----

def test_recovered_across_a_sigterm_restart(daemon, rc, tmp_path):
    """Sessions kept at SIGTERM ("server shutting down"), those that had
    left before, and the events stored for them are in the state file: the
    restarted daemon recovers them, with what was emitted while it was
    down and after it came back."""
    state = tmp_path / "state.db"
    d = daemon("--recovery", "60", "--state-file", state)
    rpc = d.rpc()
    a = rc.connect("a", d.url)
    b = rc.connect("b", d.url, mode="polling")
    rpc.call("join", sid=a["sid"], channel="room")
    rpc.call("join", sid=b["sid"], channel="room")
    first_event(rc, d, "a", a["sid"])
    first_event(rc, d, "b", b["sid"])
    rc.cut("a")  # a is away before the restart, b connected at SIGTERM
    wait_stat(d, "recovery_sessions", 1)
    rpc.call("emit", event="m", args=[1], channel="room")
    mark_b = rc.mark()
    rc.wait_for(lambda e: e.get("cid") == "b" and e.get("event") == "m",
                since=mark_b - 1, what="b's live event")
    d.restart()
    rc.wait_for(lambda e: e.get("cid") == "b" and e["ev"] == "disconnect",
                since=mark_b, what="b's disconnect at SIGTERM")
    st = stats(d)
    assert st["recovery_loaded_sessions"] == 2, st
    assert st["recovery_load_rejected"] == 0
    rpc = d.rpc()
    rpc.call("emit", event="m", args=[2], channel="room")
    rpc.call("emit", event="m", args=[3], to=a["sid"])
    mark = rc.mark()
    back_a = rc.reopen("a")
    back_b = rc.reopen("b")
    assert back_a["recovered"] is True and back_a["sid"] == a["sid"]
    assert back_b["recovered"] is True and back_b["sid"] == b["sid"]
    assert back_a["pid"] == a["pid"]
    rpc.call("emit", event="m", args=[4], channel="room")
    for cid, want in (("a", [1, 2, 3, 4]), ("b", [2, 4])):
        rc.wait_for(lambda e: e.get("cid") == cid and e.get("event") == "m"
                    and e["args"][0] == 4, since=mark, what=cid + "'s m 4")
        got = [e["args"][0] for e in rc.events_of(cid, mark, "m")]
        assert got == want, (cid, got)
    assert stats(d)["recovery_recovered"] == 2


def test_recovered_across_kill_9(daemon, rc, tmp_path):
    """A kill -9 loses at most the last --recovery-save-interval: a socket
    connected at the last snapshot recovers after it."""
    state = tmp_path / "state.db"
    d = daemon("--recovery", "60", "--state-file", state,
               "--recovery-save-interval", "200")
    a = rc.connect("a", d.url)
    d.rpc().call("join", sid=a["sid"], channel="room")
    first_event(rc, d, "a", a["sid"])
    saves = stats(d)["recovery_saves"]
    wait_until(lambda: stats(d)["recovery_saves"] >= saves + 2,
               what="two snapshots after the event")
    mark = rc.mark()
    d.kill_and_start()
    rc.wait_for(lambda e: e.get("cid") == "a" and e["ev"] == "disconnect",
                since=mark, what="a's disconnect at the kill")
    assert stats(d)["recovery_loaded_sessions"] == 1
    d.rpc().call("emit", event="m", args=[1], channel="room")
    back = rc.reopen("a")
    assert back["recovered"] is True and back["sid"] == a["sid"]
    got = rc.wait_for(lambda e: e.get("cid") == "a" and
                      e.get("event") == "m", since=mark)
    assert got["args"][0] == 1


def test_kill_9_before_a_snapshot_starts_afresh(daemon, rc, tmp_path):
    """What came after the last snapshot is lost: a client whose offset
    the file never saw gets a new session, never a recovery that skips."""
    state = tmp_path / "state.db"
    d = daemon("--recovery", "60", "--state-file", state,
               "--recovery-save-interval", "3600000")
    a = rc.connect("a", d.url)
    first_event(rc, d, "a", a["sid"])
    mark = rc.mark()
    d.kill_and_start()
    rc.wait_for(lambda e: e.get("cid") == "a" and e["ev"] == "disconnect",
                since=mark, what="a's disconnect at the kill")
    back = rc.reopen("a")
    assert back["recovered"] is False and back["sid"] != a["sid"]


def test_a_hostile_state_file_is_refused_row_by_row(daemon, rc, tmp_path):
    """Rows that do not validate (a forged pid, bad names, an offset that
    is not the packet's, non-JSON) are skipped and counted; the daemon
    starts."""
    import sqlite3
    state = tmp_path / "state.db"
    d = daemon("--recovery", "60", "--state-file", state)
    a = rc.connect("a", d.url)
    first_event(rc, d, "a", a["sid"])
    rc.cut("a")
    wait_stat(d, "recovery_sessions", 1)
    d.stop()
    db = sqlite3.connect(str(state))
    now = int(time.time() * 1000)
    db.execute("INSERT INTO recovery_sessions VALUES "
               "('AAAAAAAAAAAAAAAAAAAA', 'forged', '/', '[]', NULL, ?)",
               (now,))
    db.execute("INSERT INTO recovery_sessions VALUES "
               "(?, 'x\x01y', '/', '[]', NULL, ?)", ("B" * 20, now))
    db.execute("INSERT INTO recovery_packets VALUES "
               "(999999, 1, 5, ?, '/', 0, '[]', '[]', '[\"e\",\"1-4\"]', 0)",
               (now,))
    db.execute("INSERT INTO recovery_packets VALUES "
               "(1000000, 1, 6, ?, '/', 0, '[1]', '[]', '[\"e\",\"1-6\"]', 0)",
               (now,))
    db.execute("INSERT INTO recovery_packets VALUES "
               "(1000001, 1, 7, ?, '/', 0, '[]', '[]', 'nope\"1-7\"]', 0)",
               (now,))
    db.commit()
    db.close()
    d.start()
    st = stats(d)
    assert st["recovery_load_rejected"] == 5, st
    assert st["recovery_loaded_sessions"] == 1
    back = rc.reopen("a")
    assert back["recovered"] is True and back["sid"] == a["sid"]
