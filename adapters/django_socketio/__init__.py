# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-socketio's API on socketiod: add "django_socketio" to
INSTALLED_APPS, include "django_socketio.urls", write handlers in
``events.py`` modules (see django_socketio.events), and run the daemon
with ``manage.py runserver_socketio`` in development."""
from socketiod.exceptions import NoSocket

from .users import connected_users, is_online, send_to_user
from .utils import broadcast, broadcast_channel, send

__version__ = "0.1.0"
__all__ = ["NoSocket", "broadcast", "broadcast_channel", "connected_users",
           "is_online", "send", "send_to_user"]
