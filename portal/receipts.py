"""Receipt codes: what a reporter writes down to come back to their report.

A code is 28 random digits shown as seven groups of four (``4821-0937-...``): about 93 bits, so
nobody can guess someone else's. The portal shows it once and never stores it. From the code,
Argon2id (memory-hard, with a salt derived from the secret receipt pepper) gives 64 bytes:

- the first half gives the *lookup id* (HMAC-SHA256, 64 hex), which finds the receipt row;
- the second half is the reporter's own X25519 private key. Only its public half is stored, so
  messages sealed to it by officers can be read only by someone holding the code.

Someone with the portal database but not the pepper cannot test codes offline; someone with both
still has to pay one Argon2id per guess across a 93-bit space.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from tipline.keys import PrivateKey, x25519_private_key

GROUPS = 7
GROUP_DIGITS = 4
CODE_DIGITS = GROUPS * GROUP_DIGITS
_SALT_LABEL = b"tipline/receipt/salt/v1|"
_LOOKUP_LABEL = b"tipline/receipt/lookup-id/v1"
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.]+")
# One Argon2id derivation at a time per process. With several lanes, ``cryptography`` hands
# the work to OpenSSL's thread pool (capped at the number of CPUs), and two derivations
# started at once from two threads (gunicorn's gthread workers) hang for good (seen with
# cryptography 50 / OpenSSL 4.0 on two cores; found by bench/submit.py). Web processes still
# derive in parallel with each other, so a process per core keeps every core busy.
_ARGON2_LOCK = threading.Lock()


class ReceiptCodeInvalid(ValueError):
    """The text is not a receipt code (wrong length or characters). Never echoes the text."""


def new_code() -> str:
    """A fresh random receipt code in display form."""
    digits = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    return format_code(digits)


def format_code(digits: str) -> str:
    return "-".join(digits[i : i + GROUP_DIGITS] for i in range(0, CODE_DIGITS, GROUP_DIGITS))


def normalize_code(text: str) -> str:
    """The 28 digits of a code, however spaced or dashed; else ``ReceiptCodeInvalid``."""
    digits = _SEPARATORS.sub("", text.strip())
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        raise ReceiptCodeInvalid(f"a receipt code is {GROUPS} groups of {GROUP_DIGITS} digits")
    return digits


@dataclass(frozen=True)
class ReceiptKeys:
    """What a receipt code unlocks. ``code`` is kept only long enough to show it once."""

    code: str
    lookup_id: str
    private_key: PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public.raw

    def reply_to(self) -> dict[str, str]:
        """The ``reply_to`` part of a report document (sealed with the report)."""
        return {
            "lookup_id": self.lookup_id,
            "public_key": base64.b64encode(self.public_key).decode("ascii"),
        }

    def __repr__(self) -> str:  # never print the code or the key
        return f"ReceiptKeys(lookup_id={self.lookup_id[:8]}...)"


class ReceiptDeriver:
    """Turns receipt codes into lookup ids and reporter key pairs (deterministically)."""

    def __init__(self, pepper: bytes, memory_kib: int, iterations: int) -> None:
        if not pepper:
            raise ValueError("a receipt pepper is required")
        self._salt = hashlib.sha256(_SALT_LABEL + pepper).digest()
        self._memory_kib = memory_kib
        self._iterations = iterations

    def derive(self, code: str) -> ReceiptKeys:
        """Keys for ``code`` (any accepted spelling); raises ``ReceiptCodeInvalid``."""
        digits = normalize_code(code)
        kdf = Argon2id(
            salt=self._salt,
            length=64,
            iterations=self._iterations,
            lanes=4,
            memory_cost=self._memory_kib,
        )
        with _ARGON2_LOCK:
            output = kdf.derive(digits.encode("ascii"))
        lookup_id = hmac.new(output[:32], _LOOKUP_LABEL, hashlib.sha256).hexdigest()
        return ReceiptKeys(format_code(digits), lookup_id, x25519_private_key(output[32:]))

    def issue(self) -> ReceiptKeys:
        """A new random code and what it unlocks."""
        return self.derive(new_code())
