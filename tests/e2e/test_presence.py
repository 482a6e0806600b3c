# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Presence by app user (issue 19 item 4, docs/presence.md): the upstream
connect answer names a `user`; the control RPC sends to a user's sockets,
lists sessions by user and the users present in a channel; --presence
channels hear presence:join / presence:leave on a user's first and last
socket only; hostile user ids are refused and counted; with --redis an
emit to a user reaches the user's sockets on every socketiod node.

The application is a small HTTP upstream run in the test: a connect is
answered with {"user": auth.user}, or with auth.raw_user written into the
body as it is (hostile JSON text). The Django adapters' side is in
tests/adapters/test_presence_django.py."""
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from e2e_lib import NodeHandle, RpcError, wait_until
from test_redis import joined, redis  # noqa: F401 (fixture)


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = b"{}"
        if req["type"] == "connect":
            auth = req.get("auth") or {}
            if "big_user" in auth:
                body = json.dumps({"user": "u" * auth["big_user"]}).encode()
            elif "raw_user" in auth:
                body = b'{"user":' + auth["raw_user"].encode("latin-1") + b"}"
            elif "user" in auth:
                body = json.dumps({"user": auth["user"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def upstream():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d/events" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def start(daemon, upstream, *args, **kw):
    return daemon("--upstream", upstream, *args, **kw)


def users_of(rpc, **kw):
    return sorted((s["sid"], s["user"])
                  for s in rpc.call("sessions", **kw)["sessions"])


def test_sessions_presence_and_send_to_user(daemon, upstream, clients):
    """Two sockets of ann (socket.io-client 4.x and python-socketio), one of
    bob, one anonymous: sessions carry the user, filter by it, presence
    counts distinct users, an emit to ann reaches both of hers only."""
    d = start(daemon, upstream)
    ann1 = clients("v4", d, auth={"user": "ann"})
    ann2 = clients("py", d, auth={"user": "ann"})
    bob = clients("v4", d, auth={"user": "bob"})
    anon = clients("v4", d, auth={})
    rpc = d.rpc()
    assert rpc.call("session", sid=ann1.sid)["session"]["user"] == "ann"
    assert rpc.call("session", sid=anon.sid)["session"]["user"] is None
    # the user's room is no channel anyone sees
    assert rpc.call("session", sid=ann1.sid)["session"]["channels"] == []
    assert rpc.call("channels")["channels"] == []
    assert users_of(rpc, user="ann") == sorted([(ann1.sid, "ann"),
                                                (ann2.sid, "ann")])
    assert users_of(rpc, user="nobody") == []
    for h in (ann1, ann2, bob, anon):
        h.subscribe("room")
    p = rpc.call("presence", channel="room")
    assert p["users"] == {"ann": 2, "bob": 1}
    assert (p["sockets"], p["anonymous"], p["truncated"]) == (4, 1, False)
    assert rpc.call("presence")["users"] == {"ann": 2, "bob": 1}
    assert rpc.call("presence", channel="room", limit=1)["truncated"] is True
    assert rpc.call("emit", user="ann", event="note",
                    args=["for ann"])["recipients"] == 2
    assert rpc.call("send", user="bob", message="hi bob")["recipients"] == 1
    assert ann1.wait_event("note") == ["for ann"]
    assert ann2.wait_event("note") == ["for ann"]
    assert bob.wait_event("message") == ["hi bob"]
    assert bob.events("note") == [] and anon.events("note") == []
    # nobody joins a user's room by name: not a client, not the RPC
    assert anon.subscribe("socketiod:user:ann") == ["reserved channel name"]
    with pytest.raises(RpcError):
        rpc.call("join", sid=anon.sid, channel="socketiod:user:ann")
    with pytest.raises(RpcError):
        rpc.call("emit", user="ann", channel="room", event="x")
    st = rpc.call("stats")
    assert st["users"] == 2
    ann2.disconnect()
    wait_until(lambda: rpc.call("presence", channel="room")["users"] ==
               {"ann": 1, "bob": 1}, what="ann down to one socket")
    ann1.disconnect()
    wait_until(lambda: rpc.call("stats")["users"] == 1, what="ann gone")


def test_presence_events_first_and_last_socket_only(daemon, upstream,
                                                    clients):
    d = start(daemon, upstream, "--presence", "chat:,doc:")
    watcher = clients("v4", d, auth={})
    watcher.subscribe("chat:1")
    ann1 = clients("v4", d, auth={"user": "ann"})
    ann2 = clients("v4", d, auth={"user": "ann"})
    bob = clients("py", d, auth={"user": "bob"})
    rpc = d.rpc()

    def seen(kind):
        return [a[0] for a in watcher.events("presence:" + kind)]

    ann1.subscribe("chat:1")
    wait_until(lambda: len(seen("join")) == 1, what="ann's join")
    assert seen("join") == [{"channel": "chat:1", "user": "ann",
                             "sockets": 1}]
    ann2.subscribe("chat:1")  # her second tab: no event
    bob.subscribe("chat:1")
    wait_until(lambda: len(seen("join")) == 2, what="bob's join")
    assert seen("join")[1]["user"] == "bob"
    # the joining socket hears its own join too
    assert bob.wait_event("presence:join")[0]["user"] == "bob"
    ann1.unsubscribe("chat:1")  # one tab left: no event
    bob.subscribe("news")       # not a --presence channel
    rpc.call("emit", channel="chat:1", event="mark", args=[])
    watcher.wait_event("mark")
    assert seen("leave") == []
    ann2.disconnect()           # her last tab leaves by going away
    wait_until(lambda: len(seen("leave")) == 1, what="ann's leave")
    assert seen("leave") == [{"channel": "chat:1", "user": "ann",
                              "sockets": 0}]
    rpc.call("leave", sid=bob.sid, channel="chat:1")
    wait_until(lambda: len(seen("leave")) == 2, what="bob's leave")
    assert len(seen("join")) == 2
    assert rpc.call("stats")["presence_events"] == 4


@pytest.mark.parametrize("raw,why", [
    ('"a\\u0000b"', "NUL"),
    ('"\\u0007"', "control character"),
    ('""', "empty"),
    (1 << 20, "1 MB"),
    (257, "one byte over"),
    ("42", "not a string"),
])
def test_hostile_user_refused_and_counted(daemon, upstream, clients, raw,
                                          why):
    """A user id the app got from a client's text: the socket connects
    without a user, the refusal is counted."""
    d = start(daemon, upstream)
    rpc = d.rpc()
    before = rpc.call("stats")
    h = clients("v4", d, auth={"big_user" if isinstance(raw, int) and raw > 99
                               else "raw_user": raw})
    assert rpc.call("session", sid=h.sid)["session"]["user"] is None, why
    after = rpc.call("stats")
    assert after["users_refused"] == before["users_refused"] + 1, why
    assert after["users"] == 0
    assert "socketiod:user" not in json.dumps(rpc.call("sessions"))


@pytest.mark.parametrize("raw,why", [
    ('"\\ud800x"', "lone surrogate"),
    ('"\xff\xfe"', "raw invalid UTF-8"),
])
def test_user_not_utf8_refuses_the_answer(daemon, upstream, clients, node,
                                          raw, why):
    """Invalid UTF-8, raw or as an escape, makes the whole answer no strict
    JSON (docs/upstream.md): the connect is refused as any bad answer."""
    d = start(daemon, upstream)
    rpc = d.rpc()
    h = NodeHandle(node("v4"), "bad")
    h.connect(d.url, auth={"raw_user": raw}, wait=False)
    ev = h.node.wait_for(lambda e: e.get("cid") == "bad" and
                         e["ev"] == "connect_error", what="connect_error")
    assert ev["message"] == "upstream_bad_response", why
    st = rpc.call("stats")
    assert st["upstream_bad_responses"] == 1 and st["users"] == 0


def test_rpc_refuses_bad_user_ids(daemon):
    d = daemon()
    rpc = d.rpc()
    for bad in ("", "x" * 257, "a\x01b", 7):
        with pytest.raises(RpcError):
            rpc.call("emit", user=bad, event="x")
    # a "\u0000" written in the request: cJSON would read "a"
    rpc.send_raw(b'{"id":"raw","method":"sessions","params":'
                 b'{"user":"a\\u0000b"}}\n')
    resp = rpc.wait_unmatched(lambda m: m.get("id") == "raw")
    assert resp["error"]["message"] == "user id with a control character " \
        "or not UTF-8"
    assert rpc.call("stats")["users_refused"] == 5


def test_send_to_user_across_the_fleet(daemon, upstream, clients,
                                       redis):  # noqa: F811
    """Two socketiod nodes on one Redis: ann has a socket on each; an emit
    to ann from either node's RPC reaches both, bob's socket hears
    nothing; sessions and presence by user are fleet-wide."""
    url = redis.url
    a = start(daemon, upstream, "--redis", url, "--presence", "*", name="a")
    b = start(daemon, upstream, "--redis", url, "--presence", "*", name="b")
    ann_a = clients("v4", a, auth={"user": "ann"})
    ann_b = clients("py", b, auth={"user": "ann"})
    bob_b = clients("v4", b, auth={"user": "bob"})
    for h in (ann_a, ann_b, bob_b):
        h.subscribe("room")
    ra, rb = joined(a), joined(b)
    wait_until(lambda: len(ra.call("sessions", user="ann")["sessions"]) == 2,
               what="ann's sockets on both nodes")
    assert {s["user"] for s in rb.call("sessions")["sessions"]} == {
        "ann", "bob"}
    assert ra.call("emit", user="ann", event="note", args=[1])[
        "recipients"] == 1  # this node's part; the other's is published
    assert ann_a.wait_event("note") == [1]
    assert ann_b.wait_event("note") == [1]
    rb.call("send", user="ann", message="two")
    assert ann_a.wait_event("message") == ["two"]
    assert ann_b.wait_event("message") == ["two"]
    assert bob_b.events("note") == [] and bob_b.events("message") == []
    p = ra.call("presence", channel="room")
    assert p["users"] == {"ann": 2, "bob": 1} and "incomplete" not in p
    assert ra.call("presence", channel="room", local=True)["users"] == {
        "ann": 1}


def socketioctl(d, *args):
    exe = os.environ.get("SOCKETIOCTL", "build-asan/socketioctl")
    return subprocess.run([exe, "-s", d.rpc_path] + list(args),
                          capture_output=True, text=True, timeout=30)


def test_socketioctl_users_and_presence(daemon, upstream, clients):
    d = start(daemon, upstream)
    ann = clients("v4", d, auth={"user": "ann"})
    anon = clients("py", d, auth={})
    ann.subscribe("room")
    anon.subscribe("room")
    p = socketioctl(d, "sessions")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    col = lines[0].split().index("USER")
    rows = {ln.split()[0]: ln.split()[col] for ln in lines[1:]}
    assert rows == {ann.sid: "ann", anon.sid: "-"}
    p = socketioctl(d, "sessions", "--user", "ann")
    assert [ln.split()[0] for ln in p.stdout.splitlines()[1:]] == [ann.sid]
    p = socketioctl(d, "session", ann.sid)
    assert "user" in p.stdout and "ann" in p.stdout
    p = socketioctl(d, "presence", "room")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["USER  SOCKETS", "ann   1",
                                     "2 sockets, 1 without a user"]
    p = socketioctl(d, "emit", "note", '"hi"', "--user", "ann")
    assert p.stdout == "1 recipient\n", p.stdout
    assert ann.wait_event("note") == ["hi"]
    p = socketioctl(d, "send", '"x"', "--user", "ann", "--channel", "room")
    assert p.returncode == 1 and "exclude each other" in p.stderr
