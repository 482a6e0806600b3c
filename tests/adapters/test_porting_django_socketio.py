"""Porting django-socketio: its README's usage works as written (issue 15).

From the README:

    var socket = new io.Socket();
    socket.connect();
    socket.on('connect', function() {
        socket.subscribe('room-' + roomID);
    });

    @on_message(channel="^room-")
    def my_chat_handler(request, socket, context, message): ...

and the setting SOCKETIO_MESSAGE_LOG_FORMAT, whose default in
django-socketio's settings is
'%(REMOTE_ADDR)s - - [%(TIME)s] "Socket.IO %(TYPE)s: %(MESSAGE)s"'.
"""
import sqlite3

from e2e_lib import wait_until

DJANGO_SOCKETIO_LOG_FORMAT = \
    '%(REMOTE_ADDR)s - - [%(TIME)s] "Socket.IO %(TYPE)s: %(MESSAGE)s"'


def test_message_log_type_renders(daemon, clients, tmp_path):
    """Item 10: django-socketio's own default format renders %(TYPE)s."""
    db = str(tmp_path / "log.sqlite3")
    d = daemon("/socketio/events", "--message-log-format",
               DJANGO_SOCKETIO_LOG_FORMAT, "--message-log", db)
    c = clients("v4", d)
    c.subscribe("room-42")
    c.emit("message", "hello")

    def lines():
        try:
            con = sqlite3.connect(db)
            try:
                return [r[0] for r in con.execute(
                    "SELECT line FROM messages WHERE direction = 'in' "
                    "ORDER BY id")]
            finally:
                con.close()
        except sqlite3.Error:
            return []
    wait_until(lambda: len(lines()) >= 2, timeout=20, what="two log rows")
    lines = lines()
    assert any(l.startswith("127.0.0.1 - - [") and
               '"Socket.IO subscribe: ["subscribe","room-42"]"' in l
               for l in lines), lines
    assert any('"Socket.IO message: ["message","hello"]"' in l
               for l in lines), lines


def test_subscribe_twice_runs_on_subscribe_once(daemon, clients, calls):
    """Item 4: the page's own subscribe on 'connect' and the client's
    re-subscribe after a reconnect both come; the app sees one."""
    d = daemon()
    c = clients("v4", d)
    c.subscribe("room-42")
    c.subscribe("room-42")
    c.emit("message", "after")
    wait_until(lambda: [x for x in calls if x["name"] == "room_message"],
               what="the room message")
    subs = [x for x in calls if x["name"] == "room_subscribe"]
    assert [s["args"] for s in subs] == [["room-42"]]
    msg = [x for x in calls if x["name"] == "room_message"][0]
    assert msg["channels"] == ["room-42"]
