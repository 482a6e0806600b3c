"""TLS terminated at real nginx and apache2 from Debian, with the configs in
etc/: https:// and wss:// outside, plain HTTP (or FastCGI) to socketiod on
loopback. A self-signed certificate is made with `openssl req` at test
time; socket.io-client 4.x (node) trusts it as its CA (`ca`), connects
over https long-polling and over wss, gets an RPC broadcast and has its
event answered by the upstream app (both ways). Layouts: the plain
proxy_pass one (etc/nginx/socketiod-tls.conf, etc/apache2/socketiod-tls.conf)
and the FastCGI one with TLS added as docs/deployment.md says. A
same-origin https page passes the default Origin check through the proxy
(the proxy keeps Host and its port), another site's page is refused."""
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest

from bridge_lib import APACHE_MODULES, Apache, Nginx, templated
from e2e_lib import free_port, wait_until
from test_upstream import SECRET, App


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    a = App("http", tmp_path_factory.mktemp("tls-app"))
    yield a
    a.stop()


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """(certificate, key) of a self-signed certificate for 127.0.0.1."""
    d = tmp_path_factory.mktemp("tls-cert")
    crt, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", str(key), "-out", str(crt), "-days", "2",
         "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60)
    return crt, key


@pytest.fixture
def servers():
    made = []

    def make(cls, workdir):
        s = cls(workdir)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


class Https:
    """What the clients fixture needs of a server: its (https) URL."""

    def __init__(self, port):
        self.port = port
        self.url = "https://127.0.0.1:%d" % port


def exercise(clients, d, url, app, cert, mode, channel):
    """One socket.io-client 4.x through `url`, trusting only our
    certificate: connect, join, an RPC broadcast in, an event out to the
    app and its ack back."""
    ca = cert[0].read_text()
    h = clients("v4", Https(0) if url is None else url, mode=mode,
                extra_opts={"ca": ca, "rejectUnauthorized": True})
    want = "websocket" if mode == "upgrade" else "polling"
    assert h.transport() == want
    assert h.subscribe(channel) == [None, channel]
    h.wait_event("subscribed", lambda args: args == [channel])
    rpc = d.rpc()
    assert rpc.call("emit", event="news", args=["over " + mode],
                    channel=channel)["recipients"] == 1
    assert h.wait_event("news") == ["over " + mode]
    assert h.emit("echo", "hello over TLS", ack=True) == ["hello over TLS"]
    wait_until(lambda: app.records(h.sid, type="event", event="echo"),
               what="the event at the app")
    s = rpc.call("session", sid=h.sid)["session"]
    assert s["remote_addr"] == "127.0.0.1" and s["transport"] == want
    return h


def origin_checks(url, cert):
    """A handshake from a page of this https site passes the default
    same-origin check (the proxy kept Host:port); another site's does not."""
    ctx = ssl.create_default_context(cafile=str(cert[0]))

    def handshake(origin):
        r = urllib.request.Request(
            url.url + "/socket.io/?EIO=4&transport=polling",
            headers={"Origin": origin})
        try:
            with urllib.request.urlopen(r, timeout=10, context=ctx) as resp:
                return resp.status, resp.headers.get(
                    "Access-Control-Allow-Origin"), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, None, e.read()

    status, acao, body = handshake(url.url)
    assert status == 200 and acao == url.url and body[:1] == b"0", body
    status, acao, _ = handshake("https://evil.example")
    assert status == 403 and acao is None


def run_both(clients, d, url, app, cert):
    exercise(clients, d, url, app, cert, "polling", "tls-poll")
    exercise(clients, d, url, app, cert, "upgrade", "tls-ws")
    origin_checks(url, cert)
    # The client script itself, over https.
    ctx = ssl.create_default_context(cafile=str(cert[0]))
    with urllib.request.urlopen(url.url + "/socket.io/socket.io.js",
                                timeout=10, context=ctx) as r:
        assert r.status == 200 and len(r.read()) > 10000


def start_daemon(daemon, app, tmp_path, *front):
    secret = tmp_path / "upstream.secret"
    secret.write_text(SECRET + "\n")
    return daemon(*front, "--upstream", app.url, "--upstream-secret",
                  str(secret), "--trusted-proxies", "127.0.0.1")


def nginx_ssl_lines(cert):
    return ("ssl_certificate %s;\n    ssl_certificate_key %s;\n" %
            (cert[0], cert[1]))


@pytest.mark.skipif(shutil.which("nginx") is None, reason="no nginx")
@pytest.mark.parametrize("layout", ["proxy_pass", "fastcgi"])
@pytest.mark.timeout(90)
def test_nginx_tls(daemon, clients, servers, app, cert, tmp_path, layout):
    web = free_port()
    if layout == "proxy_pass":
        d = start_daemon(daemon, app, tmp_path)
        site = templated("nginx/socketiod-tls.conf", {
            "listen 443 ssl;": "listen 127.0.0.1:%d ssl;" % web,
            "/etc/ssl/certs/ssl-cert-snakeoil.pem": str(cert[0]),
            "/etc/ssl/private/ssl-cert-snakeoil.key": str(cert[1]),
            "127.0.0.1:9000;": "127.0.0.1:%d;" % d.port,
        })
    else:
        fport = free_port()
        d = start_daemon(daemon, app, tmp_path, "--fcgi",
                         "127.0.0.1:%d" % fport)
        # docs/deployment.md: TLS on the FastCGI layout is these lines.
        site = templated("nginx/socketiod-fastcgi.conf", {
            "listen 80;": "listen 127.0.0.1:%d ssl;\n    %s" % (
                web, nginx_ssl_lines(cert)),
            "127.0.0.1:9001;": "127.0.0.1:%d;" % fport,
            "127.0.0.1:9000;": "127.0.0.1:%d;" % d.port,
        })
    servers(Nginx, tmp_path / "nginx").start(site, web)
    run_both(clients, d, Https(web), app, cert)


class ApacheTls(Apache):
    """Apache with mod_ssl; the TLS virtual host comes whole from etc/
    (Apache.start's own plain virtual host stays empty)."""

    def start_tls(self, vhost_text, plain_port, tls_port):
        super().start("# (the TLS virtual host is above)\n", plain_port,
                      modules=APACHE_MODULES + ("ssl", "socache_shmcb"),
                      top_text=vhost_text)
        self.port = tls_port
        self.wait_ready()
        return self


SSL_VHOST = """Listen 127.0.0.1:%(port)d https
<VirtualHost 127.0.0.1:%(port)d>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile %(crt)s
    SSLCertificateKeyFile %(key)s
%(body)s
</VirtualHost>
"""


@pytest.mark.skipif(shutil.which("apache2") is None, reason="no apache2")
@pytest.mark.parametrize("layout", ["proxy_pass", "fcgi"])
@pytest.mark.timeout(100)
def test_apache_tls(daemon, clients, servers, app, cert, tmp_path, layout):
    web, tls = free_port(), free_port()
    if layout == "proxy_pass":
        d = start_daemon(daemon, app, tmp_path)
        vhost = templated("apache2/socketiod-tls.conf", {
            "<VirtualHost *:443>": "Listen 127.0.0.1:%d https\n"
                                   "<VirtualHost 127.0.0.1:%d>" % (tls, tls),
            "/etc/ssl/certs/ssl-cert-snakeoil.pem": str(cert[0]),
            "/etc/ssl/private/ssl-cert-snakeoil.key": str(cert[1]),
            "127.0.0.1:9000/": "127.0.0.1:%d/" % d.port,
        })
    else:
        fport = free_port()
        d = start_daemon(daemon, app, tmp_path, "--fcgi",
                         "127.0.0.1:%d" % fport)
        body = templated("apache2/socketiod-proxy-fcgi.conf", {
            "127.0.0.1:9001/": "127.0.0.1:%d/" % fport,
            "127.0.0.1:9000/": "127.0.0.1:%d/" % d.port,
        })
        vhost = SSL_VHOST % dict(port=tls, crt=cert[0], key=cert[1],
                                 body=body)
    servers(ApacheTls, tmp_path / "apache").start_tls(vhost, web, tls)
    run_both(clients, d, Https(tls), app, cert)
