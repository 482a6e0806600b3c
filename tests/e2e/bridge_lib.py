"""Raw FastCGI and SCGI clients for the bridge tests (test_bridge*.py).

FastCGI records follow fcgi2's fastcgi.h: an 8-byte header (version 1,
type, request id, content length, padding length), content, padding.
"""
import json
import socket
import struct
import time

from e2e_lib import exchange

FCGI_BEGIN_REQUEST = 1
FCGI_ABORT_REQUEST = 2
FCGI_END_REQUEST = 3
FCGI_PARAMS = 4
FCGI_STDIN = 5
FCGI_STDOUT = 6
FCGI_STDERR = 7
FCGI_DATA = 8
FCGI_GET_VALUES = 9
FCGI_GET_VALUES_RESULT = 10
FCGI_UNKNOWN_TYPE = 11

FCGI_RESPONDER = 1
FCGI_AUTHORIZER = 2
FCGI_KEEP_CONN = 1

FCGI_REQUEST_COMPLETE = 0
FCGI_UNKNOWN_ROLE = 3


def record(rtype, rid, content=b"", version=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", version, rtype, rid, len(content), pad,
                       0) + content + b"\0" * pad


def nv_len(n):
    return struct.pack("B", n) if n < 128 else struct.pack(">I", n | 1 << 31)


def nv_pairs(pairs):
    out = b""
    for k, v in pairs.items():
        k = k.encode() if isinstance(k, str) else k
        v = v.encode() if isinstance(v, str) else v
        out += nv_len(len(k)) + nv_len(len(v)) + k + v
    return out


def parse_nv(data):
    out, p = {}, 0
    while p < len(data):
        lens = []
        for _ in range(2):
            if data[p] < 128:
                lens.append(data[p])
                p += 1
            else:
                lens.append(struct.unpack(">I", data[p:p + 4])[0] & 0x7fffffff)
                p += 4
        k = data[p:p + lens[0]]
        v = data[p + lens[0]:p + lens[0] + lens[1]]
        p += lens[0] + lens[1]
        out[k.decode()] = v.decode()
    return out


def cgi_params(method, uri, remote_addr="127.0.0.1", body=b"", extra=None):
    path, _, query = uri.partition("?")
    p = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REQUEST_METHOD": method,
        "REQUEST_URI": uri,
        "SCRIPT_NAME": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": remote_addr,
        "REMOTE_PORT": "40000",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
    }
    if body:
        p["CONTENT_LENGTH"] = str(len(body))
        p["CONTENT_TYPE"] = "text/plain;charset=UTF-8"
    p.update(extra or {})
    return p


class Response:
    def __init__(self):
        self.stdout = b""
        self.stderr = b""
        self.ended = False
        self.protocol_status = None

    def parsed(self):
        """(status, {lower-case header: value}, body) of the CGI answer."""
        head, _, body = self.stdout.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        status = int(headers.get("status", "200").split()[0])
        return status, headers, body


class FcgiConn:
    """One FastCGI connection to the responder, requests multiplexed."""

    def __init__(self, addr, timeout=10.0):
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.buf = b""
        self.responses = {}  # rid -> Response
        self.management = []  # (type, content) of id 0 records
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def begin(self, rid, keep=True, role=FCGI_RESPONDER):
        body = struct.pack(">HB5x", role, FCGI_KEEP_CONN if keep else 0)
        self.responses[rid] = Response()
        self.send(record(FCGI_BEGIN_REQUEST, rid, body))

    def request(self, rid, method, uri, body=b"", keep=True, extra=None,
                remote_addr="127.0.0.1", stdin_pieces=1):
        self.begin(rid, keep)
        data = record(FCGI_PARAMS, rid, nv_pairs(cgi_params(
            method, uri, remote_addr, body, extra)))
        data += record(FCGI_PARAMS, rid)
        if body:
            step = max(1, -(-len(body) // stdin_pieces))
            for i in range(0, len(body), step):
                data += record(FCGI_STDIN, rid, body[i:i + step])
        data += record(FCGI_STDIN, rid)
        self.send(data)

    def abort(self, rid):
        self.send(record(FCGI_ABORT_REQUEST, rid))

    def _pump(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        while len(self.buf) >= 8:
            ver, rtype, rid, clen, pad, _ = struct.unpack(">BBHHBB",
                                                          self.buf[:8])
            assert ver == 1, "bad version %d from the responder" % ver
            if len(self.buf) < 8 + clen + pad:
                break
            content = self.buf[8:8 + clen]
            self.buf = self.buf[8 + clen + pad:]
            if rid == 0:
                self.management.append((rtype, content))
                continue
            r = self.responses.setdefault(rid, Response())
            if rtype == FCGI_STDOUT:
                r.stdout += content
            elif rtype == FCGI_STDERR:
                r.stderr += content
            elif rtype == FCGI_END_REQUEST:
                r.ended = True
                r.protocol_status = content[4]
            else:
                raise AssertionError("unexpected record type %d" % rtype)
        return True

    def wait(self, pred, timeout=10.0, what="records"):
        deadline = time.monotonic() + timeout
        while not pred():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for " + what)
            if not self._pump(min(left, 0.5)) and self.eof:
                if pred():
                    break
                raise AssertionError("connection closed waiting for " + what)

    def response(self, rid, timeout=10.0):
        self.wait(lambda: self.responses[rid].ended, timeout,
                  "the end of request %d" % rid)
        return self.responses[rid]

    def ended(self, rid):
        return self.responses.get(rid) is not None and \
            self.responses[rid].ended

    def wait_eof(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not self.eof:
            assert time.monotonic() < deadline, "the responder did not close"
            self._pump(0.5)

    def close(self):
        self.sock.close()


def eio_open(body):
    """The OPEN packet's JSON in a v4 polling payload."""
    assert body[:1] == b"0", body
    return json.loads(body[1:])


def scgi_request(method, uri, body=b"", remote_addr="127.0.0.1",
                 extra=None):
    p = cgi_params(method, uri, remote_addr, body, extra)
    p.pop("CONTENT_LENGTH", None)
    head = b"CONTENT_LENGTH\0%d\0SCGI\x001\0" % len(body)
    for k, v in p.items():
        head += k.encode() + b"\0" + v.encode() + b"\0"
    return b"%d:" % len(head) + head + b"," + body


def scgi_call(addr, method, uri, body=b"", timeout=10.0, **kw):
    """One SCGI request; returns (status, headers, body) after the close."""
    data = exchange(addr, scgi_request(method, uri, body, **kw), timeout)
    r = Response()
    r.stdout = data
    return r.parsed()


# ---------------------------------------------------------------------------
# real web servers started by the tests, with the configs from etc/

import os
import shutil
import signal
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ETC = REPO / "etc"


def templated(name, subst):
    """The text of etc/NAME with each key of `subst` (a literal such as
    "127.0.0.1:9001" or "listen 80;") replaced by its value."""
    text = (ETC / name).read_text()
    for k, v in subst.items():
        assert k in text, "%s does not contain %r" % (name, k)
        text = text.replace(k, v)
    return text


def _group_members(pgid):
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            stat = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:
            out.append(int(p))
    return out


class Server:
    """A web server process in its own directory; stop() always ends it."""

    name = "server"
    grace = 15  # seconds between the stop signal and SIGKILL

    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = None
        self.proc = None
        self.log_path = self.dir / "server.out"

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _popen(self, cmd, env=None):
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                env=env, start_new_session=True)

    def wait_ready(self, timeout=20.0):
        import socket as _s
        import time as _t
        deadline = _t.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited (%s):\n%s" % (
                    self.name, self.proc.returncode, self.logs()))
            try:
                _s.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                pass
            if _t.monotonic() > deadline:
                raise AssertionError("%s did not listen on %d:\n%s" % (
                    self.name, self.port, self.logs()))
            _t.sleep(0.05)

    def logs(self):
        out = []
        for p in sorted(self.dir.glob("*.log")) + [self.log_path]:
            try:
                out.append("--- %s ---\n%s" % (p.name, p.read_text(
                    errors="replace")[-6000:]))
            except OSError:
                pass
        return "\n".join(out)

    def stop(self, sig=signal.SIGTERM):
        """Ends the server and every process of its session."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(self.grace)
        except subprocess.TimeoutExpired:
            # Kill the children first so that the parent reaps them (an
            # orphan would stay a zombie here), then the parent.
            for pid in _group_members(self.proc.pid):
                if pid != self.proc.pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # stragglers
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(5)
        self.proc = None


class Nginx(Server):
    name = "nginx"

    def start(self, site_text, port):
        self.port = port
        for f in ("fastcgi_params", "scgi_params", "mime.types"):
            shutil.copy("/etc/nginx/" + f, self.dir / f)
        (self.dir / "site.conf").write_text(site_text)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        d = str(self.dir)
        (self.dir / "nginx.conf").write_text(
            "%sdaemon off;\nmaster_process on;\nworker_processes 1;\n"
            "pid %s/nginx.pid;\nerror_log %s/error.log info;\n"
            "events { worker_connections 1024; }\n"
            "http {\n  access_log %s/access.log;\n"
            "  client_body_temp_path %s/body;\n"
            "  fastcgi_temp_path %s/fastcgi;\n  scgi_temp_path %s/scgi;\n"
            "  proxy_temp_path %s/proxy;\n  uwsgi_temp_path %s/uwsgi;\n"
            "  include %s/site.conf;\n}\n" % ((user,) + (d,) * 9))
        self._popen(["nginx", "-p", d, "-c", d + "/nginx.conf",
                     "-e", d + "/error.log"])
        self.wait_ready()
        return self

    def stop(self, sig=signal.SIGTERM):
        # SIGTERM is nginx's fast shutdown; SIGQUIT would wait for every
        # held long-poll and WebSocket to finish.
        super().stop(sig)


APACHE_MODULES = ("mpm_event", "authz_core", "mime", "proxy", "proxy_http",
                  "proxy_fcgi", "proxy_scgi", "proxy_wstunnel", "rewrite")


class Apache(Server):
    """apache2 -DFOREGROUND with its own ServerRoot in the test's
    directory. As root it drops to www-data (Apache refuses to serve as
    root): the files its children need are made readable for them."""

    name = "apache2"
    # A child still tunnelling a WebSocket or holding a poll makes the
    # parent wait ~10 s before it kills it; the test is over by then.
    grace = 2

    def start(self, site_text, port, modules=APACHE_MODULES, top_text="",
              docroot=None):
        self.port = port
        d = self.dir
        for sub in ("run", "htdocs"):
            (d / sub).mkdir(exist_ok=True)
        docroot = docroot or d / "htdocs"
        (d / "socketiod.conf").write_text(site_text)
        user = ""
        if os.geteuid() == 0:
            user = "User www-data\nGroup www-data\n"
        loads = "".join(
            "LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n" %
            (m, m) for m in modules)
        (d / "httpd.conf").write_text(
            "ServerRoot %s\nListen 127.0.0.1:%d\nServerName localhost\n"
            "PidFile %s/run/httpd.pid\nDefaultRuntimeDir %s/run\n"
            "Mutex file:%s/run default\nErrorLog %s/error.log\n"
            "LogLevel warn\n%s%s"
            "TypesConfig /etc/mime.types\nDocumentRoot %s\n"
            "LogFormat \"%%h %%r %%>s\" short\n"
            "CustomLog %s/access.log short\n"
            "MaxConnectionsPerChild 0\nGracefulShutdownTimeout 5\n"
            "<Directory />\n    AllowOverride None\n</Directory>\n%s\n"
            "<VirtualHost 127.0.0.1:%d>\n    Include %s/socketiod.conf\n"
            "</VirtualHost>\n" % (d, port, d, d, d, d, user, loads, docroot, d,
                                   top_text, port, d))
        self._popen(["apache2", "-d", str(d), "-f", str(d / "httpd.conf"),
                     "-DFOREGROUND"], env=dict(os.environ, LANG="C"))
        self.wait_ready()
        return self

    def graceful(self):
        """apachectl -k graceful: SIGUSR1 to the parent."""
        self.proc.send_signal(signal.SIGUSR1)
