# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""webpy_socketio's settings, read when used: ``web.config.<NAME>``, else
(SOCKETIO_HOST and SOCKETIO_PORT) a global of that name in the app's module
as webpy-socketio's README had them, else the environment variable of that
name, else the default.

| setting | default | |
|---|---|---|
| SOCKETIO_HOST | "127.0.0.1" | where socketiod listens (webpy_socketio.run) |
| SOCKETIO_PORT | 9000 | its port; also the port pages connect to |
| SOCKETIO_MESSAGE_LOG_FORMAT | None | the daemon's message log format |
| SOCKETIO_URL | None | the URL pages connect to, when not page-host:SOCKETIO_PORT |
| SOCKETIOD_RPC | the daemon's default (socketiod.rpc.default_path(): /run/socketiod/socketiod.sock for root, else $XDG_RUNTIME_DIR/socketiod/socketiod.sock) | the control socket |
| SOCKETIOD_SECRET | $SOCKETIOD_UPSTREAM_SECRET | HMAC key of upstream requests |
| SOCKETIOD_BINARY | $SOCKETIOD, PATH | the daemon run() starts |
| SOCKETIOD_ORIGINS | the app's own (http://127.0.0.1:8080, ...) | the daemon's --origins under run(): pages of another origin than the socket's may connect only when listed |
"""
import os

from socketiod.rpc import default_path, get_client

_DEFAULTS = {"SOCKETIO_HOST": "127.0.0.1", "SOCKETIO_PORT": 9000,
             "SOCKETIO_MESSAGE_LOG_FORMAT": None, "SOCKETIO_URL": None,
             "SOCKETIOD_RPC": None, "SOCKETIOD_SECRET": None,
             "SOCKETIOD_BINARY": None, "SOCKETIOD_CLIENT_JS": None,
             "SOCKETIOD_ORIGINS": None}


_app_globals = []   # the module globals of the app run() runs


def app_globals():
    """The globals of the app's module (web.application(urls, globals())):
    of the app handling the current request, else of the one run() runs."""
    import web
    stack = web.ctx.get("app_stack") if hasattr(web, "ctx") else None
    if stack:
        return getattr(stack[0], "fvars", None) or {}
    return _app_globals[-1] if _app_globals else {}


def get(name):
    import web
    v = web.config.get(name)
    if v is None and name in ("SOCKETIO_HOST", "SOCKETIO_PORT"):
        # webpy-socketio's README set these at the app module's top level
        v = app_globals().get(name)
    if v is None:
        v = os.environ.get(name)
    if v is None and name == "SOCKETIOD_SECRET":
        v = os.environ.get("SOCKETIOD_UPSTREAM_SECRET")
    if v is None and name == "SOCKETIOD_RPC":
        v = default_path()
    return _DEFAULTS.get(name) if v is None else v


def port():
    return int(get("SOCKETIO_PORT"))


def rpc():
    """The process's shared control connection."""
    return get_client(get("SOCKETIOD_RPC"))
