"""Porting, in headless Chromium: pages written from the old projects'
READMEs, served with the adapters' template tags, against the real daemon
and Django (issue 15, items 1 and 4).

django-realtime's README template, as written:

    socket = io.connect(null, { transports: ['flashsocket', 'xhr-polling'] });
    socket.on('connect', ...); socket.on('disconnect', ...);
    socket.on('reconnecting', ...); socket.on('reconnect', ...);
    socket.on('error', function(e) { console.log('error: ' + e); });

django-socketio's README:

    var socket = new io.Socket();
    var roomID = 42;
    socket.connect();
    socket.on('connect', function() {
        socket.subscribe('room-' + roomID);
    });
"""
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from e2e_lib import free_port, node_modules_dir, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = os.environ.get("SOCKETIOD_CHROMIUM", "/usr/bin/chromium")

LOG_JS = """<script>
window.LOG = [];
function log(x) { console.log(x); LOG.push(x); }
</script>"""

# django-realtime: its template tag and its README's client code (the
# ?bad and ?attempts variants add a refused token / a bounded retry).
REALTIME_PAGE = """<html><head>{% load socketio %}{% socketio_client_script %}
""" + LOG_JS + """<script>
var options = { transports: ['flashsocket', 'xhr-polling'] };
if (location.search.indexOf('bad') >= 0) options.query = {token: 'bad'};
if (location.search.indexOf('attempts') >= 0) {
    options.reconnectionAttempts = 2;
    options.reconnectionDelay = 100;
    options.reconnectionDelayMax = 200;
}
socket = io.connect(null, options);
socket.on('connect', function() { log('connected'); });
socket.on('disconnect', function() { log('disconnected'); });
socket.on('reconnecting', function() { log('reconnecting'); });
socket.on('reconnect', function() { log('reconnected'); });
socket.on('reconnect_failed', function() { log('reconnect_failed'); });
socket.on('error', function(e) { log('error: ' + e); });
socket.on('message', function(message) { log('received: ' + JSON.stringify(message)); });
</script></head><body></body></html>"""

# django-socketio: its template tag and its README's channel example; the
# ?old variant passes a Socket.IO 0.6 transports list.
SOCKETIO_PAGE = """<html><head>{% load socketio_tags %}{% socketio %}
""" + LOG_JS + """<script>
var socket = location.search.indexOf('old') >= 0
    ? new io.Socket(null, {transports: ['htmlfile', 'xhr-multipart', 'xhr-polling', 'jsonp-polling', 'websocket']})
    : new io.Socket();
var roomID = 42;
socket.connect();
socket.on('connect', function() {
    log('connected');
    socket.subscribe('room-' + roomID);
});
socket.on('message', function(message) { log(message); });
</script></head><body></body></html>"""

PAGES = {"/realtime": REALTIME_PAGE, "/socketio": SOCKETIO_PAGE}


class Browser:
    """tests/adapters/browser/pages.js: open pages, wait for expressions."""

    def __init__(self):
        env = dict(os.environ, NODE_PATH=node_modules_dir())
        self.p = subprocess.Popen(
            ["node", os.path.join(HERE, "browser", "pages.js"),
             json.dumps({"chromium": CHROMIUM})], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def _cmd(self, **c):
        self.p.stdin.write(json.dumps(c) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        r = json.loads(line) if line else {"ok": False, "error": "node exited"}
        assert r["ok"], "browser: %s\n%s" % (r.get("error"),
                                              "\n".join(r.get("logs", [])))
        return r.get("value")

    def open(self, page, url):
        return self._cmd(cmd="open", id=page, url=url)

    def wait(self, page, expr, timeout=15):
        return self._cmd(cmd="wait", id=page, expr=expr,
                         timeout=int(timeout * 1000))

    def eval(self, page, expr):
        return self._cmd(cmd="eval", id=page, expr=expr)

    def close(self):
        try:
            self.p.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(5)


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("no %s (apt-get install chromium)" % CHROMIUM)
    if not os.path.isdir(os.path.join(node_modules_dir(), "playwright-core")):
        pytest.skip("no playwright-core in tests/node_modules (npm ci)")
    b = Browser()
    yield b
    b.close()


@pytest.fixture
def page_server(django_server):
    """The README pages, rendered by Django's template engine with the
    adapters' tags, on their own port (another origin than the daemon)."""
    from django.template import Context, Template

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self):
            src = PAGES.get(self.path.split("?")[0])
            if src is None:
                self.send_error(404)
                return
            body = Template(src).render(Context({})).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", free_port()), Pages)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def socketio_url():
    from django.conf import settings
    before = getattr(settings, "SOCKETIO_URL", None)

    def use(url):
        settings.SOCKETIO_URL = url
    yield use
    settings.SOCKETIO_URL = before


def logged(browser, page, what, timeout=15):
    return browser.wait(page, "LOG.filter(function (x) { return x === %s; })"
                        ".length ? LOG : null" % json.dumps(what), timeout)


def test_old_client_options_and_listeners(browser, page_server, daemon,
                                          socketio_url, calls):
    d = daemon("/socketio/events", "--origins", page_server)
    socketio_url(d.url)
    # django-realtime's transports list: connects, over polling
    browser.open("rt", page_server + "/realtime")
    logged(browser, "rt", "connected")
    assert browser.eval("rt", "socket.io.engine.transport.name") == "polling"
    # django-socketio's README page, and one with a 0.6 transports list
    browser.open("dj", page_server + "/socketio")
    browser.open("old", page_server + "/socketio?old")
    for p in ("dj", "old"):
        logged(browser, p, "connected")
    sid = browser.eval("dj", "socket.id")
    wait_until(lambda: [c for c in calls if c["name"] == "room_subscribe"
                        and c["sid"] == sid], what="the room subscribe")
    # a refused connect fires the old 'error' listener with the message
    browser.open("bad", page_server + "/realtime?bad")
    logged(browser, "bad", "error: bad token")

    # the daemon goes away and comes back: the old listeners fire, the
    # page subscribes again, and the app sees one subscribe per socket
    d.kill_and_start()
    log = browser.wait("rt", "LOG.filter(function (x) { return x === "
                       "'connected'; }).length >= 2 ? LOG : null", 30)
    assert log.index("disconnected") < log.index("reconnecting") < \
        log.index("reconnected"), log
    assert "reconnect_failed" not in log
    sid2 = browser.wait("dj", "socket.connected && socket.id !== %s && "
                        "socket.id" % json.dumps(sid), 30)
    wait_until(lambda: [c for c in calls if c["name"] == "room_subscribe"
                        and c["sid"] == sid2], what="the new subscribe")
    browser.eval("dj", "socket.send('after the restart'), 1")
    wait_until(lambda: [c for c in calls if c["name"] == "room_message"
                        and c["sid"] == sid2], what="the room message")
    subs = [c for c in calls if c["name"] == "room_subscribe"
            and c["sid"] == sid2]
    assert [s["args"] for s in subs] == [["room-42"]], subs

    # gone for good: reconnect_failed after the bounded attempts
    browser.open("rtf", page_server + "/realtime?attempts")
    logged(browser, "rtf", "connected")
    assert not d.stop()
    logged(browser, "rtf", "reconnect_failed", 30)
    log = browser.eval("rtf", "LOG")
    after = log[len(log) - 1 - log[::-1].index("disconnected"):]
    assert after == ["disconnected", "reconnecting", "reconnecting",
                     "reconnect_failed"], log
    assert not [x for x in log if x.startswith("error")], log
