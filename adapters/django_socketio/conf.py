# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The adapter's settings, in one place, each read when used (never at
import time), with django-socketio's names where it had one.

| setting | default | |
|---|---|---|
| SOCKETIO_HOST | "127.0.0.1" | where socketiod listens (runserver_socketio) |
| SOCKETIO_PORT | 9000 | its port; also the port pages connect to |
| SOCKETIO_MESSAGE_LOG_FORMAT | None | the daemon's message log format (docs/message-log.md) |
| SOCKETIO_URL | None | the URL pages connect to, when not page-host:SOCKETIO_PORT |
| SOCKETIOD_RPC | the daemon's default (socketiod.rpc.default_path(): /run/socketiod/socketiod.sock for root, else $XDG_RUNTIME_DIR/socketiod/socketiod.sock) | the control socket |
| SOCKETIOD_SECRET | $SOCKETIOD_UPSTREAM_SECRET, else derived from SECRET_KEY | HMAC key of upstream requests |
| SOCKETIOD_BINARY | $SOCKETIOD, PATH | the daemon runserver_socketio starts |
| SOCKETIOD_CLIENT_JS | next to the binary | its --client-js |
| SOCKETIOD_ARGS | [] | more daemon options for runserver_socketio |
| SOCKETIOD_USER_FIELD | "pk" | the field of ``request.user`` a connect names as the socket's app user (docs/presence.md); None: no user |
| SOCKETIOD_ORIGINS | the dev server's own (http://127.0.0.1:8000, ...) | the daemon's --origins under runserver_socketio: pages of another origin than the socket's may connect only when listed |
"""
import hashlib
import hmac
import os

from socketiod.rpc import default_path, get_client


def _get(name, default=None):
    from django.conf import settings
    return getattr(settings, name, default)


def host():
    return _get("SOCKETIO_HOST", "127.0.0.1")


def port():
    return int(os.environ.get("DJANGO_SOCKETIO_PORT") or
               _get("SOCKETIO_PORT", 9000))


def message_log_format():
    return _get("SOCKETIO_MESSAGE_LOG_FORMAT", None)


def client_url():
    return _get("SOCKETIO_URL", None)


def rpc_path():
    return os.environ.get("DJANGO_SOCKETIOD_RPC") or \
        _get("SOCKETIOD_RPC") or default_path()


def secret():
    """The upstream HMAC key: SOCKETIOD_SECRET, else the daemon's own
    environment variable, else one derived from SECRET_KEY (what
    runserver_socketio hands the daemon)."""
    s = _get("SOCKETIOD_SECRET") or os.environ.get("SOCKETIOD_UPSTREAM_SECRET")
    if s:
        return s
    key = _get("SECRET_KEY") or ""
    return hmac.new(key.encode(), b"socketiod upstream",
                    hashlib.sha256).hexdigest()


def user_field():
    return _get("SOCKETIOD_USER_FIELD", "pk")


def binary():
    return _get("SOCKETIOD_BINARY")


def client_js():
    return _get("SOCKETIOD_CLIENT_JS")


def origins():
    return _get("SOCKETIOD_ORIGINS")


def extra_args():
    return list(_get("SOCKETIOD_ARGS", []))


def rpc():
    """The process's shared control connection."""
    return get_client(rpc_path())
