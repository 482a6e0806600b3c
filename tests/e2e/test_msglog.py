"""The SQLite message log (--message-log-format / SOCKETIO_MESSAGE_LOG_FORMAT):
one row per message with what the clients saw, broadcasts once with their
audience, format rendering, off means no file, drops counted when the queue
is full, crash safety, retention, and `socketioctl log`."""

import json
import os
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from e2e_lib import REPO, binary, daemon_command, unbinary, wait_until

FMT = "%(REMOTE_ADDR)s|%(DIRECTION)s|%(EVENT)s|%(SID)s|%(MESSAGE)s|%(NOPE)s|%%"


def socketioctl():
    env = os.environ.get("SOCKETIOCTL")
    if env:
        return env
    cand = Path(daemon_command()[0]).with_name("socketioctl")
    return str(cand if cand.exists() else REPO / "build" / "socketioctl")


def logged(d, path=None, n=None, timeout=10):
    """Waits until the writer committed `n` rows (all queued ones when n is
    None); returns the rows as dicts, oldest first."""
    rpc = d.rpc()
    if n is None:
        # Everything the loop queued is either written or dropped.
        s0 = rpc.call("stats")
        n = s0["messages_logged"]
    wait_until(lambda: rpc.call("stats")["messages_logged"] >= n,
               timeout=timeout, what="%d rows logged" % n)
    return rows(path or d.workdir / "log.sqlite3")


def rows(path, where="", args=()):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(
            "SELECT * FROM messages %s ORDER BY id" % where, args)]
    finally:
        db.close()


def start(daemon, *extra, fmt=FMT):
    return daemon("--message-log-format", fmt, "--message-log", "log.sqlite3",
                  *extra)


def one(rs, **match):
    found = [r for r in rs if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, "want one row with %r, have:\n%s" % (
        match, "\n".join(map(str, rs)))
    return found[0]


def wait_rows(d, pred, timeout=10, what="rows"):
    return wait_until(lambda: (lambda rs: rs if pred(rs) else None)(
        rows(d.workdir / "log.sqlite3")), timeout=timeout, what=what)


def test_rows_match_what_clients_saw(daemon, clients):
    d = start(daemon)
    rpc = d.rpc()
    a = clients("py", d, ack_reply=["fine", {"n": 2}])
    b = clients("py", d)
    assert a.subscribe("room") == [None, "room"]
    assert b.subscribe("room") == [None, "room"]
    t0 = time.time()

    # RPC broadcast to a channel: one row with its audience
    assert rpc.call("emit", event="news", args=[1, {"x": "y"}],
                    channel="room")["recipients"] == 2
    # everyone but b
    assert rpc.call("emit", event="all", args=[],
                    params={"except": b.sid})["recipients"] == 1
    # the plain message event, to one socket
    assert rpc.call("send", message={"text": "hi"}, to=b.sid)[
        "recipients"] == 1
    # an acked emit: out with the ack id, the client's answer in
    r = rpc.call("emit", event="q", args=["?"], to=a.sid, ack=True)
    assert r["args"] == ["fine", {"n": 2}]
    # a client event with an ack: in, and the daemon's (empty) ack out
    assert a.emit("chat", "hello", {"k": [1, 2]}, ack=True) == []
    b.wait_event("news")
    b.wait_event("message")
    a.wait_event("all")

    rs = wait_rows(d, lambda rs: any(r["event"] == "chat" for r in rs)
                   and sum(r["kind"] == "ack" for r in rs) >= 4,
                   what="the chat event and the acks")
    news = one(rs, event="news")
    assert news["direction"] == "out" and news["via"] == "emit"
    assert news["kind"] == "event" and news["channel"] == "room"
    assert news["recipients"] == 2 and news["sid"] is None
    assert json.loads(news["payload"]) == ["news"] + b.events("news")[0]
    assert news["namespace"] == "/" and news["remote_addr"] is None
    assert abs(news["time_us"] / 1e6 - t0) < 30

    everyone = one(rs, event="all")
    assert everyone["except_sid"] == b.sid and everyone["recipients"] == 1
    assert everyone["channel"] is None and everyone["to_sid"] is None

    msg = one(rs, kind="message")
    assert msg["event"] == "message" and msg["sid"] == b.sid
    assert msg["to_sid"] == b.sid and msg["recipients"] == 1
    assert json.loads(msg["payload"]) == ["message"] + b.events("message")[0]
    assert msg["remote_addr"] == "127.0.0.1"

    q = one(rs, event="q")
    assert q["ack_id"] is not None and q["sid"] == a.sid
    answer = one(rs, direction="in", kind="ack")
    assert answer["sid"] == a.sid and answer["ack_id"] == q["ack_id"]
    assert json.loads(answer["payload"]) == ["fine", {"n": 2}]

    chat = one(rs, event="chat")
    assert chat["direction"] == "in" and chat["via"] == "client"
    assert chat["sid"] == a.sid and chat["ack_id"] is not None
    assert json.loads(chat["payload"]) == ["chat", "hello", {"k": [1, 2]}]
    assert chat["remote_addr"] == "127.0.0.1" and chat["recipients"] is None
    reply = one(rs, direction="out", kind="ack", ack_id=chat["ack_id"],
                sid=a.sid)
    assert reply["via"] == "reply" and json.loads(reply["payload"]) == []

    # subscribe is a client event too, answered by the daemon
    subs = [r for r in rs if r["event"] == "subscribe"]
    assert sorted(r["sid"] for r in subs) == sorted([a.sid, b.sid])
    # the rendered line
    assert chat["line"] == "127.0.0.1|in|chat|%s|%s||%%" % (
        a.sid, chat["payload"])
    assert news["line"] == "|out|news||%s||%%" % news["payload"]
    # stats
    st = rpc.call("stats")
    assert st["messages_logged"] == len(rows(d.workdir / "log.sqlite3"))
    assert st["messages_log_dropped"] == 0
    assert st["message_log"] == str(d.workdir / "log.sqlite3")


def stop(d):
    """Stops a daemon inside a test (the fixture then skips it)."""
    assert d.stop() == []
    d.proc = None


@pytest.mark.parametrize("extra", [(), ("--message-log-per-receiver",)],
                         ids=["once", "per-receiver"])
def test_relay_is_one_row_unless_per_receiver(daemon, clients, extra):
    d = start(daemon, "--relay", *extra)
    a, b, c = (clients("py", d) for _ in range(3))
    for h in (a, b, c):
        h.subscribe("room")
    assert a.emit("x", 7, ack=True) == [2]
    b.wait_event("x")
    c.wait_event("x")
    rs = wait_rows(d, lambda rs: any(r["via"] == "relay" for r in rs) and
                   any(r["kind"] == "ack" and r["payload"] == "[2]"
                       for r in rs), what="relay rows")
    relay = [r for r in rs if r["via"] == "relay"]
    if not extra:
        assert len(relay) == 1
        assert relay[0]["except_sid"] == a.sid
        assert relay[0]["recipients"] == 2 and relay[0]["sid"] is None
    else:
        rs = wait_rows(d, lambda rs: sum(r["via"] == "relay"
                                         for r in rs) == 2)
        relay = [r for r in rs if r["via"] == "relay"]
        assert sorted(r["sid"] for r in relay) == sorted([b.sid, c.sid])
        assert all(r["recipients"] == 2 for r in relay)
    assert all(json.loads(r["payload"]) == ["x", 7] for r in relay)
    one(rs, event="x", direction="in", sid=a.sid)


def test_binary_is_noted_by_size(daemon, clients):
    d = start(daemon)
    rpc = d.rpc()
    a = clients("v4", d)
    assert rpc.call("emit", event="file", args=["a", binary(b"\x00" * 300)],
                    to=a.sid)["recipients"] == 1
    assert unbinary(a.wait_event("file")[1]) == b"\x00" * 300
    a.emit("up", binary(b"\x01\x02\x03"), binary(b"\x04"))
    rs = wait_rows(d, lambda rs: any(r["event"] == "up" for r in rs))
    out = one(rs, event="file")
    assert json.loads(out["attachments"]) == [300]
    assert json.loads(out["payload"]) == [
        "file", "a", {"_placeholder": True, "num": 0}]
    up = one(rs, event="up")
    assert json.loads(up["attachments"]) == [3, 1]


def raw_event(d, event, cookie=None, query=""):
    import websocket
    ws = websocket.create_connection(
        "ws://%s:%d/socket.io/?EIO=4&transport=websocket%s" % (
            d.host, d.port, query), cookie=cookie,
        header=["User-Agent: msglog-test/1.0"], timeout=5)
    try:
        assert ws.recv()[:1] == "0"
        ws.send("40")
        while True:
            m = ws.recv()
            if m.startswith("40"):
                break
        ws.send('42["%s","x"]' % event)
        ws.send("2")  # a ping the server ignores; the event went first
        time.sleep(0.1)
    finally:
        ws.close()


def test_format_rendering_from_env_unknown_keys_and_cookies(
        daemon, monkeypatch):
    monkeypatch.setenv(
        "SOCKETIO_MESSAGE_LOG_FORMAT",
        "%(REMOTE_ADDR)s [%(HTTP_COOKIE)s] [%(NOWHERE)s] "
        "%(QUERY_STRING).5s %(HTTP_USER_AGENT)-14s| %(EVENT)5s %% %s %(")
    d = daemon("--message-log", "log.sqlite3")
    raw_event(d, "one", cookie="session=s3cr3t", query="&q=1")
    rs = wait_rows(d, lambda rs: any(r["event"] == "one" for r in rs))
    assert one(rs, event="one")["line"] == \
        "127.0.0.1 [] [] EIO=4 msglog-test/1.0| " \
        "  one %% %s %(".replace("%%", "%")
    stop(d)
    # with --message-log-cookies the cookie renders
    d2 = daemon("--message-log", "log2.sqlite3", "--message-log-cookies")
    raw_event(d2, "two", cookie="session=s3cr3t")
    rs = wait_until(lambda: [r for r in rows(d2.workdir / "log2.sqlite3")
                             if r["event"] == "two"], what="row two")
    assert "[session=s3cr3t]" in rs[0]["line"]


@pytest.mark.parametrize("how", ["unset", "None-flag", "None-env",
                                 "None-config"])
def test_disabled_means_no_database(daemon, clients, monkeypatch, tmp_path,
                                    how):
    monkeypatch.delenv("SOCKETIO_MESSAGE_LOG_FORMAT", raising=False)
    args = []
    if how == "None-flag":
        monkeypatch.setenv("SOCKETIO_MESSAGE_LOG_FORMAT", "%(MESSAGE)s")
        args = ["--message-log-format", "None"]
    elif how == "None-env":
        monkeypatch.setenv("SOCKETIO_MESSAGE_LOG_FORMAT", "None")
    elif how == "None-config":
        conf = tmp_path / "siod.conf"
        conf.write_text("message-log-format = None\n"
                        "message-log = custom.sqlite3\n")
        args = ["-c", str(conf)]
    d = daemon(*args)
    a = clients("py", d)
    a.emit("x", 1, ack=True)
    d.rpc().call("emit", event="y")
    st = d.rpc().call("stats")
    assert st["message_log"] is None and st["messages_logged"] == 0
    stop(d)
    assert not list(tmp_path.glob("*.sqlite3*")), list(tmp_path.iterdir())


def test_config_file_key(daemon, tmp_path):
    conf = tmp_path / "siod.conf"
    conf.write_text("message-log-format = %(EVENT)s!\n"
                    "message-log = from-config.sqlite3\n")
    d = daemon("-c", str(conf))
    d.rpc().call("emit", event="cfg")
    rs = wait_until(lambda: rows(tmp_path / "from-config.sqlite3"),
                    what="a row")
    assert rs[0]["line"] == "cfg!"


def flood(rpc, n, event="f", size=0):
    """Pipelines n emits in one write (so the daemon handles many per loop
    turn, faster than one request per round trip); returns after every
    response. Registers the ids the way Rpc.call_async does."""
    pad = "p" * size
    lines = "".join(json.dumps({"id": "f%d" % i, "method": "emit", "params": {
        "event": event, "args": [i, pad]}}) + "\n" for i in range(n))
    with rpc._cond:
        for i in range(n):
            rpc._responses[("p", "f%d" % i)] = None
    rpc.send_raw(lines)
    for i in range(n):
        rpc.wait("f%d" % i, timeout=60)


@pytest.mark.timeout(60)
def test_queue_full_drops_are_counted(daemon):
    d = start(daemon, "--message-log-queue", "1")
    rpc = d.rpc()
    n = 3000
    flood(rpc, n, size=2000)
    st = wait_until(lambda: (lambda s: s if s["messages_logged"] +
                             s["messages_log_dropped"] >= n else None)(
        rpc.call("stats")), what="every row written or dropped")
    assert st["messages_logged"] + st["messages_log_dropped"] == n
    assert st["messages_log_dropped"] > 0, st
    assert len(rows(d.workdir / "log.sqlite3")) == st["messages_logged"]


@pytest.mark.timeout(60)
def test_sigterm_flushes_the_queue(daemon):
    d = start(daemon)
    flood(d.rpc(), 2000)
    stop(d)
    rs = rows(d.workdir / "log.sqlite3")
    assert len(rs) == 2000
    assert [json.loads(r["payload"])[1] for r in rs] == list(range(2000))


@pytest.mark.timeout(60)
def test_kill9_mid_flood_then_integrity_and_append(daemon):
    d = start(daemon)
    path = d.workdir / "log.sqlite3"
    stats = d.rpc()
    flooder = d.rpc()

    def run():
        try:
            flood(flooder, 30000)
        except (AssertionError, OSError):
            pass  # the daemon died under it, as intended
    th = threading.Thread(target=run, daemon=True)
    th.start()
    wait_until(lambda: stats.call("stats")["messages_logged"] > 2000,
               timeout=30, what="the flood to be logging")
    d.kill()
    th.join(10)
    db = sqlite3.connect(str(path), timeout=5)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    before, last = db.execute(
        "SELECT count(*), max(id) FROM messages").fetchone()
    db.close()
    assert before > 2000
    d.kill_and_start()
    d.rpc().call("emit", event="after-crash")
    rs = wait_until(lambda: rows(path, "WHERE event = 'after-crash'"),
                    what="the row after the restart")
    assert rs[0]["id"] > last
    assert len(rows(path)) == before + 1


def test_retention_by_rows_and_by_age(daemon):
    d = start(daemon, "--message-log-max-rows", "5")
    rpc = d.rpc()
    for i in range(20):
        rpc.call("emit", event="r%d" % i)
    rs = wait_rows(d, lambda rs: [r["event"] for r in rs] ==
                   ["r%d" % i for i in range(15, 20)], timeout=10,
                   what="only the newest 5 rows")
    stop(d)
    d2 = daemon("--message-log-format", FMT, "--message-log", "age.sqlite3",
                "--message-log-max-age", "1")
    rpc = d2.rpc()
    rpc.call("emit", event="old")
    wait_until(lambda: rows(d2.workdir / "age.sqlite3"), what="a row")
    wait_until(lambda: rows(d2.workdir / "age.sqlite3") == [], timeout=6,
               what="the old row to be deleted")
    rpc.call("emit", event="new")
    rs = wait_until(lambda: rows(d2.workdir / "age.sqlite3"), what="new row")
    assert [r["event"] for r in rs] == ["new"]


def ctl(d, *args, timeout=10):
    res = subprocess.run([socketioctl(), "-s", d.rpc_path] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=timeout)
    return res


def test_socketioctl_log_filters_json_and_follow(daemon, clients):
    d = start(daemon)
    rpc = d.rpc()
    a = clients("py", d)
    a.subscribe("room")
    t_mid = None
    for i in range(3):
        rpc.call("emit", event="news", args=[i], channel="room")
    time.sleep(0.05)
    t_mid = time.time()
    time.sleep(0.05)
    rpc.call("emit", event="other", args=["z"])
    rpc.call("emit", event="direct", args=[], to=a.sid)
    a.wait_event("direct")
    wait_rows(d, lambda rs: any(r["event"] == "direct" for r in rs))

    def jlines(*args):
        res = ctl(d, "log", "--json", *args)
        assert res.returncode == 0, res.stderr
        return [json.loads(x) for x in res.stdout.splitlines()]

    news = jlines("--event", "news")
    assert [r["payload"] for r in news] == [["news", 0], ["news", 1],
                                            ["news", 2]]
    assert all(r["channel"] == "room" and r["recipients"] == 1 for r in news)
    assert [r["payload"] for r in jlines("--channel", "room")] == \
        [r["payload"] for r in news]
    mine = jlines("--sid", a.sid)
    assert {(r["kind"], r["event"]) for r in mine} == {
        ("event", "subscribe"), ("ack", None), ("event", "direct")}
    assert [r["event"] for r in jlines("-n", "2")] == ["other", "direct"]
    assert [r["event"] for r in jlines("--since", "%.3f" % t_mid)] == \
        ["other", "direct"]
    assert "other" not in [r["event"] for r in
                           jlines("--until", "%.3f" % t_mid)]
    everything = jlines("-n", "0")
    assert len(everything) >= 7
    assert jlines("-n", "0", "--since", "1h") == everything
    assert jlines("-n", "0", "--since", "2000-01-01 00:00") == everything
    assert jlines("--until", "2000-01-01") == []
    # --db instead of asking the daemon; text and rendered lines
    res = ctl(d, "log", "--db", str(d.workdir / "log.sqlite3"), "--event",
              "other")
    assert res.returncode == 0 and '["other","z"]' in res.stdout, res
    res = ctl(d, "log", "--lines", "--event", "other")
    assert res.stdout.splitlines() == ['|out|other||["other","z"]||%']
    # bad arguments
    assert ctl(d, "log", "--since", "yesterday-ish").returncode == 1
    assert ctl(d, "log", "--db", str(d.workdir / "nope.sqlite3")
               ).returncode == 1

    # follow: rows written after it started show up
    p = subprocess.Popen([socketioctl(), "-s", d.rpc_path, "log", "-f",
                          "--json", "-n", "1", "--event", "late"],
                         stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        rpc.call("emit", event="late", args=[42])
        got = []
        reader = threading.Thread(
            target=lambda: got.append(p.stdout.readline()), daemon=True)
        reader.start()
        reader.join(5)
        assert got and json.loads(got[0])["payload"] == ["late", 42]
    finally:
        p.terminate()
        p.wait(5)


def test_socketioctl_log_without_a_log(daemon):
    d = daemon()
    res = ctl(d, "log")
    assert res.returncode == 2 and "no message log" in res.stderr
