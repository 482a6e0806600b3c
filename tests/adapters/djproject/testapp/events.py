"""Handlers of the adapter tests: each records its call in CALLS (and some
answer), so the tests can check what ran with which arguments."""
import json
import os
import threading

from django_socketio import events
from socketiod import Refused

CALLS = []
_lock = threading.Lock()


def record(name, request, socket, context, *args):
    call = {"name": name, "sid": socket.session.session_id,
            "args": list(args), "context": dict(context),
            "channels": list(socket.channels),
            "user": (request.user.username
                     if request.user.is_authenticated else None),
            "cookie": request.COOKIES.get("flavour"),
            "remote": request.META.get("REMOTE_ADDR"),
            "path": request.path, "late": socket.late}
    with _lock:
        CALLS.append(call)
        # Served in another process (tests/e2e/test_journal.py): a file.
        if os.environ.get("ADAPTER_CALLS_LOG"):
            with open(os.environ["ADAPTER_CALLS_LOG"], "a") as f:
                f.write(json.dumps(call, default=str) + "\n")


@events.on_connect
def connect(request, socket, context):
    if request.GET.get("token") == "bad":
        raise Refused("bad token", {"why": "token"})
    context["n"] = 0
    record("on_connect", request, socket, context)
    socket.emit("welcome", socket.session.session_id)


@events.on_message
def message(request, socket, context, message):
    context["n"] = context.get("n", 0) + 1
    record("on_message", request, socket, context, message)
    if message == "boom":
        raise ValueError("boom")
    if message == "echo-all":
        socket.send_and_broadcast({"echo": message})
    elif message == "join-server":
        socket.subscribe("server-side")
    else:
        socket.send({"echo": message, "n": context["n"]})


@events.on_message(channel="^room-")
def room_message(request, socket, context, message):
    record("room_message", request, socket, context, message)
    socket.broadcast_channel({"room": message})


@events.on_subscribe
def subscribe(request, socket, context, channel):
    record("on_subscribe", request, socket, context, channel)


@events.on_subscribe(channel="^room-")
def room_subscribe(request, socket, context, channel):
    record("room_subscribe", request, socket, context, channel)


@events.on_unsubscribe(channel="^room-")
def room_unsubscribe(request, socket, context, channel):
    record("room_unsubscribe", request, socket, context, channel)


@events.on_error
def error(request, socket, context, exception):
    record("on_error", request, socket, context, repr(exception))
    socket.send({"error": str(exception)})


@events.on_disconnect
def disconnect(request, socket, context):
    record("on_disconnect", request, socket, context)


@events.on_disconnect(channel="^room-")
def room_disconnect(request, socket, context):
    record("room_disconnect", request, socket, context)


@events.on_finish
def finish(request, socket, context):
    record("on_finish", request, socket, context)


@events.on_finish(channel="^room-")
def room_finish(request, socket, context):
    record("room_finish", request, socket, context)
    socket.broadcast_channel({"left": socket.session.session_id})


@events.on("whoami")
def whoami(request, socket, context):
    record("whoami", request, socket, context)
    return (request.user.username if request.user.is_authenticated else None,
            request.COOKIES.get("flavour"))


@events.on("add", channel="^room-")
def add_in_room(request, socket, context, a, b):
    record("add_in_room", request, socket, context, a, b)
    return a + b


@events.on("count")
def count(request, socket, context):
    context["n"] = context.get("n", 0) + 1
    socket.ack(context["n"], "explicit")


@events.on_subscribe(channel="^private-")
def private_subscribe(request, socket, context, channel):
    """Under --private-channels: only sockets that said "vip" get in."""
    record("private_subscribe", request, socket, context, channel)
    if not context.get("vip"):
        raise Refused("members only: " + channel)


@events.on("vip")
def vip(request, socket, context):
    context["vip"] = True
    return "welcome"
