"""example_django as a WSGI application, for mod_wsgi (or uwsgi, gunicorn):

    WSGIScriptAlias / /path/to/adapters/example_django/example_django/wsgi.py

(etc/apache2/example-django-wsgi.conf is a ready Apache config.)

What differs between deployments comes from environment variables, read
by settings.py: EXAMPLE_DB, EXAMPLE_SECRET_KEY, SOCKETIOD_RPC,
SOCKETIOD_SECRET_FILE, SOCKETIO_PORT, SOCKETIO_URL (and the adapter's own
SOCKETIOD_UPSTREAM_SECRET). mod_wsgi's daemon processes inherit Apache's
environment (/etc/apache2/envvars), but Apache's `SetEnv` only reaches
each request's WSGI environ; so the first request copies the variables
named EXAMPLE_* and SOCKETIO* from its environ into os.environ (a value
set by SetEnv wins) before Django loads the settings.
"""
import os
import sys
import threading

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.dirname(HERE), HERE):   # the example, then adapters/
    if _p not in sys.path:
        sys.path.insert(0, _p)
# Not setdefault: Apache's environment may name another project's settings.
os.environ["DJANGO_SETTINGS_MODULE"] = "example_django.settings"

PREFIXES = ("EXAMPLE_", "SOCKETIO")

_django = None
_lock = threading.Lock()


def _load(environ):
    global _django
    with _lock:
        if _django is None:
            for k, v in environ.items():
                if k.startswith(PREFIXES) and isinstance(v, str):
                    os.environ[k] = v
            from django.core.wsgi import get_wsgi_application
            _django = get_wsgi_application()
    return _django


def application(environ, start_response):
    return (_django or _load(environ))(environ, start_response)
