"""Porting: inside handlers the request is the browser's, as in a normal
view (issue 15, items 2 and 3).

django-socketio's README: handlers get "the current Django ``request``";
django-realtime's receivers get ``request``; webpy-socketio's handlers run
inside web.py, where ``web.ctx`` is the request. So a production
``ALLOWED_HOSTS = ["example.org"]`` must let the sockets of example.org in
(the app sees the browser's Host), and ``request.META["REMOTE_ADDR"]`` /
``web.ctx.ip`` are the browser's address (after --trusted-proxies).
"""
import http.client
import json
import threading

import pytest

from e2e_lib import Daemon, free_port, wait_until


def polling_connect(port, host, xff=None):
    """A raw Engine.IO v4 polling client with the browser's ``host``:
    handshake, namespace connect; returns the packets of the first poll
    (``40{...}`` when the app allowed the socket, ``44...`` when not)."""
    hdrs = {"Host": host}
    if xff:
        hdrs["X-Forwarded-For"] = xff
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", "/socket.io/?EIO=4&transport=polling",
                     headers=hdrs)
        body = conn.getresponse().read().decode()
        sid = json.loads(body[1:])["sid"]
        url = "/socket.io/?EIO=4&transport=polling&sid=" + sid
        conn.request("POST", url, body="40", headers=hdrs)
        conn.getresponse().read()
        conn.request("GET", url, headers=hdrs)
        return conn.getresponse().read().decode()
    finally:
        conn.close()


@pytest.fixture
def seen():
    """An on_connect handler recording what the request says."""
    from django_socketio import events
    got = []

    def handler(request, socket, context):
        got.append({"host": request.get_host(),
                    "remote": request.META.get("REMOTE_ADDR")})
    events.on_connect(handler)
    yield got
    events.on_connect.handlers[:] = [h for h in events.on_connect.handlers
                                     if h[0] is not handler]


@pytest.fixture
def production_django(django_server):
    """The test project as in production: DEBUG off, CommonMiddleware,
    ALLOWED_HOSTS = ["example.org"] (served on its own port)."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import (ThreadedWSGIServer,
                                              WSGIRequestHandler)
    from django.test.utils import override_settings

    class Quiet(WSGIRequestHandler):
        def log_message(self, *a):
            pass
    with override_settings(
            DEBUG=False, ALLOWED_HOSTS=["example.org"],
            MIDDLEWARE=["django.middleware.common.CommonMiddleware"]
            + list(settings.MIDDLEWARE)):
        httpd = ThreadedWSGIServer(("127.0.0.1", free_port()), Quiet)
        httpd.daemon_threads = True
        httpd.set_app(WSGIHandler())
        t = threading.Thread(target=httpd.serve_forever, daemon=True)
        t.start()
        yield "http://127.0.0.1:%d" % httpd.server_address[1]
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def started(tmp_path):
    made = []

    def start(args):
        d = Daemon(tmp_path, args, name="hosts%d" % len(made))
        made.append(d)
        return d.start()
    yield start
    problems = []
    for d in made:
        problems += d.stop()
    assert not problems, problems


def test_allowed_hosts_sees_the_browsers_host(production_django, started,
                                              seen):
    d = started(["--upstream", production_django + "/socketio/events"])
    # the page's own host: allowed, and the handler sees it
    got = polling_connect(d.port, "example.org:%d" % d.port)
    assert got.startswith("40{"), got
    assert seen[-1]["host"] == "example.org:%d" % d.port
    # another host: refused by ALLOWED_HOSTS, as a view would be
    got = polling_connect(d.port, "evil.example:%d" % d.port)
    assert got.startswith("44"), got
    # a Host that is no host name is not passed on (the app sees the
    # daemon's, which ALLOWED_HOSTS refuses here)
    got = polling_connect(d.port, "example.org/x")
    assert got.startswith("44"), got


def test_remote_addr_is_the_browsers(django_server, started, seen):
    d = started(["--upstream", django_server.url("/socketio/events"),
                 "--trusted-proxies", "127.0.0.1"])
    got = polling_connect(d.port, "127.0.0.1:%d" % d.port,
                          xff="203.0.113.9")
    assert got.startswith("40{"), got
    assert seen[-1]["remote"] == "203.0.113.9"


def test_webpy_ctx_ip_is_the_browsers(started):
    import web
    import webpy_socketio
    from cheroot import wsgi
    from conftest import SECRET
    from webpy_socketio import events
    got = []

    def handler(request, socket, context):
        got.append({"ip": web.ctx.ip, "host": web.ctx.host,
                    "remote": request["REMOTE_ADDR"]})
    events.on_connect(handler)
    app = web.application(webpy_socketio.socketio_urls,
                          {"socketio": webpy_socketio.socketio})
    srv = wsgi.Server(("127.0.0.1", free_port()), app.wsgifunc(),
                      numthreads=2)
    srv.prepare()
    t = threading.Thread(target=srv.serve, daemon=True)
    t.start()
    before = (web.config.get("SOCKETIOD_SECRET"),
              web.config.get("SOCKETIOD_RPC"))
    try:
        web.config.SOCKETIOD_SECRET = SECRET
        d = started(["--upstream", "http://127.0.0.1:%d/socketio/events"
                     % srv.bind_addr[1], "--trusted-proxies", "127.0.0.1"])
        web.config.SOCKETIOD_RPC = d.rpc_path
        r = polling_connect(d.port, "example.org:%d" % d.port,
                            xff="198.51.100.4")
        assert r.startswith("40{"), r
        wait_until(lambda: got, what="the handler")
        assert got[-1] == {"ip": "198.51.100.4",
                           "host": "example.org:%d" % d.port,
                           "remote": "198.51.100.4"}
    finally:
        srv.stop()
        events.on_connect.handlers[:] = [
            h for h in events.on_connect.handlers if h[0] is not handler]
        web.config.SOCKETIOD_SECRET, web.config.SOCKETIOD_RPC = before
