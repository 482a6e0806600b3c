# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""socketiod-adapters: the Python side of socketiod.

One distribution, four packages: ``socketiod`` (the shared core: control
RPC client, upstream request verification, handler registry, the handler's
``socket``), ``django_socketio`` (the django-socketio API), ``realtime``
(the django-realtime API) and ``webpy_socketio`` (the webpy-socketio API).

    /usr/bin/python3 -m pip install --no-deps --no-build-isolation adapters/
"""
from setuptools import setup

setup(
    name="socketiod-adapters",
    version="0.1.0",
    description="Django and web.py adapters for the socketiod Socket.IO daemon",
    license="BSD-2-Clause",
    python_requires=">=3.9",
    packages=[
        "socketiod",
        "django_socketio",
        "django_socketio.management",
        "django_socketio.management.commands",
        "django_socketio.templatetags",
        "realtime",
        "realtime.management",
        "realtime.management.commands",
        "realtime.templatetags",
        "webpy_socketio",
    ],
    extras_require={"django": ["Django>=3.2"], "webpy": ["web.py>=0.62"]},
)
