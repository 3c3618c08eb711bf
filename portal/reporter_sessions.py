"""Reporter sessions: what lets someone who proved their receipt code read and reply for a while.

Neither the code nor the reporter's private key is ever in a cookie in clear, and neither half
of a session is useful alone:

- the cookie holds a random session id and a random wrapping key (base64, 64 bytes);
- Redis holds, under SHA-256 of the session id, the lookup id and the reporter's private key
  encrypted with the wrapping key (AES-256-GCM, bound to the Redis key name);
- the Redis entry expires after ``idle_minutes`` without use and each use refreshes it;
  ``close`` deletes it at once.

So Redis alone (no wrapping key) shows nothing but opaque bytes, and a stolen cookie is useless
once the session has ended.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from redis import Redis

from tipline.keys import PrivateKey, x25519_private_key

KEY_PREFIX = "tipline:portal:reporter-session:"
_ID_BYTES = 32
_WRAP_BYTES = 32
_NONCE_BYTES = 12


@dataclass(frozen=True)
class ReporterSession:
    """A live session: which receipt, and the key that opens the reporter's messages."""

    lookup_id: str
    private_key: PrivateKey

    def __repr__(self) -> str:  # never print the key
        return f"ReporterSession(lookup_id={self.lookup_id[:8]}...)"


def _redis_key(session_id: bytes) -> str:
    return KEY_PREFIX + hashlib.sha256(session_id).hexdigest()


def _split(cookie_value: str) -> tuple[bytes, bytes] | None:
    try:
        raw = base64.urlsafe_b64decode(cookie_value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    if len(raw) != _ID_BYTES + _WRAP_BYTES:
        return None
    return raw[:_ID_BYTES], raw[_ID_BYTES:]


class ReporterSessions:
    """Opens, resumes and closes reporter sessions in Redis (see the module docstring)."""

    def __init__(self, redis: Redis, idle_minutes: int) -> None:
        self._redis = redis
        self.idle_seconds = idle_minutes * 60

    def open(self, lookup_id: str, private_key: PrivateKey) -> str:
        """Start a session; returns the cookie value. Raises ``RedisError``."""
        session_id, wrap = os.urandom(_ID_BYTES), os.urandom(_WRAP_BYTES)
        name = _redis_key(session_id)
        payload = json.dumps(
            {"lookup_id": lookup_id, "key": base64.b64encode(private_key.raw).decode("ascii")}
        ).encode()
        nonce = os.urandom(_NONCE_BYTES)
        # Readable only with the wrapping key, which lives in the reporter's cookie alone.
        sealed = nonce + AESGCM(wrap).encrypt(nonce, payload, name.encode())
        self._redis.set(name, sealed, ex=self.idle_seconds)
        return base64.urlsafe_b64encode(session_id + wrap).decode("ascii")

    def resume(self, cookie_value: str | None) -> ReporterSession | None:
        """The session for this cookie, refreshing its idle timer; None if ended or invalid.

        Raises ``RedisError`` when Redis cannot be reached.
        """
        parts = _split(cookie_value) if cookie_value else None
        if parts is None:
            return None
        session_id, wrap = parts
        name = _redis_key(session_id)
        sealed = self._redis.getex(name, ex=self.idle_seconds)
        if not sealed or len(sealed) <= _NONCE_BYTES:
            return None
        try:
            payload = AESGCM(wrap).decrypt(
                sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], name.encode()
            )
        except InvalidTag:
            return None
        data = json.loads(payload)
        return ReporterSession(data["lookup_id"], x25519_private_key(base64.b64decode(data["key"])))

    def close(self, cookie_value: str | None) -> None:
        """End the session now (no-op if there is none). Raises ``RedisError``."""
        parts = _split(cookie_value) if cookie_value else None
        if parts is not None:
            self._redis.delete(_redis_key(parts[0]))

    def redis_key_for(self, cookie_value: str) -> str | None:
        """The Redis key a cookie points at (for tests and operators; reveals nothing)."""
        parts = _split(cookie_value)
        return _redis_key(parts[0]) if parts else None
