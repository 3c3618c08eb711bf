"""Acknowledgement-link tokens.

A notification's token is an HMAC-SHA256, under a key derived from the officers' app secret,
of the notification's random id (a UUID4). The database keeps only the token's SHA-256
(``Notification.ack_token_hash``): a copy of the database does not give working links, and the
sender can rebuild the link for each retry without the token ever being stored. A link alone
acknowledges nothing: the officer must log in and belong to the item's unit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_CONTEXT = b"tipline.ack-token/1"


def ack_token(secret: str | bytes, notification_id: str) -> str:
    """The token in notification ``notification_id``'s acknowledgement link (43 characters)."""
    key = secret.encode() if isinstance(secret, str) else secret
    derived = hmac.new(key, _CONTEXT, hashlib.sha256).digest()
    mac = hmac.new(derived, notification_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    """What is stored and looked up: the SHA-256 of the token, in hex."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
