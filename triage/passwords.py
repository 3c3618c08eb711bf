"""Officer passwords: Argon2id PHC strings (``cryptography``), constant work for unknown users."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

DEFAULT_MEMORY_KIB = 65536
ITERATIONS = 3
LANES = 1
HASH_LENGTH = 32
SALT_LENGTH = 16


def hash_password(password: str, memory_kib: int = DEFAULT_MEMORY_KIB) -> str:
    """A PHC string (``$argon2id$v=19$m=...``) with a fresh random salt."""
    kdf = Argon2id(
        salt=os.urandom(SALT_LENGTH),
        length=HASH_LENGTH,
        iterations=ITERATIONS,
        lanes=LANES,
        memory_cost=memory_kib,
    )
    return kdf.derive_phc_encoded(password.encode("utf-8"))


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches ``encoded`` (parameters are read from the PHC string)."""
    try:
        Argon2id.verify_phc_encoded(password.encode("utf-8"), encoded)
    except (InvalidKey, ValueError):
        return False
    return True


@lru_cache(maxsize=4)
def _dummy_hash(memory_kib: int) -> str:
    return hash_password(secrets.token_urlsafe(24), memory_kib)


def burn_verification(password: str, memory_kib: int = DEFAULT_MEMORY_KIB) -> bool:
    """Spend the same work as a real check, for a username that does not exist; always False.

    Without it a login for an unknown username would answer faster and reveal which names
    are officers.
    """
    verify_password(password, _dummy_hash(memory_kib))
    return False
