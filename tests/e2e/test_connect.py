"""Connecting to "/" and to a namespace with every client and transport,
as the control RPC sees it."""

import time

import pytest

from e2e_lib import KINDS, MODES, RpcError, session_sids, wait_until


def expected_transport(mode):
    return "polling" if mode == "polling" else "websocket"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_connect_root_and_namespace(daemon, clients, kind, mode):
    d = daemon()
    rpc = d.rpc()
    t0 = time.time()
    root = clients(kind, d, "/", mode, auth={"token": "root-secret"})
    chat = clients(kind, d, "/chat", mode, auth={"token": "chat-secret"})
    assert root.sid and chat.sid and root.sid != chat.sid

    # socket.io-client 2.x also gets a "/" socket for its /chat connection
    # (protocol v4 connects everyone to "/"), so compare per namespace.
    assert session_sids(rpc, namespace="/chat") == [chat.sid]
    assert root.sid in session_sids(rpc, namespace="/")
    assert chat.sid not in session_sids(rpc, namespace="/")

    def upgraded():
        # The server learns of the upgrade a moment after the client.
        ss = {s["sid"]: s for s in rpc.call("sessions")["sessions"]}
        return all(ss[h.sid]["transport"] == expected_transport(mode)
                   for h in (root, chat)) and ss
    sessions = wait_until(upgraded, timeout=5,
                          what="sessions to show the %s transport" % mode)
    for h, ns in ((root, "/"), (chat, "/chat")):
        s = sessions[h.sid]
        assert s["namespace"] == ns
        assert s["remote_addr"] == "127.0.0.1"
        assert isinstance(s["remote_port"], int) and s["remote_port"] > 0
        assert s["protocol"] == h.expected_protocol()
        assert s["channels"] == []
        assert isinstance(s["eio_sid"], str) and s["eio_sid"]
        assert t0 - 5 <= s["connected_at"] <= time.time() + 5
        one = rpc.call("session", sid=h.sid)["session"]
        assert one["sid"] == h.sid and one["namespace"] == ns

    # the two sockets are separate connections
    assert sessions[root.sid]["eio_sid"] != sessions[chat.sid]["eio_sid"]
    assert h.transport() == expected_transport(mode)

    # a client that leaves is gone from the list
    chat.disconnect()
    wait_until(lambda: session_sids(rpc, namespace="/chat") == [],
               timeout=5, what="the /chat socket to go")
    assert root.sid in session_sids(rpc, namespace="/")


@pytest.mark.parametrize("kind", KINDS)
def test_two_clients_get_distinct_sids_and_ports(daemon, clients, kind):
    d = daemon()
    rpc = d.rpc()
    a = clients(kind, d)
    b = clients(kind, d)
    assert a.sid != b.sid
    sa = rpc.call("session", sid=a.sid)["session"]
    sb = rpc.call("session", sid=b.sid)["session"]
    assert sa["remote_port"] != sb["remote_port"]
    assert sa["eio_sid"] != sb["eio_sid"]


def test_session_of_unknown_sid(daemon):
    d = daemon()
    rpc = d.rpc()
    with pytest.raises(RpcError) as e:
        rpc.call("session", sid="no-such-sid")
    assert e.value.code == -32001
    assert rpc.call("sessions")["sessions"] == []
