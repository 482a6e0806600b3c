# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""``path("", include("realtime.urls"))``: the event endpoint for
``socketiod --upstream http://HOST:PORT/realtime/events``."""
from django.urls import path

from . import views

urlpatterns = [
    path("realtime/events", views.socketio, name="realtime_events"),
]
