# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""upstream_app: the application behind socketiod's --upstream in the tests.

One WSGI callable, `application`, served three ways by tests/e2e/test_upstream.py:
plain HTTP/1.1 with keep-alive (`python3 upstream_app.py --http PORT`,
standard library only), and FastCGI or SCGI through Debian's uwsgi
(`--wsgi-file upstream_app.py`). Environment:

  UPSTREAM_APP_SECRET  the HMAC secret; requests whose X-Socketiod-Signature
                       does not verify are answered 401
  UPSTREAM_APP_LOG     a file that gets one JSON line per request seen

What it does per event is in `handle()`; the tests rely on it.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time

SECRET = os.environ.get("UPSTREAM_APP_SECRET", "").encode()
LOG = os.environ.get("UPSTREAM_APP_LOG")
MAX_AGE = 300  # seconds a signature stays valid
_lock = threading.Lock()


def verify(header, body, secret, now=None):
    """The check docs/upstream.md describes: t=<unix>,v1=<hex HMAC-SHA256
    of "<t>.<body>">, compared in constant time, at most MAX_AGE old."""
    try:
        fields = dict(p.split("=", 1) for p in header.split(","))
        t = int(fields["t"])
        sig = fields["v1"]
    except (KeyError, ValueError, AttributeError):
        return False
    if abs((now or time.time()) - t) > MAX_AGE:
        return False
    want = hmac.new(secret, b"%d." % t + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, sig)


def log(rec):
    if not LOG:
        return
    line = json.dumps(rec) + "\n"
    with _lock:
        with open(LOG, "a") as f:
            f.write(line)


TRIES = {}  # ("busy" events) (sid, name) -> tries seen
TRIES_LOCK = threading.Lock()


def handle(req, environ):
    """The answer to one event: a dict (JSON), bytes (sent as they are) or
    (status, bytes)."""
    kind = req["type"]
    ctx = req.get("context") or {}
    if kind == "connect":
        auth = req.get("auth") or {}
        # socket.io-client 2.x has no auth payload: its query carries it.
        query = req["handshake"].get("QUERY_STRING", "")
        if auth.get("token") == "bad" or "token=bad" in query.split("&"):
            return {"allow": False, "message": "bad token",
                    "data": {"why": "token"}}
        if auth.get("token") == "slow":
            time.sleep(auth.get("sleep", 2))
        user = auth.get("user", "anon")
        return {"context": {"user": user, "n": 0},
                "actions": [{"action": "join", "channel": "user:" + user},
                            {"action": "emit", "event": "welcome",
                             "args": [user, req["sid"]]}]}
    if kind == "subscribe":
        ch = req["channel"]
        if ch.startswith("private-") and ctx.get("user") != "admin":
            return {"allow": False, "message": "not allowed: " + ch}
        return {"actions": [{"action": "emit", "event": "subscribed",
                             "args": [ch]}]}
    if kind == "disconnect" and req.get("late"):
        # What an app may answer a late disconnect with: the daemon runs
        # none of it (the socket is gone; counted).
        return {"actions": [{"action": "emit", "event": "left",
                             "args": [req["sid"]], "broadcast": True},
                            {"action": "join", "channel": "ghost"}],
                "context": {"after": "late"}}
    if kind in ("unsubscribe", "disconnect"):
        return {}
    ev, args = req["event"], req["args"]
    if ev == "echo":
        return {"ack": args}
    if ev == "count":
        n = ctx.get("n", 0) + 1
        return {"ack": [n], "context": dict(ctx, n=n)}
    if ev == "whoami":
        hs = req["handshake"]
        return {"ack": [environ.get("HTTP_COOKIE"), hs.get("HTTP_COOKIE"),
                        ctx.get("user"), hs.get("HTTP_USER_AGENT"),
                        hs.get("REMOTE_ADDR"), req.get("auth")]}
    if ev == "seq":
        return {}
    if ev == "slow":
        time.sleep(args[0])
        return {"ack": ["late"]}
    if ev == "busy":
        # 503 for the first args[0] tries of the event named args[1], as
        # mod_wsgi answers while its processes restart.
        key = (req["sid"], args[1])
        with TRIES_LOCK:
            TRIES[key] = TRIES.get(key, 0) + 1
            n = TRIES[key]
        if n <= args[0]:
            return ("503 Service Unavailable", b"restarting")
        return {"ack": ["ok after", n]}
    if ev == "garbage":
        return b"<html>this is not JSON</html>"
    if ev == "lenient":
        # What cJSON takes and browsers' JSON.parse refuses: an ack with a
        # leading zero and an emit to channel args[0] with a raw ESC.
        return (b'{"ack":[01],"actions":[{"action":"emit","event":"lenient",'
                b'"channel":%s,"args":["\x1b[2J"]}]}' % json.dumps(
                    args[0]).encode())
    if ev == "fail":
        return ("500 Internal Server Error", b"oops")
    if ev == "shout":
        # To a channel without the sender, with a binary, then an ack.
        return {"ack": ["sent"],
                "actions": [{"action": "emit", "event": "shout",
                             "channel": args[0], "except_self": True,
                             "args": [args[1], {"_binary": base64.b64encode(
                                 b"\x00\x01bin").decode()}]}]}
    if ev == "join-codes":
        # Joins the channel whose code points are args[0]: a name the app
        # built itself, which may hold a NUL (JSON "\u0000").
        return {"ack": ["ok"], "actions": [
            {"action": "join", "channel": "".join(map(chr, args[0]))}]}
    if ev == "kickme":
        return {"actions": [{"action": "emit", "event": "bye"},
                            {"action": "disconnect"}]}
    if ev == "bigctx":
        return {"ack": ["ok"], "context": dict(ctx, pad="x" * args[0])}
    return {"ack": ["unknown event " + ev]}


def application(environ, start_response):
    try:
        n = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        n = 0
    body = environ["wsgi.input"].read(n) if n else b""
    sig = environ.get("HTTP_X_SOCKETIOD_SIGNATURE", "")
    if not verify(sig, body, SECRET):
        log({"rejected": True, "sig": sig[:12]})
        start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                            ("Content-Length", "14")])
        return [b"bad signature\n"]
    req = json.loads(body)
    log({"type": req["type"], "sid": req["sid"], "event": req.get("event"),
         "args": req.get("args"), "channel": req.get("channel"),
         "reason": req.get("reason"), "ack_id": req.get("ack_id"),
         "late": req.get("late"), "time": req.get("time"),
         "context": req.get("context"), "pid": os.getpid(),
         "cookie": environ.get("HTTP_COOKIE"),
         "content_type": environ.get("CONTENT_TYPE"),
         "port": environ.get("REMOTE_PORT"), "t": time.time()})
    out = handle(req, environ)
    status = "200 OK"
    if isinstance(out, tuple):
        status, data = out
    elif isinstance(out, bytes):
        data = out
    else:
        data = json.dumps(out).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    return [data]


def serve_http(port):
    """HTTP/1.1 with keep-alive over the standard library (wsgiref's own
    server speaks HTTP/1.0 and closes after each request)."""
    import io
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Head and body in one write: two small writes would meet Nagle's
        # algorithm and the peer's delayed ACK (40 ms per response).
        wbufsize = 1 << 16

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n)
            environ = {"REQUEST_METHOD": "POST", "PATH_INFO": self.path,
                       "CONTENT_LENGTH": str(n),
                       "CONTENT_TYPE": self.headers.get("Content-Type"),
                       "REMOTE_ADDR": self.client_address[0],
                       "REMOTE_PORT": str(self.client_address[1]),
                       "wsgi.input": io.BytesIO(body)}
            for k, v in self.headers.items():
                environ["HTTP_" + k.upper().replace("-", "_")] = v
            got = {}

            def start_response(status, headers):
                got["status"], got["headers"] = status, headers
            data = b"".join(application(environ, start_response))
            code, _, reason = got["status"].partition(" ")
            self.send_response(int(code), reason)
            for k, v in got["headers"]:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        serve_http(int(sys.argv[2]))
    else:
        sys.exit("usage: upstream_app.py --http PORT")
