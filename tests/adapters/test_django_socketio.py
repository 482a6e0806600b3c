"""django_socketio against the real daemon and a real Django: every
decorator fires with the right arguments, channel patterns route,
context persists, request.user is the logged-in user, the out-of-band
functions reach clients and raise NoSocket, the endpoint refuses unsigned
requests, the template tag renders the client."""
import json
import time

import pytest

from e2e_lib import wait_until


def names(calls, sid=None):
    return [c["name"] for c in calls if sid is None or c["sid"] == sid]


def find(calls, name, sid=None):
    got = [c for c in calls if c["name"] == name and
           (sid is None or c["sid"] == sid)]
    assert got, "no call of %s in %r" % (name, names(calls))
    return got


@pytest.mark.parametrize("kind", ["v4", "v2", "py"])
def test_connect_message_and_context_persists(daemon, clients, calls, kind):
    d = daemon()
    c = clients(kind, d)
    # on_connect ran, with the socket's session id, and its emit arrived
    assert c.wait_event("welcome") == [c.sid]
    assert find(calls, "on_connect", c.sid)[0]["args"] == []
    for i in (1, 2, 3):
        c.emit("message", "m%d" % i)
        c.wait_event("message", lambda a: a[0].get("n") == i)
    msgs = find(calls, "on_message", c.sid)
    assert [m["args"] for m in msgs] == [["m1"], ["m2"], ["m3"]]
    # the context dict was kept by the daemon between events
    assert [m["context"]["n"] for m in msgs] == [1, 2, 3]
    assert msgs[0]["path"] == "/socket.io/"
    assert msgs[0]["remote"] == "127.0.0.1"


def test_named_event_ack_and_explicit_ack(daemon, clients, calls):
    d = daemon()
    c = clients("v4", d)
    assert c.emit("count", ack=True) == [1, "explicit"]
    assert c.emit("count", ack=True) == [2, "explicit"]
    # a channel-bound named handler does not run outside its channels
    assert c.emit("add", 2, 3, ack=True) == []
    c.subscribe("room-7")
    assert c.emit("add", 2, 3, ack=True) == [5]
    call = find(calls, "add_in_room", c.sid)[0]
    assert call["args"] == [2, 3] and call["channels"] == ["room-7"]


def test_request_user_is_the_logged_in_user(daemon, clients, calls,
                                            django_server):
    from django.contrib.auth.models import User
    from django.test import Client
    if not User.objects.filter(username="ann").exists():
        User.objects.create_user("ann", password="pw")
    web = Client()
    assert web.login(username="ann", password="pw")
    sessionid = web.cookies["sessionid"].value
    d = daemon()
    cookie = "sessionid=%s; flavour=mint" % sessionid
    c = clients("v4", d, extra_opts={"extraHeaders": {"Cookie": cookie}})
    assert c.emit("whoami", ack=True) == ["ann", "mint"]
    assert find(calls, "on_connect", c.sid)[0]["user"] == "ann"
    # and without the cookie: anonymous
    other = clients("v4", d)
    assert other.emit("whoami", ack=True) == [None, None]


def test_channel_patterns_route(daemon, clients, calls):
    d = daemon()
    a, b, c = (clients("v4", d) for _ in range(3))
    assert a.subscribe("room-1")[0] is None
    b.subscribe("room-1")
    c.subscribe("lobby")
    wait_until(lambda: len(find(calls, "room_subscribe")) == 2,
               what="two room subscribes")
    assert sorted(x["sid"] for x in find(calls, "room_subscribe")) == \
        sorted([a.sid, b.sid])
    assert find(calls, "room_subscribe", a.sid)[0]["args"] == ["room-1"]
    # As in django-socketio, an unpatterned handler runs only for a socket
    # in no channel: the plain on_subscribe never sees a subscribe.
    assert "on_subscribe" not in names(calls)
    a.emit("message", "hello room")
    assert b.wait_event("message") == [{"room": "hello room"}]
    call = find(calls, "room_message", a.sid)[0]
    assert call["args"] == ["hello room"] and call["channels"] == ["room-1"]
    assert not [x for x in calls if x["name"] == "on_message"
                and x["sid"] == a.sid]
    # a socket in a channel without a handler: nothing runs
    c.emit("message", "in the lobby")
    time.sleep(0.3)
    assert not [x for x in calls if x["sid"] == c.sid and
                x["name"] in ("on_message", "room_message")]
    assert a.events("message") == [] and c.events("message") == []


def test_unsubscribe_disconnect_finish(daemon, clients, calls):
    d = daemon()
    a, b = clients("v4", d), clients("v4", d)
    a.subscribe("room-2")
    b.subscribe("room-2")
    b.subscribe("room-3")
    b.unsubscribe("room-3")
    wait_until(lambda: find(calls, "room_unsubscribe", b.sid),
               what="unsubscribe")
    assert find(calls, "room_unsubscribe", b.sid)[0]["args"] == ["room-3"]
    a.disconnect()
    # the rest of the room hears about it from on_finish
    assert b.wait_event("message") == [{"left": a.sid}]
    wait_until(lambda: "room_finish" in names(calls, a.sid), what="finish")
    assert names(calls, a.sid)[-3:] == ["room_disconnect",
                                        "room_unsubscribe", "room_finish"]
    assert find(calls, "room_unsubscribe", a.sid)[0]["args"] == ["room-2"]
    assert find(calls, "room_finish", a.sid)[0]["channels"] == ["room-2"]
    # a socket in no channel gets the unpatterned ones
    c = clients("v4", d)
    c.wait_event("welcome")
    c.disconnect()
    wait_until(lambda: "on_finish" in names(calls, c.sid), what="finish")
    assert names(calls, c.sid)[-2:] == ["on_disconnect", "on_finish"]


def test_on_error_and_the_socket_lives_on(daemon, clients, calls):
    d = daemon()
    c = clients("v4", d)
    c.emit("message", "boom")
    assert c.wait_event("message") == [{"error": "boom"}]
    assert find(calls, "on_error", c.sid)[0]["args"] == ["ValueError('boom')"]
    c.emit("message", "after")
    assert c.wait_event("message", lambda a: a[0].get("echo") == "after")


def test_refused_connect(daemon, node):
    from e2e_lib import NodeHandle
    d = daemon()
    h = NodeHandle(node("v4"), "refused")
    h.connect(d.url, wait=False, extra_opts={"query": {"token": "bad"}})
    ev = node("v4").wait_for(lambda e: e.get("cid") == "refused" and
                             e["ev"] == "connect_error")
    assert ev["message"] == "bad token" and ev["data"] == {"why": "token"}


def test_server_side_subscribe(daemon, clients, calls):
    d = daemon()
    c = clients("v4", d)
    c.emit("message", "join-server")
    rpc = d.rpc()
    wait_until(lambda: c.sid in [s["sid"] for s in rpc.call(
        "sessions", channel="server-side")["sessions"]], what="join")
    c.emit("whoami", ack=True)
    assert find(calls, "whoami", c.sid)[0]["channels"] == ["server-side"]


def test_out_of_band_functions_and_nosocket(daemon, clients):
    import django_socketio
    from django_socketio import NoSocket
    d = daemon()
    with pytest.raises(NoSocket):
        django_socketio.broadcast({"nobody": 1})
    a, b = clients("v4", d), clients("py", d)
    a.subscribe("room-9")
    django_socketio.broadcast({"all": 1})
    assert a.wait_event("message", lambda x: x == [{"all": 1}])
    assert b.wait_event("message", lambda x: x == [{"all": 1}])
    django_socketio.broadcast_channel({"room": 9}, "room-9")
    assert a.wait_event("message", lambda x: x == [{"room": 9}])
    django_socketio.send(b.sid, "just you")
    assert b.wait_event("message", lambda x: x == ["just you"])
    time.sleep(0.2)
    assert [{"room": 9}] not in b.events("message")
    assert ["just you"] not in a.events("message")
    with pytest.raises(NoSocket, match="no clients on the channel: empty"):
        django_socketio.broadcast_channel("x", "empty")
    with pytest.raises(NoSocket, match="session ID: nope"):
        django_socketio.send("nope", "x")


def test_endpoint_refuses_bad_signatures(django_server):
    from django.test import Client
    from socketiod.signature import sign
    from conftest import SECRET
    body = json.dumps({"type": "event", "sid": "x", "event": "whoami",
                       "args": [], "ack_id": 1, "handshake": {},
                       "context": None}).encode()
    web = Client()

    def post(sig):
        return web.post("/socketio/events", body,
                        content_type="application/json",
                        HTTP_X_SOCKETIOD_SIGNATURE=sig)
    assert post("").status_code == 403
    assert post(sign(body, "wrong")).status_code == 403
    assert post(sign(body, SECRET, t=time.time() - 3600)).status_code == 403
    ok = post(sign(body, SECRET))
    assert ok.status_code == 200
    assert json.loads(ok.content)["ack"] == [None, None]
    assert web.get("/socketio/events").status_code == 405


def test_socketio_template_tag(django_server):
    from django.test import Client
    html = Client().get("/page/", HTTP_HOST="example.org:8000").content
    html = html.decode()
    assert '<script src="//example.org:9000/socket.io/socket.io.js">' in html
    assert "io.Socket = Compat" in html


def test_private_channels_refused_then_allowed(daemon, clients, calls):
    d = daemon("/socketio/events", "--private-channels")
    c = clients("v4", d)
    assert c.subscribe("private-1") == ["members only: private-1"]
    assert c.wait_event("subscribe_error") == ["private-1",
                                               "members only: private-1"]
    rpc = d.rpc()
    assert [s["channels"] for s in rpc.call("sessions")["sessions"]] == [[]]
    c.emit("whoami", ack=True)
    assert find(calls, "whoami", c.sid)[-1]["channels"] == []
    assert c.emit("vip", ack=True) == ["welcome"]
    assert c.subscribe("private-1")[0] is None
    assert [s["channels"] for s in rpc.call("sessions")["sessions"]] == \
        [["private-1"]]
    # the adapter's idea of the channels followed both answers
    c.emit("whoami", ack=True)
    assert find(calls, "whoami", c.sid)[-1]["channels"] == ["private-1"]
