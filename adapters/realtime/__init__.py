# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-realtime's API on socketiod: add "realtime" to INSTALLED_APPS,
include "realtime.urls", connect receivers to realtime.signals, run
``manage.py rungevent`` in development."""
from django_socketio.users import (connected_users, emit_to_user,  # noqa
                                   is_online, send_to_user)

from .sockets import connected_sockets  # noqa: F401

__version__ = "0.1.0"
