"""The shared core on its own: the RPC client (pipelined, thread-safe,
reconnecting), signatures, the registry's channel rules, the context
round trip, and the testing helpers (EventClient against Django and
web.py apps, Daemon)."""
import threading

import pytest

from socketiod import (NoSuchSession, Registry, RpcClient, RpcError,
                       RpcUnavailable, SignatureError)
from socketiod.registry import EventError
from socketiod.signature import check, sign, verify
from socketiod.upstream import dump_context, load_context


def test_rpc_client_pipelines_across_threads(daemon, clients):
    d = daemon()
    c = clients("v4", d)
    rpc = RpcClient(d.rpc_path)
    # an acked emit waits for the client while other requests go on
    c.set_ack_reply(["pong"])
    slow = rpc.call_async("emit", event="ping", to=c.sid, ack=True,
                          timeout=3000)
    errors = []

    def worker():
        try:
            for _ in range(50):
                assert rpc.stats()["sockets"] == 1
                assert [s["sid"] for s in rpc.sessions()] == [c.sid]
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert slow.result(10) == {"recipients": 1, "args": ["pong"]}
    with pytest.raises(NoSuchSession) as e:
        rpc.join("nope", "x")
    assert e.value.code == -32001
    with pytest.raises(RpcError) as e:
        rpc.call("no-such-method")
    assert e.value.code == -32601
    # a broken connection fails what was in flight, and the next call
    # connects again
    rpc.close()
    assert rpc.stats()["sockets"] == 1
    rpc.close()


def test_rpc_client_unavailable(tmp_path):
    rpc = RpcClient(str(tmp_path / "nothing.sock"), timeout=1)
    with pytest.raises(RpcUnavailable, match="is socketiod running"):
        rpc.stats()


def test_signature():
    body = b'{"type":"connect"}'
    h = sign(body, "k", t=1000)
    assert h.startswith("t=1000,v1=")
    assert verify(h, body, "k", now=1100)
    assert not verify(h, body, "k", now=1000 + 301)      # stale
    assert not verify(h, body + b" ", "k", now=1000)     # altered
    assert not verify(h, body, "other", now=1000)
    for bad in ("", "t=x,v1=y", "v1=abc", None):
        assert not verify(bad, body, "k", now=1000)
    with pytest.raises(SignatureError, match="no secret"):
        check(h, body, "", now=1000)


def test_registry_channel_rules():
    reg = Registry()
    ran = []
    reg.on_message(lambda r, s, c, m: ran.append("plain"))
    reg.on_message(channel="^room-")(lambda r, s, c, m: ran.append("room"))
    reg.on_subscribe(channel="^room-")(lambda r, s, c, ch: ran.append(ch))
    with pytest.raises(EventError):
        reg.on_connect(lambda r, s, c: None, channel="x")

    class S:
        channels = []
    s = S()
    reg.on_message.send(None, s, {}, "m")
    s.channels = ["lobby"]
    reg.on_message.send(None, s, {}, "m")
    s.channels = ["lobby", "room-2"]
    reg.on_message.send(None, s, {}, "m")
    reg.on_subscribe.send(None, s, {}, "room-9")
    reg.on_subscribe.send(None, s, {}, "lobby")
    assert ran == ["plain", "room", "room-9"]
    named = reg.on("chat")(lambda r, s, c: "ack")
    assert reg.named["chat"].matching(["x"]) == [named]


class Thing:
    """Not JSON: kept in a context by pickling (a model instance, say)."""


def test_context_round_trip_pickles_what_json_cannot():
    raw = dump_context({"n": 1, "thing": Thing()}, ["room-1"])
    assert raw["data"]["n"] == 1 and "__pickle__" in raw["data"]["thing"]
    data, channels = load_context(raw)
    assert isinstance(data["thing"], Thing) and channels == ["room-1"]
    assert load_context(None) == ({}, [])
    assert load_context({"user": "foreign"}) == ({}, [])


def test_event_client_against_django(django_server, calls):
    from django.core.handlers.wsgi import WSGIHandler
    from django.contrib.auth.models import User
    from django.test import Client
    from socketiod.testing import EventClient
    from conftest import SECRET
    if not User.objects.filter(username="bea").exists():
        User.objects.create_user("bea", password="pw")
    web = Client()
    web.login(username="bea", password="pw")
    c = EventClient(WSGIHandler(), SECRET,
                    cookies={"sessionid": web.cookies["sessionid"].value})
    assert c.connect().get("allow", True)
    assert c.emitted("welcome")[0]["args"] == [c.sid]
    c.send("one")
    c.send("two")
    assert c.messages() == [{"echo": "one", "n": 1}, {"echo": "two", "n": 2}]
    assert c.emit("whoami", ack=True) == ["bea", None]
    c.subscribe("room-5")
    assert c.emit("add", 1, 2, ack=True) == [3]
    c.send("join-server")   # no: in a room now, the plain handler is quiet
    assert "server-side" not in c.channels
    c.disconnect()
    assert [x["name"] for x in calls][-3:] == [
        "room_disconnect", "room_unsubscribe", "room_finish"]
    refused = EventClient(WSGIHandler(), SECRET, query="token=bad").connect()
    assert refused["allow"] is False and refused["message"] == "bad token"
    with pytest.raises(Exception, match="403"):
        EventClient(WSGIHandler(), "wrong secret").connect()


def test_a_late_disconnect_runs_on_disconnect_and_on_finish(django_server,
                                                           calls):
    """A disconnect the daemon kept while Django was down: the handlers run
    as for any disconnect, with the socket's sid, context and channels and
    socket.late true; what they send goes in the answer (the daemon does
    not run it) and nothing chokes on the socket being gone."""
    from django.core.handlers.wsgi import WSGIHandler
    from socketiod.testing import EventClient
    from conftest import SECRET
    c = EventClient(WSGIHandler(), SECRET)
    c.connect()
    c.send("one")
    c.subscribe("room-7")
    del calls[:]
    resp = c.disconnect(reason="transport close", late=True)
    # In a room: its channel= handlers run (django-socketio's rule).
    assert [x["name"] for x in calls] == [
        "room_disconnect", "room_unsubscribe", "room_finish"]
    assert all(x["late"] is True and x["sid"] == c.sid for x in calls)
    assert all(x["context"]["n"] == 1 for x in calls)
    assert resp["actions"][0]["channel"] == "room-7"  # room_finish's send
    c2 = EventClient(WSGIHandler(), SECRET)
    c2.connect()
    del calls[:]
    c2.disconnect()
    assert calls and all(x["late"] is False for x in calls)


def test_testing_daemon(clients):
    from socketiod.testing import Daemon
    from e2e_lib import daemon_command
    with Daemon(binary=daemon_command()[0]) as d:
        rpc = RpcClient(d.rpc)
        assert rpc.stats()["sockets"] == 0

        class D:
            url = d.url
        c = clients("py", D)
        assert [s["sid"] for s in rpc.sessions()] == [c.sid]
        c.close()
        rpc.close()
    assert not d.alive()
