"""The chat's SQLite database (rooms and who is in them)."""
import os

import web

PATH = os.environ.get("EXAMPLE_DB", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "chat.sqlite3"))
_db = None


def db():
    global _db
    if _db is None:
        _db = web.database(dbn="sqlite", db=PATH)
        _db.printing = False
        _db.query("CREATE TABLE IF NOT EXISTS chat_room (id INTEGER PRIMARY KEY, "
                  "name TEXT, slug TEXT UNIQUE)")
        _db.query("CREATE TABLE IF NOT EXISTS chat_user (id INTEGER PRIMARY KEY, "
                  "name TEXT, room_id INTEGER, session TEXT)")
        _db.query("DELETE FROM chat_user")   # nobody is connected at start
    return _db
