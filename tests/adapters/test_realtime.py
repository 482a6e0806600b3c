"""realtime (django-realtime's API) against the real daemon: every signal
fires with the right arguments, Event acks, connected_sockets lists and
drives live sockets, rungevent is the runner."""
import threading

import pytest

from e2e_lib import wait_until


@pytest.fixture
def received():
    """Receivers on every realtime signal, recording (signal, sender sid,
    kwargs); disconnected after the test."""
    from realtime import signals
    got = []
    lock = threading.Lock()
    hooked = []

    def hook(sig, name, fn=None):
        def receiver(sender, **kw):
            with lock:
                got.append((name, sender.session.session_id, kw))
            if fn:
                fn(sender, **kw)
        sig.connect(receiver, weak=False)
        hooked.append((sig, receiver))

    def on_chat(sender, request, event, **kw):
        if event.acknowledgeable():
            event.ack("got", event.data, event.acknowledged())

    def on_connected(sender, request, **kw):
        sender.emit("hello", request.COOKIES.get("flavour"))

    def on_message(sender, request, message, **kw):
        sender.broadcast_send({"from": sender.session.session_id,
                               "message": message})

    hook(signals.socket_connected, "connected", on_connected)
    hook(signals.socket_disconnected, "disconnected")
    hook(signals.socket_client_message, "message", on_message)
    hook(signals.socket_client_event, "event")
    hook(signals.socket_client_event_by_type["chat"], "chat", on_chat)
    yield got
    for sig, r in hooked:
        sig.disconnect(r)


def of(got, name):
    return [g for g in got if g[0] == name]


def test_signals_fire_with_their_arguments(daemon, clients, received):
    d = daemon("/realtime/events")
    a = clients("v4", d, extra_opts={"extraHeaders": {
        "Cookie": "flavour=lime"}})
    b = clients("v4", d)
    assert a.wait_event("hello") == ["lime"]
    (_, sid, kw), = [g for g in of(received, "connected") if g[1] == a.sid]
    assert kw["request"].COOKIES["flavour"] == "lime"
    # socket.send() in the client -> socket_client_message
    a.emit("message", "hi all")
    assert b.wait_event("message") == [{"from": a.sid, "message": "hi all"}]
    (_, sid, kw), = of(received, "message")
    assert sid == a.sid and kw["message"] == "hi all"
    # an event: socket_client_event and the by-type signal; ack
    assert a.emit("chat", 1, "two", ack=True) == ["got", [1, "two"], False]
    ev = [g for g in of(received, "event") if g[2]["event"].name == "chat"]
    assert ev[0][2]["event"].data == [1, "two"]
    assert ev[0][2]["event"].acknowledged()
    # without a callback: not acknowledgeable, no by-type ack needed
    a.emit("other", 3)
    wait_until(lambda: [g for g in of(received, "event")
                        if g[2]["event"].name == "other"], what="other")
    other = [g for g in of(received, "event")
             if g[2]["event"].name == "other"][0][2]["event"]
    assert not other.acknowledgeable() and other.data == [3]
    assert len(of(received, "chat")) == 1
    a.disconnect()
    wait_until(lambda: of(received, "disconnected"), what="disconnected")
    assert of(received, "disconnected")[0][1] == a.sid


def test_a_late_disconnect_fires_socket_disconnected(django_server,
                                                    received):
    """A disconnect the daemon kept while Django was down: the signal
    fires with the socket's sid and late=True (False for a live one)."""
    from django.core.handlers.wsgi import WSGIHandler
    from socketiod.testing import EventClient
    from conftest import SECRET
    late = EventClient(WSGIHandler(), SECRET, path="/realtime/events")
    live = EventClient(WSGIHandler(), SECRET, path="/realtime/events")
    for c in (late, live):
        c.connect()
    late.disconnect(reason="ping timeout", late=True)
    live.disconnect()
    got = [(sid, kw["late"]) for _, sid, kw in of(received, "disconnected")]
    assert got == [(late.sid, True), (live.sid, False)]


def test_connected_sockets(daemon, clients):
    import realtime
    d = daemon("/realtime/events")
    a, b = clients("v4", d), clients("py", d)
    wait_until(lambda: len(realtime.connected_sockets) == 2, what="two")
    socks = {s.session.session_id: s for s in realtime.connected_sockets}
    assert set(socks) == {a.sid, b.sid}
    socks[a.sid].send("direct")
    assert a.wait_event("message") == ["direct"]
    socks[b.sid].emit("notice", 1, 2, "!!!")
    assert b.wait_event("notice") == [1, 2, "!!!"]
    socks[a.sid].broadcast_emit("notice", "not a")
    assert b.wait_event("notice", lambda x: x == ["not a"])
    socks[b.sid].broadcast_send("from b")
    assert a.wait_event("message", lambda x: x == ["from b"])
    assert a.events("notice") == []


def test_rungevent_is_the_runner(django_server):
    from django_socketio.management.commands.runserver_socketio import \
        Command as Runner
    from django.core.management import load_command_class
    cmd = load_command_class("realtime", "rungevent")
    assert isinstance(cmd, Runner)
    assert cmd.events_url_name == "realtime_events"
