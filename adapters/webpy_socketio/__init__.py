# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""webpy-socketio's API on socketiod:

    from webpy_socketio import *
    urls = ("/", "index") + socketio_urls
    app = web.application(urls, globals())

    @on_message(channel="^room-")
    def message(request, socket, context, message): ...

    run(app)        # socketiod + the app, for development
"""
from socketiod.exceptions import NoSocket

from .events import (on, on_connect, on_disconnect, on_error, on_finish,
                     on_message, on_subscribe, on_unsubscribe)
from .runner import run
from .socketio_app import socketio, socketio_urls
from .utils import broadcast, broadcast_channel, send, socketio_scripts

__version__ = "0.1.0"
__all__ = ["NoSocket", "broadcast", "broadcast_channel", "send", "socketio",
           "socketio_urls", "socketio_scripts", "run", "on", "on_connect",
           "on_message", "on_subscribe", "on_unsubscribe", "on_error",
           "on_disconnect", "on_finish"]
