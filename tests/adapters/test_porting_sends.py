"""Porting: a handler's socket sends as it did in the old projects, where
socket.send() went out at once (issue 15, item 5).

django-socketio's README: "the Socket.IO ``socket`` the event occurred
for"; its chat example and its own CLIENTS dict keep sockets beyond the
handler (``django_socketio.send(session_id, ...)`` used them later), and a
handler may run a while (a progress loop) sending as it goes. So:

- a socket kept after its handler returned (in a dict, used by a timer or
  a thread) still sends: over the control socket, or it raises;
- a long handler's sends reach the client while it runs, in order, and
  its ack comes after them.
"""
import threading
import time

import pytest

from e2e_lib import wait_until


@pytest.fixture
def handlers():
    """Named-event handlers of this test, removed afterwards."""
    from django_socketio import events
    added = []

    def on(name):
        def deco(fn):
            events.on(name)(fn)
            added.append(name)
            return fn
        return deco
    yield on
    for name in added:
        events.registry.named.pop(name, None)


def test_socket_kept_after_the_handler_still_sends(daemon, clients,
                                                   handlers):
    kept = {}

    @handlers("keep")
    def keep(request, socket, context):
        kept[socket.session.session_id] = socket
        return "kept"

    d = daemon()
    c = clients("v4", d)
    assert c.emit("keep", ack=True) == ["kept"]
    sock = kept[c.sid]
    # later, from another thread (a timer in the app)
    t = threading.Timer(0.05, lambda: sock.send({"later": 1}))
    t.start()
    t.join()
    assert c.wait_event("message") == [{"later": 1}]
    sock.emit("notice", "from a kept socket")
    assert c.wait_event("notice") == ["from a kept socket"]
    # when the control socket cannot be reached: it raises, never vanishes
    from socketiod import RpcClient, RpcUnavailable
    sock.rpc = RpcClient(str(d.workdir / "no-such.sock"), timeout=1)
    with pytest.raises(RpcUnavailable):
        sock.send("lost?")


def test_long_handler_sends_while_it_runs_in_order_with_ack(
        daemon, clients, handlers):
    running = threading.Event()
    finished = threading.Event()

    @handlers("work")
    def work(request, socket, context, steps):
        running.set()
        for i in range(steps):
            socket.send({"progress": i})
            time.sleep(0.4)
        finished.set()
        return "done"

    d = daemon()
    c = clients("v4", d)
    got = {}
    t = threading.Thread(target=lambda: got.setdefault(
        "ack", c.emit("work", 4, ack=True, timeout=20)))
    t.start()
    # the first progress reaches the client while the handler still runs
    assert c.wait_event("message", lambda a: a == [{"progress": 0}],
                        timeout=5)
    assert running.is_set() and not finished.is_set()
    t.join(25)
    assert got["ack"] == ["done"]
    # in order, every progress before the ack
    node = c.node
    seen = node.find(lambda e: e.get("cid") == c.cid and (
        e["ev"] == "ack" or (e["ev"] == "event" and e["event"] == "message")))
    assert [e["args"] if e["ev"] == "event" else "ack" for e in seen] == [
        [{"progress": 0}], [{"progress": 1}], [{"progress": 2}],
        [{"progress": 3}], "ack"]


def test_short_handler_still_answers_in_one_round_trip(daemon, clients,
                                                       handlers):
    """The ordinary case keeps its actions in the answer (no RPC)."""
    d = daemon()
    c = clients("v4", d)

    @handlers("quick")
    def quick(request, socket, context):
        socket.send("one")
        socket.send("two")
        return "ok"

    rpc = d.rpc()
    before = rpc.call("stats")
    assert c.emit("quick", ack=True) == ["ok"]
    wait_until(lambda: len(c.events("message")) == 2, what="two messages")
    assert c.events("message") == [["one"], ["two"]]
    after = rpc.call("stats")
    # the only control request in between is the stats call itself
    assert after["rpc_requests"] - before["rpc_requests"] == 1
