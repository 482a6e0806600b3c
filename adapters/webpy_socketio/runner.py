# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""``webpy_socketio.run(app)``: socketiod on SOCKETIO_HOST:SOCKETIO_PORT
wired to the app's event endpoint, and the app on web.py's own HTTP
server; both stop together (Ctrl-C, SIGTERM)."""
import logging
import os
import signal
import sys

from socketiod.runner import DaemonProcess, page_origins

from . import conf

log = logging.getLogger("webpy_socketio.runner")


def run(app, host="127.0.0.1", port=8080, verbose=0):
    """Runs ``app`` (a web.application) on host:port with socketiod."""
    import web
    conf._app_globals.append(getattr(app, "fvars", None) or {})
    secret = conf.get("SOCKETIOD_SECRET")
    if not secret:
        secret = os.urandom(16).hex()
        web.config.SOCKETIOD_SECRET = secret
    # "" (the README's example): every interface
    sio = "%s:%d" % (conf.get("SOCKETIO_HOST") or "0.0.0.0", conf.port())
    connect = "127.0.0.1" if host in ("0.0.0.0", "") else host
    daemon = DaemonProcess(
        listen=sio, rpc=conf.get("SOCKETIOD_RPC"),
        upstream="http://%s:%d/socketio/events" % (connect, port),
        secret=secret, binary=conf.get("SOCKETIOD_BINARY"),
        client_js=conf.get("SOCKETIOD_CLIENT_JS"),
        message_log_format=conf.get("SOCKETIO_MESSAGE_LOG_FORMAT"),
        origins=conf.get("SOCKETIOD_ORIGINS") or page_origins(host, port),
        verbose=verbose, logger=log)
    daemon.start()
    print("socketiod on http://%s/ (%s; control socket %s)"
          % (sio, daemon.describe(), conf.get("SOCKETIOD_RPC")), flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))

    def gone(reason):
        print("webpy_socketio.run: %s; stopping" % reason, file=sys.stderr,
              flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
    daemon.watch(gone)
    try:
        web.httpserver.runsimple(app.wsgifunc(), (host, port))
    except KeyboardInterrupt:
        pass
    finally:
        daemon.stop()
