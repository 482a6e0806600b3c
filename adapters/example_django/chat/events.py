"""The chat's Socket.IO handlers: django-socketio's chat example, with
names from Django auth when the user is logged in."""
from django.shortcuts import get_object_or_404
from django.utils.html import strip_tags

from django_socketio import events

from chat.models import ChatRoom


@events.on_message(channel="^room-")
def message(request, socket, context, message):
    """A message in a room. "start" joins with a name (the user's, when
    logged in) and gets the list of users; "message" is said to the room."""
    room = get_object_or_404(ChatRoom, id=message["room"])
    if message["action"] == "start":
        if request.user.is_authenticated:
            name = request.user.username
        else:
            name = strip_tags(message.get("name") or "").strip()[:30]
        if not name or room.users.filter(name=name).exists():
            socket.send({"action": "in-use"})
            return
        user = room.users.create(name=name,
                                 session=socket.session.session_id)
        context["user"] = user
        users = [u.name for u in room.users.exclude(id=user.id)]
        socket.send({"action": "started", "name": name, "users": users})
        joined = {"action": "join", "name": user.name, "id": user.id}
        socket.send_and_broadcast_channel(joined)
    else:
        user = context.get("user")
        if user is None:
            return
        if message["action"] == "message":
            message["message"] = strip_tags(message["message"])
            message["name"] = user.name
            socket.send_and_broadcast_channel(message)


@events.on_finish(channel="^room-")
def finish(request, socket, context):
    """The socket left: tell the room, forget the user."""
    user = context.get("user")
    if user is None:
        return
    socket.broadcast_channel({"action": "leave", "name": user.name,
                              "id": user.id})
    user.delete()
