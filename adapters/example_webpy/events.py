"""The chat's Socket.IO handlers (webpy-socketio's chat example)."""
from html import escape

from webpy_socketio import on_finish, on_message

import store


@on_message(channel="^room-")
def message(request, socket, context, message):
    """"start" joins the room with a name and gets the users; "message"
    is said to the room."""
    db = store.db()
    room_id = int(message["room"])
    if message["action"] == "start":
        name = escape((message.get("name") or "").strip()[:30])
        if not name or list(db.where("chat_user", name=name, room_id=room_id)):
            socket.send({"action": "in-use"})
            return
        users = [u.name for u in db.where("chat_user", room_id=room_id)]
        uid = db.insert("chat_user", name=name, room_id=room_id,
                        session=socket.session.session_id)
        context["user"] = {"id": uid, "name": name, "room_id": room_id}
        socket.send({"action": "started", "name": name, "users": users})
        socket.send_and_broadcast_channel({"action": "join", "name": name,
                                           "id": uid})
    else:
        user = context.get("user")
        if user and message["action"] == "message":
            message["message"] = escape(message["message"])
            message["name"] = user["name"]
            socket.send_and_broadcast_channel(message)


@on_finish(channel="^room-")
def finish(request, socket, context):
    """The socket left: tell the room, forget the user."""
    user = context.get("user")
    if not user:
        return
    store.db().delete("chat_user", where="id = $id", vars={"id": user["id"]})
    socket.broadcast_channel({"action": "leave", "name": user["name"],
                              "id": user["id"]})
