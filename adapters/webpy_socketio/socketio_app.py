# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The event endpoint: ``urls += socketio_urls`` adds it to a web.py url
tuple, and ``from webpy_socketio import *`` brings its class ``socketio``
into the globals web.application looks handlers up in."""
import io
import json
import logging

import web

from socketiod import upstream
from socketiod.exceptions import BadRequest, SignatureError
from socketiod.signature import META_KEY

from . import conf, events

log = logging.getLogger("webpy_socketio")

socketio_urls = ("/socketio/events", "socketio")


def socket_request(env, ev):
    """The handlers' ``request``: a web.ctx.env-like dict of the socket
    (the daemon request's server keys, the handshake's keys)."""
    req = {k: v for k, v in env.items()
           if not k.startswith(("HTTP_", "CONTENT_", "wsgi.input"))}
    req.update({"REQUEST_METHOD": "GET", "PATH_INFO": "/socket.io/",
                "QUERY_STRING": "", "wsgi.input": io.BytesIO(b"")})
    req.update({k: str(v) for k, v in ev.handshake.items()})
    req["socketio"] = ev
    return req


class socketio:
    """POST /socketio/events: one signed client event from socketiod."""

    def POST(self):
        env = web.ctx.env
        try:
            ev = upstream.parse(web.data(), env.get(META_KEY, ""),
                                conf.get("SOCKETIOD_SECRET"))
        except SignatureError as e:
            log.warning("refused an upstream request: %s", e)
            raise web.forbidden("bad signature\n")
        except BadRequest as e:
            log.warning("%s", e)
            raise web.badrequest("bad request\n")
        request = socket_request(env, ev)
        # web.ctx inside handlers is the socket's, as in a normal handler
        # (web.ctx.ip the browser's address, web.ctx.host its Host).
        web.ctx.ip = request.get("REMOTE_ADDR", web.ctx.get("ip"))
        if request.get("HTTP_HOST"):
            web.ctx.host = request["HTTP_HOST"]
            web.ctx.homedomain = web.ctx.protocol + "://" + web.ctx.host
        out = upstream.dispatch(events.registry, ev, request,
                                rpc=conf.rpc(), logger=log)
        web.header("Content-Type", "application/json")
        return json.dumps(out, default=str)
