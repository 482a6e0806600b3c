# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""socketiod: the shared core of the Python adapters.

- ``socketiod.rpc``: RpcClient, the control RPC (docs/rpc.md)
- ``socketiod.signature``: checking signed upstream requests
- ``socketiod.registry``: Event / Registry, handlers with channel patterns
- ``socketiod.socket``: the ``socket`` handlers get
- ``socketiod.upstream``: parsing an upstream request, running handlers
- ``socketiod.runner``: starting the daemon next to a dev server
- ``socketiod.testing``: helpers for your own tests
"""
from .exceptions import (AckTimeout, BadRequest, ConfigError, NoSocket,
                         NoSuchSession, Refused, RpcError, RpcUnavailable,
                         SignatureError, SocketiodError)
from .registry import Event, EventError, Registry
from .rpc import RpcClient, get_client
from .socket import Session, Socket

__version__ = "0.1.0"
__all__ = ["AckTimeout", "BadRequest", "ConfigError", "Event", "EventError",
           "NoSocket", "NoSuchSession", "Refused", "Registry", "RpcClient",
           "RpcError", "RpcUnavailable", "Session", "SignatureError",
           "Socket", "SocketiodError", "get_client"]
