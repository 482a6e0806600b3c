# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""``manage.py runserver_socketio [host:port]``: socketiod on host:port
(default SOCKETIO_HOST:SOCKETIO_PORT) with --upstream pointing at this
project's event endpoint, plus Django's own dev server (``--django``,
default 127.0.0.1:8000) with its auto-reload. The daemon lives in the
reloader's parent process, so reloads keep every socket connected; both
stop together on Ctrl-C or SIGTERM."""
import logging
import os
import signal
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from socketiod.exceptions import ConfigError
from socketiod.runner import DaemonProcess, page_origins, split_addrport

from ... import conf

log = logging.getLogger("django_socketio.runner")


class Command(BaseCommand):
    help = ("Runs socketiod wired to this project and the development "
            "server (with auto-reload).")
    events_url_name = "socketio_events"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?",
                            help="where socketiod listens (host:port)")
        parser.add_argument("--django", dest="django_addrport",
                            default="127.0.0.1:8000",
                            help="where the dev server listens "
                                 "(default 127.0.0.1:8000)")
        parser.add_argument("--noreload", action="store_false",
                            dest="use_reloader",
                            help="no auto-reload of the dev server")
        parser.add_argument("--daemon-verbose", type=int, default=0,
                            help="-v count passed to socketiod")

    def handle(self, *args, **options):
        dj_host, dj_port = split_addrport(options["django_addrport"],
                                          "127.0.0.1", 8000)
        dj_addr = "%s:%d" % (dj_host, dj_port)
        child = os.environ.get("RUN_MAIN") == "true"
        daemon = None
        if not child:
            host, port = split_addrport(options["addrport"], conf.host(),
                                        conf.port())
            # Pages rendered by the dev server ({% socketio %}) use this.
            os.environ["DJANGO_SOCKETIO_PORT"] = str(port)
            os.environ["DJANGO_SOCKETIOD_RPC"] = conf.rpc_path()
            # Handlers and daemon share a key without any setting.
            os.environ.setdefault("SOCKETIOD_UPSTREAM_SECRET", conf.secret())
            connect_host = ("127.0.0.1" if dj_host in ("0.0.0.0", "0", "")
                            else "[::1]" if dj_host == "::" else dj_host)
            upstream = "http://%s:%d%s" % (connect_host, dj_port,
                                          reverse(self.events_url_name))
            try:
                daemon = DaemonProcess(
                    listen="%s:%d" % (host, port), rpc=conf.rpc_path(),
                    upstream=upstream, secret=conf.secret(),
                    binary=conf.binary(), client_js=conf.client_js(),
                    message_log_format=conf.message_log_format(),
                    extra_args=conf.extra_args(),
                    origins=conf.origins() or page_origins(dj_host, dj_port),
                    verbose=options["daemon_verbose"], logger=log)
                daemon.start()
            except ConfigError as e:
                raise CommandError(str(e))
            self.stdout.write("socketiod on http://%s:%d/ (%s; control "
                              "socket %s), events to %s" % (
                                  host, port, daemon.describe(),
                                  conf.rpc_path(), upstream))
            self.stdout.flush()
            # SIGTERM: leave through `finally`, taking the daemon along.
            signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
            daemon.watch(self._daemon_gone)
        try:
            call_command("runserver", dj_addr,
                         use_reloader=options["use_reloader"])
        finally:
            if daemon is not None:
                daemon.stop()

    def _daemon_gone(self, reason):
        """The daemon died for good: say so and stop, rather than serve
        pages whose sockets cannot connect."""
        self.stderr.write("runserver_socketio: %s; stopping" % reason)
        self.stderr.flush()
        os.kill(os.getpid(), signal.SIGTERM)
