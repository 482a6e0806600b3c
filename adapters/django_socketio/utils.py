# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-socketio's out-of-band functions, over the control RPC."""
from socketiod import outofband
from socketiod.exceptions import NoSocket  # noqa: F401

from . import conf


def send(session_id, message):
    """Sends ``message`` to the socket ``session_id``; NoSocket if gone."""
    outofband.send(conf.rpc(), session_id, message)


def broadcast(message):
    """Sends ``message`` to every socket; NoSocket if there are none."""
    outofband.broadcast(conf.rpc(), message)


def broadcast_channel(message, channel):
    """Sends ``message`` to every socket in ``channel``; NoSocket if the
    channel is empty."""
    outofband.broadcast_channel(conf.rpc(), message, channel)
