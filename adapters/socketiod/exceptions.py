# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""The exception hierarchy of the adapters: everything derives from
SocketiodError, so ``except socketiod.SocketiodError`` catches them all."""


class SocketiodError(Exception):
    """Base class of every error raised by the adapters."""


class RpcError(SocketiodError):
    """The daemon answered a control request with an error.

    ``code`` is the RPC error code (docs/rpc.md, "Errors"), ``message`` the
    daemon's text."""

    def __init__(self, code, message, method=None):
        super().__init__("%s (code %s)%s" % (
            message, code, " in %s" % method if method else ""))
        self.code = code
        self.message = message
        self.method = method


class NoSuchSession(RpcError):
    """RPC error -32001: the sid names no connected socket."""


class AckTimeout(RpcError):
    """RPC error -32002: an emit with ``ack`` got no acknowledgement."""


class RpcUnavailable(SocketiodError):
    """The control socket could not be reached, or the connection broke
    before the answer came (is socketiod running? is the path right?)."""


class SignatureError(SocketiodError):
    """An upstream request whose X-Socketiod-Signature is missing, malformed,
    stale or wrong: it did not come from the daemon."""


class BadRequest(SocketiodError):
    """An upstream request body that is not the JSON docs/upstream.md
    describes."""


class NoSocket(SocketiodError):
    """Raised by the out-of-band functions (``send``, ``broadcast``,
    ``broadcast_channel``) when nobody is there to receive the message:
    django-socketio's exception of the same name."""


class Refused(SocketiodError):
    """Raise it from a connect (or, with --private-channels, a subscribe)
    handler to refuse: ``message`` is what the client sees, ``data`` goes
    to socket.io-client 3/4 as ``err.data``."""

    def __init__(self, message="refused", data=None):
        super().__init__(message)
        self.message = message
        self.data = data


class ConfigError(SocketiodError):
    """A setting is missing or wrong (e.g. no socketiod binary to run)."""
