"""Settings of the django-socketio chat demo on socketiod.

Everything that differs between deployments comes from the environment
(under mod_wsgi also from Apache's SetEnv: see wsgi.py):

| variable | default | |
|---|---|---|
| EXAMPLE_DB | db.sqlite3 beside manage.py | the SQLite database (`run.py --init` creates it) |
| EXAMPLE_SECRET_KEY | a fixed, public one | Django's SECRET_KEY |
| SOCKETIOD_RPC | example-django.sock beside the daemon's default (socketiod.rpc.default_path(): a directory of this user alone) | socketiod's control socket |
| SOCKETIOD_SECRET_FILE | none | a file holding the upstream secret (the daemon's --upstream-secret); else $SOCKETIOD_UPSTREAM_SECRET, else derived from SECRET_KEY |
| SOCKETIO_HOST, SOCKETIO_PORT | 127.0.0.1, 9000 | where runserver_socketio runs socketiod; the port pages connect to (the web server's, behind Apache) |
| SOCKETIO_URL | none | where pages connect, when not //page-host:SOCKETIO_PORT |
"""
import os

from socketiod.rpc import default_path

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = os.environ.get("EXAMPLE_SECRET_KEY", "example-django-not-secret")
DEBUG = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_socketio",
    "chat",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "example_django.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth"]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("EXAMPLE_DB", os.path.join(BASE_DIR, "db.sqlite3")),
}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# django-socketio's settings (socketiod listens there; pages connect there)
SOCKETIO_HOST = os.environ.get("SOCKETIO_HOST", "127.0.0.1")
SOCKETIO_PORT = int(os.environ.get("SOCKETIO_PORT", "9000"))
SOCKETIO_URL = os.environ.get("SOCKETIO_URL") or None
SOCKETIO_MESSAGE_LOG_FORMAT = None
# the control socket shared by the daemon and the views
SOCKETIOD_RPC = os.environ.get("SOCKETIOD_RPC") or os.path.join(
    os.path.dirname(default_path()), "example-django.sock")
# the upstream HMAC key, shared with the daemon's --upstream-secret FILE
if os.environ.get("SOCKETIOD_SECRET_FILE"):
    with open(os.environ["SOCKETIOD_SECRET_FILE"]) as _f:
        SOCKETIOD_SECRET = _f.read().rstrip("\r\n")
