"""Disconnects that reach the app (issue 19 item 3, docs/upstream.md
"Late disconnects"): a disconnect the application could not take because
it was down (refused, 5xx, timeout), or that was still owed when the
daemon stopped, is kept and delivered once the application answers again:
exactly once, in order, at --journal-rate, marked "late": true with its
original "time" and context. Real peers: the test app of
apps/upstream_app.py over HTTP, FastCGI and SCGI, Django with
django_socketio's handlers, socket.io-client 4.x."""

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from e2e_lib import HERE, NodeHandle, free_port, wait_until
from test_upstream import SECRET, App, secret_file, start  # noqa: F401

REPO = HERE.parents[1]
RATE = 4  # late disconnects a second in these tests


def app_in(transport, workdir, port=None):
    """The test app, its log in a directory of its own (one per run)."""
    workdir.mkdir()
    return App(transport, workdir, port=port)


def journaled(rpc, n):
    wait_until(lambda: rpc.call("stats")["journal_journaled"] >= n,
               timeout=20, what="%d disconnects journaled" % n)


def late_records(app, n, timeout=30):
    wait_until(lambda: len(app.records(type="disconnect")) >= n,
               timeout=timeout, what="%d late disconnects at the app" % n)
    return app.records(type="disconnect")


@pytest.mark.parametrize("transport", ("http", "fcgi-keep", "scgi"))
def test_disconnects_while_the_app_is_down_arrive_late(
        daemon, clients, transport, secret_file, tmp_path):  # noqa: F811
    """App stopped, six clients disconnect one after the other, app
    started again: each disconnect arrives once, in order, late, with the
    time it happened and the socket's context, no faster than the rate;
    the actions of the answers are not run (counted)."""
    app = app_in(transport, tmp_path / "before")
    port = app.port
    try:
        d = start(daemon, app, secret_file, "--journal-rate", str(RATE),
                  "--journal-probe", "300")
        rpc = d.rpc()
        watcher = clients("v4", d, auth={"user": "watcher"})
        socks = [clients("v4", d, auth={"user": "u%d" % i}) for i in range(6)]
        app.stop()
        gone = []
        for i, h in enumerate(socks):
            gone.append(time.time())
            h.disconnect()
            journaled(rpc, i + 1)
        st = rpc.call("stats")
        assert st["journal_pending"] == 6 and st["journal_dropped"] == 0
        assert st["journal_pending_bytes"] > 0
        time.sleep(1)  # probes meet a dead app: nothing is lost
        assert rpc.call("stats")["journal_pending"] == 6

        back = time.time()  # the app may answer before App() returns
        app = app_in(transport, tmp_path / "after", port=port)
        recs = late_records(app, 6)
        wait_until(lambda: rpc.call("stats")["journal_pending"] == 0,
                   what="the journal to empty")
        time.sleep(2 / RATE)  # room for a duplicate, were there one
        recs = app.records(type="disconnect")
        assert [r["sid"] for r in recs] == [h.sid for h in socks]
        for i, r in enumerate(recs):
            assert r["late"] is True
            assert r["reason"] == "client namespace disconnect"
            assert r["context"] == {"user": "u%d" % i, "n": 0}
            assert gone[i] - 1 <= r["time"] < back
            assert r["t"] >= back
        span = recs[-1]["t"] - recs[0]["t"]
        assert span >= 5 / RATE * 0.8, "faster than --journal-rate"
        st = rpc.call("stats")
        assert st["journal_delivered"] == 6 and st["journal_journaled"] == 6
        assert st["journal_ignored_actions"] == 12
        assert st["journal_refused"] == 0
        # The app answered each with an emit to everyone and a join: not
        # done; the watcher hears nothing and the live socket still works.
        assert watcher.emit("echo", "still", ack=True) == ["still"]
        assert watcher.events("left") == []
        d.assert_alive()
    finally:
        app.stop()


def test_the_next_request_wakes_the_journal(daemon, clients, secret_file,
                                            tmp_path):  # noqa: F811
    """The probe is a minute away; the first request the app answers after
    it is back (here a new client's connect) starts the late deliveries."""
    app = app_in("http", tmp_path / "before")
    port = app.port
    try:
        d = start(daemon, app, secret_file, "--journal-probe", "60000")
        rpc = d.rpc()
        a = clients("v4", d, auth={"user": "ann"})
        app.stop()
        a.disconnect()
        journaled(rpc, 1)
        app = app_in("http", tmp_path / "after", port=port)
        clients("v4", d, auth={"user": "bob"})
        t0 = time.time()
        recs = late_records(app, 1, timeout=20)
        assert time.time() - t0 < 20
        assert [(r["sid"], r["late"]) for r in recs] == [(a.sid, True)]
    finally:
        app.stop()


def test_sigterm_while_the_app_is_down_keeps_them_in_the_state_file(
        daemon, clients, secret_file, tmp_path):  # noqa: F811
    """Two sockets go while the app is down, then the daemon is SIGTERMed
    (two more sockets still open: their disconnects fail too). Restarted
    with the same --state-file, it takes the four back and, once the app
    is up, delivers them late, in order; the file is empty afterwards."""
    state = tmp_path / "state.db"
    app = app_in("http", tmp_path / "before")
    port = app.port
    try:
        d = start(daemon, app, secret_file, "--state-file", str(state),
                  "--journal-probe", "200", "--journal-rate", "20")
        rpc = d.rpc()
        socks = [clients("v4", d, auth={"user": "u%d" % i}) for i in range(4)]
        app.stop()
        for i, h in enumerate(socks[:2]):
            h.disconnect()
            journaled(rpc, i + 1)
        assert d.stop() == []
        db = sqlite3.connect(str(state))
        assert db.execute("SELECT count(*) FROM journal_events").fetchone() \
            == (4,)
        db.close()

        d.start()
        rpc = d.rpc()
        st = rpc.call("stats")
        assert st["journal_loaded"] == 4 and st["journal_bad_rows"] == 0
        time.sleep(0.6)  # probes: still down
        assert rpc.call("stats")["journal_pending"] == 4
        app = app_in("http", tmp_path / "after", port=port)
        recs = late_records(app, 4)
        wait_until(lambda: rpc.call("stats")["journal_pending"] == 0,
                   what="the journal to empty")
        recs = app.records(type="disconnect")
        assert [r["sid"] for r in recs[:2]] == [h.sid for h in socks[:2]]
        assert sorted(r["sid"] for r in recs[2:]) == \
            sorted(h.sid for h in socks[2:])
        assert len(recs) == 4 and all(r["late"] is True for r in recs)
        assert [r["reason"] for r in recs] == \
            ["client namespace disconnect"] * 2 + ["server shutting down"] * 2
        users = {h.sid: "u%d" % i for i, h in enumerate(socks)}
        assert all(r["context"] == {"user": users[r["sid"]], "n": 0}
                   for r in recs)
        assert rpc.call("stats")["journal_delivered"] == 4
        db = sqlite3.connect(str(state))
        assert db.execute("SELECT count(*) FROM journal_events").fetchone() \
            == (0,)
        db.close()
    finally:
        app.stop()


def test_the_bound_drops_and_counts(daemon, clients, secret_file, tmp_path):  # noqa: F811,E501
    """--journal-max 3: of five owed disconnects the first three are kept
    and delivered, the other two dropped and counted."""
    app = app_in("http", tmp_path / "before")
    port = app.port
    try:
        d = start(daemon, app, secret_file, "--journal-max", "3",
                  "--journal-probe", "200")
        rpc = d.rpc()
        socks = [clients("v4", d) for _ in range(5)]
        app.stop()
        for i, h in enumerate(socks):
            h.disconnect()
            wait_until(lambda: (lambda s: s["journal_journaled"] +
                                s["journal_dropped"])(rpc.call("stats"))
                       == i + 1, what="disconnect %d settled" % i)
        st = rpc.call("stats")
        assert (st["journal_journaled"], st["journal_dropped"],
                st["journal_pending"]) == (3, 2, 3)
        app = app_in("http", tmp_path / "after", port=port)
        late_records(app, 3)
        wait_until(lambda: rpc.call("stats")["journal_pending"] == 0,
                   what="the journal to empty")
        time.sleep(0.5)
        assert [r["sid"] for r in app.records(type="disconnect")] == \
            [h.sid for h in socks[:3]]
    finally:
        app.stop()


class Gateway:
    """What sits in front of an app (a proxy, mod_wsgi): answers 200 "{}"
    and records the body while `mode` is "up"; else 502 ("502"), nothing
    within the daemon's timeout ("hang"), or 403 ("403": the app is there
    and says no)."""

    def __init__(self):
        import http.server
        import threading
        gw = self
        self.mode = "up"
        self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                mode = gw.mode
                if mode == "hang":
                    time.sleep(2)
                    self.close_connection = True
                    return
                if mode == "up":
                    gw.bodies.append(json.loads(body))
                status, out = {"up": (200, b"{}"), "502": (502, b"bad gw"),
                               "403": (403, b"no")}[mode]
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        self.url = "http://127.0.0.1:%d/ev" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def disconnects(self):
        return [b for b in self.bodies if b["type"] == "disconnect"]

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def test_502_and_timeouts_are_kept_a_refusal_is_not(daemon, clients, node):
    """A 502 (the proxy's answer while the app is down) and no answer
    within --upstream-timeout keep the disconnect; a 403 is the app's own
    answer and is not tried again. Back up: the two kept ones, late."""
    gw = Gateway()
    try:
        d = daemon("--upstream", gw.url, "--upstream-timeout", "500",
                   "--journal-probe", "300")
        rpc = d.rpc()
        a, b, c = (clients("v4", d) for _ in range(3))
        gw.mode = "403"
        c.disconnect()
        wait_until(lambda: rpc.call("stats")["upstream_bad_responses"] >= 1,
                   what="the 403 of c's disconnect")
        gw.mode = "502"
        a.disconnect()
        journaled(rpc, 1)
        gw.mode = "hang"
        b.disconnect()
        journaled(rpc, 2)
        st = rpc.call("stats")
        assert st["journal_journaled"] == 2 and st["upstream_timeouts"] >= 1
        # A client that leaves while its connect waits for the hanging app:
        # the app never had that socket, so no disconnect is owed to it.
        p = NodeHandle(node("v4"), "pending")
        p.connect(d.url, wait=False)
        wait_until(lambda: rpc.call("stats")["upstream_requests"] >
                   st["upstream_requests"], what="the pending connect")
        p.disconnect()
        wait_until(lambda: rpc.call("stats")["sessions"] == 0,
                   what="the pending client to go")
        time.sleep(2.5)  # its connect, then its disconnect, time out (1 s)
        assert rpc.call("stats")["journal_journaled"] == 2
        gw.mode = "up"
        wait_until(lambda: rpc.call("stats")["journal_pending"] == 0,
                   what="the journal to empty")
        time.sleep(0.5)
        got = gw.disconnects()
        assert [x["sid"] for x in got] == [a.sid, b.sid]
        assert all(x["late"] is True for x in got)
        assert [x["reason"] for x in got] == ["client namespace disconnect"] * 2
    finally:
        gw.close()


def test_still_owed_after_the_drain_goes_to_the_state_file(daemon, clients,
                                                          tmp_path):
    """SIGTERM while the app hangs: the sockets' disconnects are in flight
    when --upstream-drain ends; they are kept in --state-file (at least
    once: the app may have seen them) and the restarted daemon delivers
    them late once the app answers."""
    gw = Gateway()
    state = tmp_path / "state.db"
    try:
        d = daemon("--upstream", gw.url, "--upstream-timeout", "5000",
                   "--upstream-drain", "300", "--state-file", str(state),
                   "--journal-probe", "300")
        socks = [clients("v4", d) for _ in range(2)]
        gw.mode = "hang"
        t0 = time.time()
        assert d.stop() == []
        assert time.time() - t0 < 5, "the drain did not end at 300 ms"
        assert "2 upstream events still unanswered" in d.stderr()
        gw.mode = "up"
        d.start()
        rpc = d.rpc()
        wait_until(lambda: len(gw.disconnects()) >= 2, timeout=20,
                   what="the two late disconnects")
        wait_until(lambda: rpc.call("stats")["journal_pending"] == 0,
                   what="the journal to empty")
        got = gw.disconnects()
        assert sorted(x["sid"] for x in got) == sorted(h.sid for h in socks)
        assert all(x["late"] is True and x["reason"] == "server shutting down"
                   for x in got)
        assert rpc.call("stats")["journal_loaded"] == 2
    finally:
        gw.close()


class Django:
    """The adapter tests' Django project (tests/adapters/djproject, the
    django_socketio handlers of its testapp) under manage.py runserver, its
    handler calls logged to a file."""

    def __init__(self, workdir, port=None):
        self.port = port or free_port()
        self.calls_path = workdir / "calls.jsonl"
        project = REPO / "tests" / "adapters" / "djproject"
        env = dict(os.environ, PYTHONPATH=str(REPO / "adapters"),
                   ADAPTER_TEST_DB=str(workdir / "db.sqlite3"),
                   DJANGO_SETTINGS_MODULE="djproject.settings",
                   SOCKETIOD_UPSTREAM_SECRET=SECRET,
                   ADAPTER_CALLS_LOG=str(self.calls_path),
                   PYTHONUNBUFFERED="1")
        env.pop("RUN_MAIN", None)
        manage = [sys.executable, str(project / "manage.py")]
        subprocess.run(manage + ["migrate", "-v", "0"], env=env, check=True,
                       cwd=str(workdir), timeout=120)
        self.out = open(workdir / "django.out", "wb")
        self.proc = subprocess.Popen(
            manage + ["runserver", "--noreload", "127.0.0.1:%d" % self.port],
            env=env, cwd=str(workdir), stdout=self.out,
            stderr=subprocess.STDOUT)
        wait_until(self._up, timeout=60, what="Django's runserver")

    def _up(self):
        import socket
        assert self.proc.poll() is None, "runserver exited"
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.5).close()
            return True
        except OSError:
            return False

    def calls(self, **match):
        try:
            lines = self.calls_path.read_text().splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            try:
                c = json.loads(line)
            except ValueError:
                continue
            if all(c.get(k) == v for k, v in match.items()):
                out.append(c)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.out.close()


def test_django_socketio_on_finish_sees_the_late_finish(
        daemon, clients, secret_file, tmp_path):  # noqa: F811
    """django-socketio's on_disconnect and on_finish handlers run for a
    socket that went while Django was down, once Django is back: the same
    sid and context as at connect, socket.late true."""
    (tmp_path / "dj1").mkdir()
    dj = Django(tmp_path / "dj1")
    try:
        d = daemon("--upstream",
                   "http://127.0.0.1:%d/socketio/events" % dj.port,
                   "--upstream-secret", str(secret_file),
                   "--journal-probe", "300")
        rpc = d.rpc()
        a = clients("v4", d)
        wait_until(lambda: dj.calls(name="on_connect", sid=a.sid),
                   what="on_connect")
        # The ack comes once the daemon holds the context the answer left.
        assert a.emit("count", ack=True) == [1, "explicit"]
        dj.stop()
        a.disconnect()
        journaled(rpc, 1)
        (tmp_path / "dj2").mkdir()
        dj = Django(tmp_path / "dj2", port=dj.port)
        wait_until(lambda: dj.calls(name="on_finish", sid=a.sid), timeout=30,
                   what="the late on_finish")
        fin = dj.calls(name="on_finish", sid=a.sid)
        dis = dj.calls(name="on_disconnect", sid=a.sid)
        assert len(fin) == 1 and len(dis) == 1
        assert fin[0]["late"] is True and dis[0]["late"] is True
        assert fin[0]["context"] == {"n": 1}  # what "count" left
        # Counted once Django's answer is in (the handlers ran before it).
        wait_until(lambda: rpc.call("stats")["journal_delivered"] == 1,
                   what="the late finish counted as delivered")
        assert rpc.call("stats")["journal_pending"] == 0
    finally:
        dj.stop()
