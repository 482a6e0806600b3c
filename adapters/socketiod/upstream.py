# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""One upstream request, framework-neutral: parsing and checking the
daemon's signed JSON (docs/upstream.md), the per-socket state kept in the
daemon's ``context``, and running the django-socketio style handlers of a
Registry to build the JSON answer.

The daemon keeps for each socket whatever the last answer's ``context``
was; the adapters store there ``{"v": 1, "data": {...}, "channels": [...]}``:
``data`` is the handler's ``context`` dict, ``channels`` the channels the
socket subscribed to. Values of ``data`` that JSON cannot carry (model
instances, as django-socketio's chat example keeps) are pickled; that is
safe because only signed requests bring a context back.
"""
import base64
import json
import logging
import pickle

from .exceptions import BadRequest, Refused
from .signature import check
from .socket import STREAM_AFTER, Socket, decode_binary

TYPES = ("connect", "disconnect", "event", "subscribe", "unsubscribe")
log = logging.getLogger("socketiod.upstream")


class UpstreamEvent:
    """A parsed upstream request: ``type``, ``sid``, ``eio_sid``,
    ``namespace``, ``transport``, ``protocol``, ``time``, ``handshake``
    (CGI-style dict), ``auth``, ``event``, ``args`` (binary values as
    bytes), ``ack_id``, ``channel``, ``wait``, ``reason``, ``raw_context``,
    ``late`` (a disconnect the daemon kept while the app was down and
    delivers now: ``time`` is still when it happened, the socket is long
    gone and the daemon does not run the answer's actions), and the
    adapter state ``data`` (dict) and ``channels`` (list)."""

    def __init__(self, body):
        self.body = body
        self.type = body["type"]
        self.sid = body["sid"]
        self.eio_sid = body.get("eio_sid")
        self.namespace = body.get("namespace", "/")
        self.transport = body.get("transport")
        self.protocol = body.get("protocol")
        self.time = body.get("time")
        self.handshake = body.get("handshake") or {}
        self.auth = body.get("auth")
        self.event = body.get("event")
        self.args = decode_binary(body.get("args") or [])
        self.ack_id = body.get("ack_id")
        self.channel = body.get("channel")
        self.wait = bool(body.get("wait"))
        self.reason = body.get("reason")
        self.late = body.get("late") is True
        self.raw_context = body.get("context")
        self.data, self.channels = load_context(self.raw_context)

    @property
    def wants_ack(self):
        return self.ack_id is not None

    def __repr__(self):
        return "<UpstreamEvent %s %s %s>" % (self.type, self.sid,
                                             self.event or self.channel or "")


def parse(body, header=None, secret=None, max_age=300, verify=True):
    """Checks the signature (unless ``verify`` is false) and parses the
    body (bytes). Raises SignatureError or BadRequest."""
    if verify:
        check(header or "", body, secret, max_age)
    try:
        doc = json.loads(body)
        if not isinstance(doc, dict) or doc.get("type") not in TYPES \
                or not isinstance(doc.get("sid"), str):
            raise ValueError("not an upstream event")
        return UpstreamEvent(doc)
    except (ValueError, KeyError, TypeError) as e:
        raise BadRequest("bad upstream request: %s" % e) from None


# -- context --------------------------------------------------------------

def _dump_value(v):
    try:
        json.dumps(v)
        return v
    except (TypeError, ValueError):
        return {"__pickle__": base64.b64encode(pickle.dumps(v)).decode()}


def _load_value(v):
    if isinstance(v, dict) and len(v) == 1 and "__pickle__" in v:
        try:
            return pickle.loads(base64.b64decode(v["__pickle__"]))
        except Exception:  # a class that is gone after a reload
            log.warning("context value cannot be unpickled; dropped")
            return None
    return v


def load_context(raw):
    """(data dict, channels list) from the daemon's context."""
    if not isinstance(raw, dict) or raw.get("v") != 1:
        return {}, []
    data = raw.get("data") or {}
    return ({k: _load_value(v) for k, v in data.items()},
            list(raw.get("channels") or []))


def dump_context(data, channels):
    """The daemon's context for handler ``data`` and ``channels``."""
    return {"v": 1, "data": {str(k): _dump_value(v)
                             for k, v in (data or {}).items()},
            "channels": list(channels)}


# -- answering -------------------------------------------------------------

def stream_after(ev):
    """How long a handler of ``ev`` runs before its sends stream (None:
    never; a connect's sends must follow the client's CONNECT)."""
    return STREAM_AFTER if ev.type in ("event", "subscribe",
                                       "unsubscribe") else None


def new_socket(ev, rpc=None, cls=Socket):
    """The handler socket of ``ev`` (collecting actions)."""
    socket = cls(ev.sid, ev.namespace, ev.channels, actions=[], rpc=rpc,
                 info={"handshake": ev.handshake, "transport": ev.transport},
                 stream_after=stream_after(ev))
    socket.late = ev.late
    return socket


def answer(ev, socket, context, ack=None, refused=None):
    """The response dict: actions, ack, new context, refusal. Ends the
    handler: the socket sends over the control RPC from now on."""
    out = {}
    actions = socket.finish()
    if actions:
        out["actions"] = actions
    if ev.wants_ack:
        if socket.ack_args is not None:
            out["ack"] = socket.ack_args
        elif ack is not None:
            out["ack"] = ack
    if refused is not None:
        out["allow"] = False
        out["message"] = refused.message
        if refused.data is not None:
            out["data"] = refused.data
    if ev.type != "disconnect":
        out["context"] = dump_context(context, socket.channels)
    return out


def ack_args(value):
    """A handler's return value as ack arguments: None -> none, a tuple
    -> several, anything else -> one."""
    from .socket import encode_binary
    if value is None:
        return None
    if isinstance(value, tuple):
        return encode_binary(list(value))
    return encode_binary([value])


def dispatch(registry, ev, request, rpc=None, logger=None):
    """Runs ``registry``'s handlers for ``ev`` with ``request`` (whatever
    the framework gives handlers) and returns the response dict.

    connect -> on_connect; event ``message`` -> on_message(message) (one
    argument, or the list of them); any event -> the ``on(name)``
    handlers, the first non-None return value being the ack; subscribe /
    unsubscribe -> on_subscribe / on_unsubscribe(channel) (a subscribe to
    a channel the socket is in already runs nothing); disconnect ->
    on_disconnect, on_unsubscribe for each channel, on_finish, also when
    the disconnect is late (``socket.late``: the app was down when it
    happened; what the handlers send then is not done). A handler
    that raises Refused refuses (connect, or a waiting subscribe); any
    other exception is logged and handed to on_error(exception)."""
    logger = logger or log
    socket = new_socket(ev, rpc)
    context = ev.data
    ack = None
    refused = None
    try:
        if ev.type == "connect":
            registry.on_connect.send(request, socket, context)
        elif ev.type == "event":
            if ev.event == "message":
                msg = ev.args[0] if len(ev.args) == 1 else list(ev.args)
                registry.on_message.send(request, socket, context, msg)
            named = registry.named.get(ev.event)
            if named is not None:
                for v in named.send(request, socket, context, *ev.args):
                    if v is not None and ack is None:
                        ack = ack_args(v)
        elif ev.type == "subscribe":
            # Already in it (the page's own subscribe on reconnect and the
            # client's re-subscribe both come): nothing for the app.
            if ev.channel not in socket.channels:
                socket.channels.append(ev.channel)
                registry.on_subscribe.send(request, socket, context,
                                           ev.channel)
        elif ev.type == "unsubscribe":
            if ev.channel in socket.channels:
                socket.channels.remove(ev.channel)
            registry.on_unsubscribe.send(request, socket, context, ev.channel)
        elif ev.type == "disconnect":
            registry.on_disconnect.send(request, socket, context)
            for ch in list(socket.channels):
                registry.on_unsubscribe.send(request, socket, context, ch)
            registry.on_finish.send(request, socket, context)
    except Refused as r:
        refused = r
        if ev.type == "subscribe" and ev.channel in socket.channels:
            socket.channels.remove(ev.channel)
    except Exception as e:
        logger.exception("socket %s: %s handler failed", ev.sid,
                         ev.event or ev.type)
        try:
            registry.on_error.send(request, socket, context, e)
        except Exception:
            logger.exception("socket %s: on_error handler failed", ev.sid)
    return answer(ev, socket, context, ack, refused)
