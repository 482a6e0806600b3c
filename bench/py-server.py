# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""py-server: the python-socketio peer that bench/run.sh measures, served as
its docs suggest for many connections: gevent with gevent-websocket,
WebSocket transport only. With REDIS_URL it uses socketio.RedisManager, so
that other processes emit through the write-only emitter (bench/py-emit.py).

    PORT=3100 [REDIS_URL=redis://127.0.0.1:6390] /usr/bin/python3 py-server.py

Bench endpoints on the same port, as bench/node-server.js has them:
  GET /__bench/bcast?count=K&interval=MS&batch=B&first=S   K emits of
      ("tick", seq, t_us) to everyone, B per turn of the gevent hub, turns
      MS apart; ignore_queue=True keeps them off Redis (the direct path)
  GET /__bench/stop     cancels the running broadcasts
  GET /__bench/stats    {"pid","conns","rss"} after gc.collect()
t_us is time.monotonic_ns() // 1000: CLOCK_MONOTONIC, the load generator's.
"""

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from urllib.parse import parse_qs  # noqa: E402

import gevent  # noqa: E402
import socketio  # noqa: E402
from gevent import pywsgi  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

PORT = int(os.environ.get("PORT", "3100"))
REDIS_URL = os.environ.get("REDIS_URL")

kwargs = {}
if REDIS_URL:
    kwargs["client_manager"] = socketio.RedisManager(REDIS_URL)
sio = socketio.Server(async_mode="gevent", transports=["websocket"], **kwargs)
job = None


def broadcast(count, interval_ms, batch, first):
    seq, end = first, first + count
    while seq < end:
        for _ in range(min(batch, end - seq)):
            sio.emit("tick", (seq, time.monotonic_ns() // 1000),
                     ignore_queue=True)
            seq += 1
        gevent.sleep(interval_ms / 1000.0)


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def bench(environ, start_response):
    global job
    path = environ.get("PATH_INFO", "")
    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    body = b"ok\n"
    if path == "/__bench/bcast":
        if job:
            job.kill()
        job = gevent.spawn(broadcast, int(q.get("count", 1)),
                           int(q.get("interval", 0)),
                           max(1, int(q.get("batch", 1))),
                           int(q.get("first", 0)))
    elif path == "/__bench/stop":
        if job:
            job.kill()
            job = None
    elif path == "/__bench/stats":
        gc.collect()
        body = json.dumps({"pid": os.getpid(), "conns": len(sio.eio.sockets),
                           "rss": rss()}).encode()
    else:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


app = socketio.WSGIApp(sio, bench)
server = pywsgi.WSGIServer(("127.0.0.1", PORT), app, backlog=4096,
                           handler_class=WebSocketHandler, log=None)
print("py-server: listening on 127.0.0.1:%d%s" %
      (PORT, " with RedisManager" if REDIS_URL else ""), flush=True)
server.serve_forever()
