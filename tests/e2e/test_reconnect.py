"""Reconnection: after a daemon restart and after a dropped transport the
clients come back on their own and are in their channels again (the
socketiod extension re-subscribes JS clients; the python wrapper does the
same in its connect handler)."""

import time

import pytest

from e2e_lib import KINDS, session_sids, wait_until


# python-socketio 5.7 does not reconnect after an Engine.IO CLOSE packet,
# which a clean shutdown may send to polling clients: the python client is
# tested over polling in the crash variant below.
RESTART_CASES = [(k, m) for k in KINDS for m in ("websocket", "polling")
                 if (k, m) != ("py", "polling")]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kind,mode", RESTART_CASES)
def test_reconnect_after_daemon_restart(daemon, clients, kind, mode):
    d = daemon()
    _check_comeback(d, clients, kind, mode, d.restart)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kind", KINDS)
def test_reconnect_after_daemon_crash(daemon, clients, kind):
    d = daemon()
    _check_comeback(d, clients, kind, "polling", d.kill_and_start)


def _check_comeback(d, clients, kind, mode, restart):
    h = clients(kind, d, mode=mode)
    chat = clients(kind, d, "/chat", mode=mode)
    h.subscribe("news")
    h.subscribe("sport")
    chat.subscribe("news")
    old, old_chat = h.sid, chat.sid

    restart()
    rpc = d.rpc()
    h.wait_connect(2, timeout=20)
    chat.wait_connect(2, timeout=20)
    assert h.sid != old and chat.sid != old_chat
    wait_until(lambda: sorted(rpc.call("session", sid=h.sid)["session"]
                              ["channels"]) == ["news", "sport"],
               timeout=10, what="re-subscription to news and sport")
    assert session_sids(rpc, channel="news", namespace="/") == [h.sid]
    wait_until(lambda: session_sids(rpc, channel="news", namespace="/chat")
               == [chat.sid], timeout=10, what="/chat re-subscription")
    assert rpc.call("emit", event="after", channel="sport",
                    args=[1])["recipients"] == 1
    assert h.wait_event("after") == [1]
    assert rpc.call("emit", event="after", channel="news", namespace="/chat",
                    args=[2])["recipients"] == 1
    assert chat.wait_event("after") == [2]


@pytest.mark.parametrize("mode", ["websocket", "polling", "upgrade"])
@pytest.mark.parametrize("kind", ["v4", "v2"])
def test_reconnect_after_transport_drop(daemon, clients, kind, mode):
    d = daemon()
    rpc = d.rpc()
    h = clients(kind, d, mode=mode)
    other = clients(kind, d, mode=mode)
    h.subscribe("room")
    other.subscribe("room")
    old = h.sid
    h.drop_transport()
    h.wait_connect(2, timeout=15)
    assert h.sid != old
    wait_until(lambda: session_sids(rpc, channel="room") ==
               sorted([h.sid, other.sid]), timeout=10,
               what="the old sid to go and the new one to re-subscribe")
    assert rpc.call("emit", event="back", channel="room")["recipients"] == 2
    h.wait_event("back")
    other.wait_event("back")


@pytest.mark.parametrize("mode", ["websocket", "polling"])
@pytest.mark.parametrize("kind", KINDS)
def test_heartbeats_keep_clients_connected(daemon, clients, kind, mode):
    # Engine.IO v4 (4.x, python): the server pings; v3 (2.x): the client
    # pings. Either way a live client stays through many intervals.
    d = daemon("--ping-interval", "200", "--ping-timeout", "400")
    rpc = d.rpc()
    h = clients(kind, d, mode=mode)
    sid = h.sid
    time.sleep(2.5)
    assert session_sids(rpc) == [sid]
    assert rpc.call("emit", event="still-here", to=sid)["recipients"] == 1
    h.wait_event("still-here")
    assert h.sid == sid


@pytest.mark.parametrize("eio", [4, 3])
def test_silent_client_is_dropped(daemon, eio):
    import websocket
    d = daemon("--ping-interval", "200", "--ping-timeout", "300")
    rpc = d.rpc()
    ws = websocket.create_connection(
        "ws://127.0.0.1:%d/socket.io/?EIO=%d&transport=websocket" % (
            d.port, eio), timeout=5)
    try:
        assert ws.recv().startswith("0")
        if eio == 4:
            ws.send("40")
        assert ws.recv().startswith("40")
        wait_until(lambda: len(session_sids(rpc)) == 1, timeout=5,
                   what="the session to appear")
        t0 = time.monotonic()
        # never answer a ping (v4) / never send one (v3)
        wait_until(lambda: session_sids(rpc) == [], timeout=10,
                   what="the silent client to be dropped")
        assert time.monotonic() - t0 < 5
    finally:
        ws.close(timeout=1)
