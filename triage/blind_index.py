"""Blind indexes: a keyed HMAC of each normalized identifier, so that two items naming the same
person, handle, phone, email or place can be found without the identifier being stored.

``digest = HMAC-SHA256(K_index, kind || 0x00 || value)`` in hex, where ``K_index`` is derived
from ``settings.blind_index_key`` (``TIPLINE_BLIND_INDEX_KEY``) for this purpose only. Equal
digests mean equal normalized values of the same kind. Without the key a digest cannot be
recomputed from a guessed name, so a copy of the triage database alone does not tell who is
named in it. Anyone holding the key can test guesses: keep it out of the database's backups.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from triage.identifiers import Identifier
from triage.models import BlindIndex

_INDEX_PURPOSE = b"tipline/blind-index/v1"


def subkey(key: bytes, purpose: bytes) -> bytes:
    """A key for one purpose, derived from the blind-index key (so that the MinHash
    signatures and the identifier digests never share a key)."""
    if not key:
        raise ValueError("the blind-index key is empty (set TIPLINE_BLIND_INDEX_KEY)")
    return hmac.new(key, purpose, hashlib.sha256).digest()


def digest(key: bytes, identifier: Identifier) -> str:
    """The blind index of one normalized identifier (64 hex characters)."""
    message = identifier.kind.encode() + b"\x00" + identifier.value.encode("utf-8")
    return hmac.new(subkey(key, _INDEX_PURPOSE), message, hashlib.sha256).hexdigest()


def digests(key: bytes, identifiers: Iterable[Identifier]) -> set[tuple[str, str]]:
    """``{(kind, digest)}`` for the identifiers (duplicates collapse)."""
    return {(i.kind, digest(key, i)) for i in identifiers}


def index_rows(item_id: int, pairs: Iterable[tuple[str, str]]) -> list[BlindIndex]:
    return [BlindIndex(item_id=item_id, kind=kind, digest=d) for kind, d in sorted(pairs)]
