# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""django-socketio's out-of-band functions (called from views, commands,
anywhere), over the control RPC. Each raises NoSocket when nobody receives
the message, as the originals did."""
from .exceptions import NoSocket, NoSuchSession


def send(rpc, session_id, message, namespace="/"):
    """Sends ``message`` to the socket ``session_id`` (its sid)."""
    try:
        rpc.send(message, namespace=namespace, to=session_id)
    except NoSuchSession:
        raise NoSocket("There is no socket with the session ID: "
                       + str(session_id)) from None


def broadcast(rpc, message, namespace="/"):
    """Sends ``message`` to every socket."""
    if rpc.send(message, namespace=namespace)["recipients"] == 0:
        raise NoSocket("There are no clients.")


def broadcast_channel(rpc, message, channel, namespace="/"):
    """Sends ``message`` to every socket in ``channel``."""
    if rpc.send(message, namespace=namespace,
                channel=channel)["recipients"] == 0:
        raise NoSocket("There are no clients on the channel: " + channel)
