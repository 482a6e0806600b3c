# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""webpy-socketio's out-of-band functions, over the control RPC."""
from socketiod import outofband
from socketiod.client import scripts_html
from socketiod.exceptions import NoSocket  # noqa: F401

from . import conf


def send(session_id, message):
    """Sends ``message`` to the socket ``session_id``; NoSocket if gone."""
    outofband.send(conf.rpc(), session_id, message)


def broadcast(message):
    """Sends ``message`` to every socket; NoSocket if there are none."""
    outofband.broadcast(conf.rpc(), message)


def broadcast_channel(message, channel):
    """Sends ``message`` to every socket in ``channel``; NoSocket if empty."""
    outofband.broadcast_channel(conf.rpc(), message, channel)


def socketio_scripts(host=None):
    """The client snippet (webpy-socketio's socketio_scripts.html) for a
    page served at ``host`` (default: web.ctx.host's name)."""
    url = conf.get("SOCKETIO_URL")
    if not url:
        if host is None:
            import web
            host = (web.ctx.get("host") or conf.get("SOCKETIO_HOST") or
                    "127.0.0.1")
            host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        url = "//%s:%d" % (host, conf.port())
    return scripts_html(url, conf.port())
