# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The app config: imports every installed app's ``events`` module."""
from django.apps import AppConfig


class DjangoSocketioConfig(AppConfig):
    name = "django_socketio"
    verbose_name = "Socket.IO (socketiod)"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules
        autodiscover_modules("events")
