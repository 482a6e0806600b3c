"""webpy_socketio against the real daemon and a real web.py app (served
in-process by cheroot, web.py's own server): the decorators, channel
routing, context, the request dict with the socket's cookies, the
out-of-band functions and NoSocket, signature checks, the client
snippet."""
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from e2e_lib import Daemon, free_port

import web
import webpy_socketio
from webpy_socketio import NoSocket, on, on_connect, on_finish, on_message

CALLS = []


def record(name, request, socket, context, *args):
    CALLS.append({"name": name, "sid": socket.session.session_id,
                  "args": list(args), "context": dict(context),
                  "channels": list(socket.channels),
                  "cookie": request.get("HTTP_COOKIE"),
                  "late": socket.late})


@on_connect
def connect(request, socket, context):
    context["seen"] = 0
    record("on_connect", request, socket, context)


@on_message
def message(request, socket, context, message):
    context["seen"] += 1
    record("on_message", request, socket, context, message)
    socket.send({"echo": message, "seen": context["seen"]})


@on_message(channel="^room-")
def room(request, socket, context, message):
    record("room", request, socket, context, message)
    socket.send_and_broadcast_channel({"room": message})


@on_finish(channel="^room-")
def finish(request, socket, context):
    record("finish", request, socket, context)
    socket.broadcast_channel({"left": socket.session.session_id})


@on("cookie")
def cookie(request, socket, context):
    return request.get("HTTP_COOKIE")


class index:
    def GET(self):
        return webpy_socketio.socketio_scripts()


@pytest.fixture(scope="module")
def webpy_server():
    from cheroot import wsgi
    app = web.application(("/", "index") + webpy_socketio.socketio_urls,
                          {"index": index, "socketio": webpy_socketio.socketio})
    port = free_port()
    srv = wsgi.Server(("127.0.0.1", port), app.wsgifunc(), numthreads=4)
    srv.prepare()
    t = threading.Thread(target=srv.serve, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % port
    srv.stop()


@pytest.fixture
def wdaemon(tmp_path, webpy_server):
    from conftest import SECRET
    del CALLS[:]
    web.config.SOCKETIOD_SECRET = SECRET
    d = Daemon(tmp_path, ["--upstream", webpy_server + "/socketio/events"])
    d.start()
    web.config.SOCKETIOD_RPC = d.rpc_path
    yield d
    problems = d.stop()
    assert not problems, problems


def test_handlers_context_and_cookies(wdaemon, clients):
    a = clients("v4", wdaemon, extra_opts={"extraHeaders": {
        "Cookie": "webpy_session_id=abc"}})
    for i in (1, 2):
        a.emit("message", "m%d" % i)
        assert a.wait_event("message", lambda x: x[0]["seen"] == i) == \
            [{"echo": "m%d" % i, "seen": i}]
    assert a.emit("cookie", ack=True) == ["webpy_session_id=abc"]
    first = [c for c in CALLS if c["name"] == "on_connect"][0]
    assert first["sid"] == a.sid and first["cookie"] == "webpy_session_id=abc"
    # channel routing, and on_finish telling the room
    b = clients("py", wdaemon)
    a.subscribe("room-1")
    b.subscribe("room-1")
    a.emit("message", "hi room")
    assert b.wait_event("message") == [{"room": "hi room"}]
    assert a.wait_event("message", lambda x: x == [{"room": "hi room"}])
    a.disconnect()
    assert b.wait_event("message", lambda x: x == [{"left": a.sid}])
    fin = [c for c in CALLS if c["name"] == "finish"][0]
    assert fin["channels"] == ["room-1"] and fin["context"]["seen"] == 2


def test_out_of_band_and_nosocket(wdaemon, clients):
    with pytest.raises(NoSocket):
        webpy_socketio.broadcast("nobody")
    a = clients("v4", wdaemon)
    a.subscribe("lobby")
    webpy_socketio.broadcast({"all": 1})
    assert a.wait_event("message", lambda x: x == [{"all": 1}])
    webpy_socketio.broadcast_channel("to lobby", "lobby")
    assert a.wait_event("message", lambda x: x == ["to lobby"])
    webpy_socketio.send(a.sid, "to a")
    assert a.wait_event("message", lambda x: x == ["to a"])
    with pytest.raises(NoSocket):
        webpy_socketio.broadcast_channel("x", "empty")
    with pytest.raises(NoSocket):
        webpy_socketio.send("nope", "x")


def test_a_late_disconnect_runs_on_finish(webpy_server):
    """A disconnect kept while the app was down (docs/upstream.md): web.py's
    on_finish runs with the sid, context and channels, socket.late true;
    its broadcast goes in the answer (the daemon does not run it)."""
    from conftest import SECRET
    from socketiod.testing import EventClient
    web.config.SOCKETIOD_SECRET = SECRET
    app = web.application(webpy_socketio.socketio_urls,
                          {"socketio": webpy_socketio.socketio}).wsgifunc()
    del CALLS[:]
    c = EventClient(app, SECRET)
    c.connect()
    c.subscribe("room-3")
    resp = c.disconnect(reason="transport close", late=True)
    fin = [x for x in CALLS if x["name"] == "finish"]
    assert len(fin) == 1 and fin[0]["sid"] == c.sid and fin[0]["late"]
    assert fin[0]["channels"] == ["room-3"] and fin[0]["context"] == {
        "seen": 0}
    assert resp["actions"][0]["channel"] == "room-3"


def test_endpoint_signature_and_snippet(webpy_server):
    from conftest import SECRET
    from socketiod.signature import sign
    web.config.SOCKETIOD_SECRET = SECRET
    body = json.dumps({"type": "event", "sid": "s1", "event": "cookie",
                       "args": [], "ack_id": 1, "context": None,
                       "handshake": {"HTTP_COOKIE": "k=v"}}).encode()

    def post(sig):
        req = urllib.request.Request(
            webpy_server + "/socketio/events", data=body,
            headers={"Content-Type": "application/json",
                     "X-Socketiod-Signature": sig})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, None
    assert post("t=1,v1=00")[0] == 403
    assert post(sign(body, "other"))[0] == 403
    assert post(sign(body, SECRET, t=time.time() - 1000))[0] == 403
    assert post(sign(body, SECRET)) == (200, {"ack": ["k=v"], "context": {
        "v": 1, "data": {}, "channels": []}})
    with urllib.request.urlopen(webpy_server + "/", timeout=10) as r:
        html = r.read().decode()
    assert '<script src="//127.0.0.1:9000/socket.io/socket.io.js">' in html
    assert "io.Socket = Compat" in html
