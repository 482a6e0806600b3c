# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The Django request a handler gets: built from the socket's handshake
(its cookies, headers, address and query string), with ``session`` and
``user`` as the session and auth middleware would set them, so
``request.user`` is whoever is logged in in the browser."""
import io
import logging

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.utils.functional import SimpleLazyObject

log = logging.getLogger("django_socketio")

# Keys of the daemon's request that are about the daemon, not the browser.
_DROP_PREFIXES = ("HTTP_", "CONTENT_", "wsgi.input")


def socket_request(daemon_request, ev, path=None):
    """A GET request of the socket ``ev`` (an UpstreamEvent): META from the
    handshake over the daemon request's server keys; ``request.socketio``
    is the event itself."""
    environ = {k: v for k, v in daemon_request.META.items()
               if not k.startswith(_DROP_PREFIXES)}
    environ.update({
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path or "/socket.io/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(b""),
    })
    environ.update({k: str(v) for k, v in ev.handshake.items()})
    if "HTTP_HOST" in environ and ":" in environ["HTTP_HOST"]:
        host = environ["HTTP_HOST"].rsplit(":", 1)
        environ["SERVER_PORT"] = host[1]
    request = WSGIRequest(environ)
    request.socketio = ev
    _add_session_and_user(request)
    return request


def _add_session_and_user(request):
    apps = settings.INSTALLED_APPS
    if "django.contrib.sessions" in apps:
        from importlib import import_module
        engine = import_module(settings.SESSION_ENGINE)
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        request.session = engine.SessionStore(key)
        if "django.contrib.auth" in apps:
            from django.contrib.auth import get_user
            request.user = SimpleLazyObject(lambda: get_user(request))
