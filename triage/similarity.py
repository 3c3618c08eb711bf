"""Near-duplicate narratives without keeping the text: a keyed MinHash signature.

The narrative (``what_happened``) is folded (case, accents), cut into words of letters and
digits, and into overlapping shingles of ``SHINGLE_WORDS`` words. Each shingle is hashed with
a key derived from ``TIPLINE_BLIND_INDEX_KEY`` (HMAC-SHA256, first 8 bytes), and
``SIGNATURE_SIZE`` keyed universal hash functions ``(a_i * x + b_i) mod (2^61 - 1)`` give the
signature: the minimum of each function over the shingles. The share of equal positions in two
signatures estimates the Jaccard similarity of the two shingle sets (standard error about
``1 / sqrt(SIGNATURE_SIZE)``, 0.125 here).

A narrative shorter than ``MIN_WORDS`` words gets no signature: two short texts ("he has a
gun") are alike without being the same report. The signature cannot be turned back into words
without the key, and with the key only by guessing whole shingles.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from triage.blind_index import subkey
from triage.identifiers import fold

SIGNATURE_SIZE = 64
SHINGLE_WORDS = 2
MIN_WORDS = 8
_PRIME = (1 << 61) - 1
_PURPOSE = b"tipline/minhash/v1"
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def shingles(text: str) -> set[str]:
    found = words(text)
    return {" ".join(found[i : i + SHINGLE_WORDS]) for i in range(len(found) - SHINGLE_WORDS + 1)}


def _coefficients(key: bytes) -> list[tuple[int, int]]:
    coefficients = []
    for i in range(SIGNATURE_SIZE):
        raw = hmac.new(key, b"coefficients %d" % i, hashlib.sha256).digest()
        a = int.from_bytes(raw[:8], "big") % (_PRIME - 1) + 1
        b = int.from_bytes(raw[8:16], "big") % _PRIME
        coefficients.append((a, b))
    return coefficients


def signature(text: str, key: bytes) -> list[int] | None:
    """The keyed MinHash signature of ``text``, or None if it is too short to compare."""
    if len(words(text)) < MIN_WORDS:
        return None
    hash_key = subkey(key, _PURPOSE)
    values = [
        int.from_bytes(hmac.new(hash_key, s.encode(), hashlib.sha256).digest()[:8], "big")
        for s in shingles(text)
    ]
    return [min((a * x + b) % _PRIME for x in values) for a, b in _coefficients(hash_key)]


def similarity(first: Sequence[int], second: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the two texts' shingles (0.0 to 1.0)."""
    if len(first) != len(second) or not first:
        return 0.0
    return sum(1 for x, y in zip(first, second, strict=True) if x == y) / len(first)
