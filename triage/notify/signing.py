"""Signatures of webhook notifications (generic webhooks and the SMS gateway).

Every POST carries two headers:

- ``X-Tipline-Timestamp``: the time of sending, in whole seconds since the Unix epoch;
- ``X-Tipline-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed with
  ``TIPLINE_WEBHOOK_SECRET``, of the timestamp, a dot, and the raw request body.

A receiver recomputes the HMAC over exactly the bytes it received, compares in constant time,
and rejects timestamps too far from its own clock (replays). ``verify`` is that check.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Tipline-Timestamp"
SIGNATURE_HEADER = "X-Tipline-Signature"
DELIVERY_HEADER = "X-Tipline-Delivery"  # the notification id: the same on every retry
VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The value of ``X-Tipline-Signature`` for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True if ``signature`` is ours for ``body`` and ``timestamp`` is within ``tolerance``."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)
