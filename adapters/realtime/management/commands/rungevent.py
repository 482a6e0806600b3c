# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""``manage.py rungevent [interface:port]``: django-realtime's runner,
now runserver_socketio wired to realtime's endpoint."""
from django_socketio.management.commands.runserver_socketio import \
    Command as RunserverSocketio


class Command(RunserverSocketio):
    help = "django-realtime's rungevent: socketiod plus the dev server."
    events_url_name = "realtime_events"
