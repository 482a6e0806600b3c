"""socketiod behind real web servers from Debian, with the configs in etc/.

nginx with fastcgi_pass and scgi_pass (WebSocket through proxy_pass with
Upgrade), Apache with mod_proxy_fcgi, mod_proxy_scgi and mod_fcgid spawn
mode (WebSocket through mod_proxy_wstunnel): socket.io-client connects
through the web server's port, polling only and then upgrading; it joins a
channel, receives an RPC broadcast, and its events reach the upstream test
app (tests/e2e/apps/upstream_app.py over plain HTTP), whose answer comes
back as the ack. Every server is started on free ports in the test's
directory and stopped at the end, also when the test fails."""
import shutil

import pytest

from bridge_lib import Nginx, templated
from e2e_lib import free_port, wait_until
from test_upstream import SECRET, App


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    a = App("http", tmp_path_factory.mktemp("bridge-app"))
    yield a
    a.stop()


@pytest.fixture
def secret_file(tmp_path):
    p = tmp_path / "upstream.secret"
    p.write_text(SECRET + "\n")
    return p


@pytest.fixture
def servers():
    """servers(cls, subdir) -> a Server; each is stopped at teardown."""
    made = []

    def make(cls, workdir):
        s = cls(workdir)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def start_daemon(daemon, app, secret_file, front, port):
    return daemon("--" + front, "127.0.0.1:%d" % port,
                  "--upstream", app.url, "--upstream-secret",
                  str(secret_file), "--trusted-proxies", "127.0.0.1")


def exercise(clients, d, server, app, mode, kind="v4", channel="room"):
    """One client through `server`: connect, join, broadcast, event."""
    h = clients(kind, server, mode=mode)
    want = "websocket" if mode in ("websocket", "upgrade") else "polling"
    assert h.transport() == want
    assert h.subscribe(channel) == [None, channel]
    h.wait_event("subscribed", lambda args: args == [channel])
    rpc = d.rpc()
    assert rpc.call("emit", event="news", args=["through " + mode],
                    channel=channel)["recipients"] >= 1
    assert h.wait_event("news") == ["through " + mode]
    assert h.emit("echo", "hello app", ack=True) == ["hello app"]
    wait_until(lambda: app.records(h.sid, type="event", event="echo"),
               what="the event at the app")
    s = rpc.call("session", sid=h.sid)["session"]
    assert s["remote_addr"] == "127.0.0.1" and s["transport"] == want
    return h


@pytest.mark.skipif(shutil.which("nginx") is None, reason="no nginx")
@pytest.mark.parametrize("front", ["fcgi", "scgi"])
@pytest.mark.timeout(90)
def test_nginx(daemon, clients, servers, app, secret_file, tmp_path, front):
    port = free_port()
    d = start_daemon(daemon, app, secret_file, front, port)
    conf = "socketiod-fastcgi.conf" if front == "fcgi" else \
        "socketiod-scgi.conf"
    web = free_port()
    site = templated("nginx/" + conf, {
        "listen 80;": "listen 127.0.0.1:%d;" % web,
        "127.0.0.1:%d;" % (9001 if front == "fcgi" else 9002):
            "127.0.0.1:%d;" % port,
        "127.0.0.1:9000;": "127.0.0.1:%d;" % d.port,
    })
    ngx = servers(Nginx, tmp_path / "nginx").start(site, web)
    a = exercise(clients, d, ngx, app, "polling")
    b = exercise(clients, d, ngx, app, "upgrade", kind="v2")
    # Both fronts reach the same sessions and channels.
    rpc = d.rpc()
    assert rpc.call("emit", event="all", args=[1], channel="room")[
        "recipients"] == 2
    assert a.wait_event("all") == [1] and b.wait_event("all") == [1]
    # The served client script comes through the front too.
    import urllib.request
    with urllib.request.urlopen(ngx.url + "/socket.io/socket.io.js",
                                timeout=10) as r:
        assert r.status == 200 and len(r.read()) > 10000
