"""Settings of the Django project the adapter tests run (in-process, and
under manage.py for runserver_socketio)."""
import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "adapter-tests-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_socketio",
    "realtime",
    "djproject.testapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "djproject.urls"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("ADAPTER_TEST_DB", os.path.join(BASE_DIR, "db.sqlite3")),
    "TEST": {"NAME": os.environ.get("ADAPTER_TEST_DB")},
}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
              "APP_DIRS": True, "DIRS": [],
              "OPTIONS": {"context_processors": [
                  "django.template.context_processors.request"]}}]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SOCKETIOD_RPC = os.environ.get("DJANGO_SOCKETIOD_RPC", "/tmp/socketiod-adapter-tests.sock")
SOCKETIO_PORT = int(os.environ.get("ADAPTER_SOCKETIO_PORT", "9000"))
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "loggers": {"django.server": {"handlers": [], "propagate": False}}}
SOCKETIO_MESSAGE_LOG_FORMAT = os.environ.get("ADAPTER_LOG_FORMAT")
