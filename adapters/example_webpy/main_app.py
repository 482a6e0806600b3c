#!/usr/bin/env python3
"""webpy-socketio's chat demo on socketiod. One command:

    python3 adapters/example_webpy/main_app.py [PORT]

runs socketiod on SOCKETIO_HOST:SOCKETIO_PORT (127.0.0.1:9000; set them
in the environment) and the site on http://127.0.0.1:PORT/ (8080).
"""
import os
import re
import sys
from html import escape

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import web  # noqa: E402
from socketiod.rpc import default_path  # noqa: E402

from webpy_socketio import *  # noqa: E402,F401,F403
import events  # noqa: E402,F401  (the handlers)
import store  # noqa: E402

web.config.debug = False
# beside the daemon's default socket, in a directory of this user alone
web.config.SOCKETIOD_RPC = os.environ.get("SOCKETIOD_RPC") or os.path.join(
    os.path.dirname(default_path()), "example-webpy.sock")

urls = (
    "/", "rooms",
    "/create", "create",
    "/room/(.+)", "room",
    "/system_message/?", "system_message",
) + socketio_urls  # noqa: F405

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>%(title)s · webpy-socketio on socketiod</title>
<style>body{font:15px/1.4 sans-serif;margin:2em auto;max-width:46em}
#users{float:right;width:12em;list-style:none;border-left:1px solid #ccc;padding-left:1em}
#messages{list-style:none;padding:0;min-height:10em}.notice{color:#777;font-style:italic}
.system{color:#b00;font-weight:bold}</style>%(head)s</head><body>
<p><a href="/">Rooms</a> · <a href="/system_message">System message</a></p>
%(body)s</body></html>"""

ROOM_JS = """<script>
(function () {
    var room = %(room)d, name = null, started = false;
    var $ = function (id) { return document.getElementById(id); };
    var li = function (list, text, cls, id) {
        var e = document.createElement("li"); e.textContent = text;
        if (cls) e.className = cls; if (id) e.id = id; $(list).appendChild(e);
    };
    var say = function (d, text, cls) {
        li("messages", new Date().toTimeString().slice(0, 8) + " " + d.name + ": " + text, cls);
    };
    var socket = new io.Socket();
    socket.on("connect", function () {
        socket.subscribe("room-" + room);
        if (name) socket.send({room: room, action: "start", name: name});
    });
    socket.on("message", function (d) {
        switch (d.action) {
        case "in-use": alert("Name is in use, please choose another"); break;
        case "started":
            started = true; $("submit").textContent = "Send"; $("users").innerHTML = "";
            d.users.forEach(function (n) { li("users", n); }); break;
        case "join": li("users", d.name, null, "user-" + d.id); say(d, "joins", "notice"); break;
        case "leave": var u = $("user-" + d.id); if (u) u.remove(); say(d, "leaves", "notice"); break;
        case "message": say(d, d.message); break;
        case "system": d.name = "SYSTEM"; say(d, d.message, "system"); break;
        }
    });
    $("form").onsubmit = function () {
        var v = $("message").value;
        if (v) {
            if (!started) { name = v; socket.send({room: room, action: "start", name: v}); }
            else socket.send({room: room, action: "message", message: v});
        }
        $("message").value = ""; return false;
    };
    socket.connect();
})();
</script>"""


def page(title, body, head=""):
    return PAGE % {"title": escape(title), "body": body, "head": head}


class rooms:
    def GET(self):
        items = "".join(
            '<li><a href="/room/%s">%s</a></li>' % (escape(r.slug), escape(r.name))
            for r in store.db().select("chat_room", order="name"))
        return page("Rooms", '<h1>Rooms</h1><ul id="rooms">%s</ul>'
                    '<form method="post" action="/create"><input name="name" '
                    'id="room-name" placeholder="New room"> <button id="create">'
                    'Create</button></form>' % (items or "<li>No rooms yet.</li>"))


class create:
    def POST(self):
        name = web.input(name="").name.strip()
        if not name:
            raise web.seeother("/")
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "room"
        db = store.db()
        if not list(db.where("chat_room", slug=slug)):
            db.insert("chat_room", name=name, slug=slug)
        raise web.seeother("/room/" + slug)


class room:
    def GET(self, slug):
        found = list(store.db().where("chat_room", slug=slug))
        if not found:
            raise web.notfound()
        r = found[0]
        body = ('<h1>%s</h1><ul id="users"></ul><ul id="messages"></ul>'
                '<form id="form"><input id="message" autocomplete="off" '
                'placeholder="Your name"> <button id="submit">Join</button>'
                '</form>' % escape(r.name))
        return page(r.name, body + socketio_scripts() +  # noqa: F405
                    ROOM_JS % {"room": r.id})


class system_message:
    def form(self, message=""):
        opts = "".join('<option value="%d">%s</option>' % (r.id, escape(r.name))
                       for r in store.db().select("chat_room", order="name"))
        return page("System message", "<h1>System message</h1>%s"
                    '<form method="post"><select name="room" id="room"><option '
                    'value="">All rooms</option>%s</select> <input name="message" '
                    'id="message"> <button id="send">Send</button></form>' % (
                        '<p id="result">%s</p>' % escape(message) if message else "",
                        opts))

    def GET(self):
        return self.form()

    def POST(self):
        i = web.input(room="", message="")
        data = {"action": "system", "message": i.message}
        try:
            if i.room:
                broadcast_channel(data, channel="room-" + i.room)  # noqa: F405
            else:
                broadcast(data)  # noqa: F405
        except NoSocket as e:  # noqa: F405
            return self.form(str(e))
        return self.form("Message sent")


app = web.application(urls, globals())

if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    store.db()
    run(app, "127.0.0.1", port)  # noqa: F405
