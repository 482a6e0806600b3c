# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-realtime's signals. ``sender`` is the socket; every signal also
gets ``request`` (the socket's Django request, with the browser's cookies,
session and user)."""
from collections import defaultdict

from django.dispatch import Signal

socket_connected = Signal()          # request
socket_disconnected = Signal()       # request, late (the app was down: docs/upstream.md)
socket_client_message = Signal()     # request, message
socket_client_event = Signal()       # request, event
# indexed by event name: fires for that event only (request, event)
socket_client_event_by_type = defaultdict(Signal)
