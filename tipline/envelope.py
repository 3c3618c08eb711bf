"""The sealed envelope: the only thing with content that crosses the portal/triage boundary.

Wire format (all integers big-endian)::

    magic      3 bytes  b"TLE"
    version    1 byte   FORMAT_VERSION (1)
    suite      1 byte   SuiteId (1 = ML-KEM-768+X25519, 2 = X25519)
    purpose    1 byte   Purpose
    key id     1 byte length + ASCII key id of the recipient key
    body       HPKE single-shot output (encapsulated key || AES-256-GCM ciphertext)

The whole header is bound into HPKE ``info``: changing the version, suite, purpose or key id
of a sealed envelope makes it fail to open (``TamperedEnvelope``) rather than being read in a
different context.

Each failure has its own exception, so callers (and officers looking at a dead letter) can tell
a damaged envelope from one sealed to a key this unit does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from cryptography.exceptions import InvalidTag

from tipline.keys import PrivateKey, PublicKey, SuiteId

MAGIC = b"TLE"
FORMAT_VERSION = 1
_INFO_PREFIX = b"tipline/envelope/v1|"


class Purpose(IntEnum):
    """What an envelope carries; a sealed report cannot be replayed as a reply and so on."""

    REPORT = 1  # reporter -> unit: a new report
    REPORTER_REPLY = 2  # reporter -> unit: a follow-up answer
    MESSAGE_TO_REPORTER = 3  # unit -> reporter: a question, sealed to the reporter's key
    OFFICER_NOTE = 4  # unit -> unit: what an officer wrote about a report (a decision's note)


class EnvelopeError(Exception):
    """Base class: the envelope could not be opened. Messages never include content."""

    kind = "envelope-error"


class MalformedEnvelope(EnvelopeError):
    kind = "malformed"


class UnsupportedVersion(EnvelopeError):
    kind = "unsupported-version"


class UnsupportedSuite(EnvelopeError):
    kind = "unsupported-suite"


class WrongPurpose(EnvelopeError):
    kind = "wrong-purpose"


class UnknownKey(EnvelopeError):
    """Sealed to a key id this keyring does not hold (wrong unit, or a key removed too early)."""

    kind = "unknown-key"


class TamperedEnvelope(EnvelopeError):
    """Authentication failed: the envelope was altered or not sealed with the matching key."""

    kind = "tampered"


@dataclass(frozen=True)
class Header:
    version: int
    suite: SuiteId
    purpose: Purpose
    key_id: str
    length: int  # bytes of header, so body = envelope[length:]

    def encode(self) -> bytes:
        kid = self.key_id.encode("ascii")
        return MAGIC + bytes([self.version, self.suite, self.purpose, len(kid)]) + kid


def read_header(envelope: bytes) -> Header:
    """Parse the clear header; raises ``MalformedEnvelope`` / ``Unsupported*``."""
    if len(envelope) < 7 or envelope[:3] != MAGIC:
        raise MalformedEnvelope("not a Tipline envelope")
    version, suite_byte, purpose_byte, kid_len = envelope[3], envelope[4], envelope[5], envelope[6]
    if version != FORMAT_VERSION:
        raise UnsupportedVersion(f"envelope format version {version} is not supported")
    try:
        suite = SuiteId(suite_byte)
    except ValueError:
        raise UnsupportedSuite(f"envelope suite {suite_byte} is not supported") from None
    try:
        purpose = Purpose(purpose_byte)
    except ValueError:
        raise MalformedEnvelope(f"unknown envelope purpose {purpose_byte}") from None
    end = 7 + kid_len
    if kid_len == 0 or len(envelope) <= end:
        raise MalformedEnvelope("envelope is truncated")
    try:
        key_id = envelope[7:end].decode("ascii")
    except UnicodeDecodeError:
        raise MalformedEnvelope("envelope key id is not ASCII") from None
    return Header(version, suite, purpose, key_id, end)


def seal(plaintext: bytes, recipient: PublicKey, purpose: Purpose) -> bytes:
    """Seal ``plaintext`` so that only the holder of ``recipient``'s private key can read it."""
    header = Header(FORMAT_VERSION, recipient.suite, purpose, recipient.key_id, 0).encode()
    body = recipient.suite.hpke_suite().encrypt(
        plaintext, recipient.hpke_key(), info=_INFO_PREFIX + header
    )
    return header + body


def open_envelope(envelope: bytes, keyring: Mapping[str, PrivateKey], expected: Purpose) -> bytes:
    """Open ``envelope`` with whichever live key it names; the plaintext stays in memory."""
    header = read_header(envelope)
    if header.purpose is not expected:
        raise WrongPurpose(f"expected a {expected.name} envelope, got {header.purpose.name}")
    key = keyring.get(header.key_id)
    if key is None:
        raise UnknownKey(f"envelope is sealed to key {header.key_id}, which is not held here")
    if key.public.suite is not header.suite:
        raise TamperedEnvelope("envelope suite does not match its key")
    try:
        return header.suite.hpke_suite().decrypt(
            envelope[header.length :],
            key.hpke_key(),
            info=_INFO_PREFIX + envelope[: header.length],
        )
    except InvalidTag:
        raise TamperedEnvelope("envelope failed authentication") from None
    except ValueError:
        raise TamperedEnvelope("envelope body is damaged") from None
