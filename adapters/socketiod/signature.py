# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Signing and verification of upstream requests (docs/upstream.md,
"Checking the signature"): the header X-Socketiod-Signature is
``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
import hashlib
import hmac
import time

from .exceptions import SignatureError

HEADER = "X-Socketiod-Signature"
META_KEY = "HTTP_X_SOCKETIOD_SIGNATURE"   # the same in a WSGI/CGI environ
MAX_AGE = 300                             # seconds: clock skew and replays


def _bytes(v):
    return v.encode() if isinstance(v, str) else bytes(v)


def sign(body, secret, t=None):
    """The header value the daemon would send for ``body`` (bytes) at
    time ``t`` (default now). Used by tests and ``socketiod.testing``."""
    t = int(time.time() if t is None else t)
    mac = hmac.new(_bytes(secret), b"%d." % t + _bytes(body), hashlib.sha256)
    return "t=%d,v1=%s" % (t, mac.hexdigest())


def check(header, body, secret, max_age=MAX_AGE, now=None):
    """Raises SignatureError unless ``header`` signs ``body`` with
    ``secret`` and is at most ``max_age`` seconds away from ``now``."""
    if not secret:
        raise SignatureError("no secret configured: every request is refused")
    try:
        fields = dict(p.split("=", 1) for p in header.split(","))
        t, sig = int(fields["t"]), fields["v1"]
    except (KeyError, ValueError, AttributeError):
        raise SignatureError("missing or malformed %s" % HEADER) from None
    if abs((time.time() if now is None else now) - t) > max_age:
        raise SignatureError("stale signature (t=%d)" % t)
    want = hmac.new(_bytes(secret), b"%d." % t + _bytes(body),
                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        raise SignatureError("signature does not match")


def verify(header, body, secret, max_age=MAX_AGE, now=None):
    """True when check() passes."""
    try:
        check(header, body, secret, max_age, now)
        return True
    except SignatureError:
        return False
