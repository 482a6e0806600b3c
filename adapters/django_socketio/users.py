# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""App users and their sockets (docs/presence.md): the connect answer
names ``request.user`` (its SOCKETIOD_USER_FIELD, the pk by default, as a
string; nobody for an anonymous user) and the daemon keeps it with the
socket; these functions ask the daemon who is online and send to all the
sockets of one user, on every node of the fleet. Shared by django_socketio
and realtime."""
import logging

from . import conf

log = logging.getLogger("django_socketio")


def user_id(user):
    """The id the daemon knows ``user`` by: a user object's
    SOCKETIOD_USER_FIELD, or ``user`` itself (an id, a pk) as a string."""
    field = conf.user_field() or "pk"
    if hasattr(user, field) and hasattr(user, "is_authenticated"):
        return str(getattr(user, field))
    return str(user)


def connect_user(request):
    """The id of the logged-in ``request.user``, or None: anonymous, no
    auth app, or SOCKETIOD_USER_FIELD set to None."""
    field = conf.user_field()
    user = getattr(request, "user", None)
    if not field or user is None:
        return None
    try:
        if not user.is_authenticated:
            return None
        return str(getattr(user, field))
    except Exception:
        log.exception("no user id for the socket (SOCKETIOD_USER_FIELD=%r)",
                      field)
        return None


def add_user(answer, ev, request):
    """Puts the socket's user in the ``answer`` to an accepted connect."""
    if ev.type == "connect" and answer.get("allow", True):
        uid = connect_user(request)
        if uid is not None:
            answer["user"] = uid
    return answer


def connected_users(namespace="/"):
    """The set of user ids with a socket in ``namespace`` (the whole fleet
    with --redis)."""
    return conf.rpc().connected_users(namespace=namespace)


def is_online(user, namespace="/"):
    """True when ``user`` (a user object or an id) has a socket."""
    return conf.rpc().is_online(user_id(user), namespace=namespace)


def send_to_user(user, message, namespace="/"):
    """Sends ``message`` (the "message" event, as send() does) to every
    socket of ``user`` (a user object or an id). Returns the number of
    sockets reached on this node (the other nodes' are not counted)."""
    return conf.rpc().call("send", message=message, namespace=namespace,
                           user=user_id(user))["recipients"]


def emit_to_user(user, event, *args, namespace="/"):
    """Emits ``event`` with ``args`` to every socket of ``user``."""
    return conf.rpc().send_to_user(user_id(user), event, args,
                                   namespace=namespace)["recipients"]


def presence(channel, namespace="/"):
    """{user id: sockets} of the users in ``channel``."""
    return conf.rpc().presence(channel, namespace=namespace)
