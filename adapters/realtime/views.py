# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The event endpoint of the realtime app: each signed client event
becomes django-realtime's signals."""
import logging

from django.views.decorators.csrf import csrf_exempt
from django.http import HttpResponse

from socketiod import upstream
from socketiod.exceptions import Refused

from django_socketio import conf, users
from django_socketio.request import socket_request
from django_socketio.views import json_response, read_event

from . import signals
from .events import Event
from .sockets import RealtimeSocket

log = logging.getLogger("realtime")


def fire(ev, request, rpc=None):
    """Sends the signals of ``ev``; returns the response dict. A receiver
    that raises is logged (by Django's send_robust) and the others still
    run; only socket_connected stops at the first, so that raising
    Refused refuses."""
    socket = upstream.new_socket(ev, rpc, RealtimeSocket)
    socket._ack_id = ev.ack_id
    refused = None
    try:
        if ev.type == "connect":
            signals.socket_connected.send(socket, request=request)
        elif ev.type == "disconnect":
            signals.socket_disconnected.send_robust(socket, request=request,
                                                    late=ev.late)
        elif ev.type == "event" and ev.event == "message":
            msg = ev.args[0] if len(ev.args) == 1 else list(ev.args)
            signals.socket_client_message.send_robust(
                socket, request=request, message=msg)
        elif ev.type == "event":
            event = Event(socket, ev.event, ev.namespace, ev.args, ev.ack_id)
            signals.socket_client_event.send_robust(socket, request=request,
                                                    event=event)
            if ev.event in signals.socket_client_event_by_type:
                signals.socket_client_event_by_type[ev.event].send_robust(
                    socket, request=request, event=event)
        elif ev.type == "subscribe" and ev.channel not in socket.channels:
            socket.channels.append(ev.channel)
        elif ev.type == "unsubscribe" and ev.channel in socket.channels:
            socket.channels.remove(ev.channel)
    except Refused as r:
        refused = r
    except Exception:
        log.exception("socket %s: receiver of %s failed", ev.sid,
                      ev.event or ev.type)
    return upstream.answer(ev, socket, ev.data, None, refused)


@csrf_exempt
def socketio(request):
    """The endpoint socketiod's --upstream points at (realtime.urls)."""
    ev = read_event(request)
    if isinstance(ev, HttpResponse):
        return ev
    req = socket_request(request, ev)
    return json_response(users.add_user(fire(ev, req, conf.rpc()), ev, req))
