# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""``path("", include("django_socketio.urls"))``: the endpoint socketiod
posts client events to (--upstream http://HOST:PORT/socketio/events)."""
from django.urls import path
from django.utils.module_loading import autodiscover_modules

from . import views

autodiscover_modules("events")   # also when the app config is not used

urlpatterns = [
    path("socketio/events", views.socketio, name="socketio_events"),
]
