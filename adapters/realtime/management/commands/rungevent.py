# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""``manage.py rungevent [interface:port]``: django-realtime's runner, now
runserver_socketio wired to realtime's endpoint. As in django-realtime,
``interface:port`` is where the pages are served (the dev server; default
127.0.0.1:8000, ``0:8000`` for every interface); socketiod listens on
``--socketio`` (default SOCKETIO_HOST:SOCKETIO_PORT)."""
from django_socketio.management.commands.runserver_socketio import \
    Command as RunserverSocketio


class Command(RunserverSocketio):
    help = ("django-realtime's rungevent: the dev server on interface:port, "
            "with socketiod.")
    events_url_name = "realtime_events"

    def add_arguments(self, parser):
        parser.add_argument("django_addrport", nargs="?",
                            default="127.0.0.1:8000",
                            help="where the dev server listens "
                                 "(interface:port, default 127.0.0.1:8000)")
        parser.add_argument("--socketio", dest="addrport",
                            help="where socketiod listens (host:port, "
                                 "default SOCKETIO_HOST:SOCKETIO_PORT)")
        parser.add_argument("--noreload", action="store_false",
                            dest="use_reloader",
                            help="no auto-reload of the dev server")
        parser.add_argument("--daemon-verbose", type=int, default=0,
                            help="-v count passed to socketiod")
