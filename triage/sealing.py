"""Every encryption and decryption on the triage side, named for what it is for.

Views and services never call a crypto primitive directly: they ask ``UnitCrypto`` to open a
report or a reply, to seal a question for a reporter, or to open an attached file. Next to each
operation, a comment says who can read the result. Plaintext only ever lives in memory (or, for
a file being downloaded, in an unlinked temporary file) for the length of one request or job.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from tipline import attachments, followup_schema
from tipline.envelope import Purpose, open_envelope, seal
from tipline.keys import PrivateKey, PublicKey, x25519_public_key
from triage import documents

X25519_PUBLIC_LENGTH = 32


class SealingError(Exception):
    """Something cannot be sealed or opened; the message never carries content."""


class NoUnitKey(SealingError):
    """No private key is held here, so there is no unit key to keep a copy for."""


class ReporterUnreachable(SealingError):
    """The report gave no usable key to write back to: this reporter cannot be messaged."""


class FileDamaged(SealingError):
    """An attached file does not open, or does not match what its document says about it."""


@dataclass(frozen=True)
class SealedMessage:
    """One question, sealed twice: once for the reporter, once for the unit's own record."""

    for_reporter: bytes  # readable only with the reporter's receipt code
    unit_copy: bytes  # readable only with the unit's private keys
    unit_key_id: str


class _HashingWriter:
    """A write-only file that hashes what passes through it on the way to ``target``."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.target.write(data)


class UnitCrypto:
    """The unit's side of the cryptography, over the keyring of live private keys."""

    def __init__(self, keyring: Mapping[str, PrivateKey]) -> None:
        self.keyring = keyring

    def newest_unit_key(self) -> PublicKey:
        """The public half of the newest private key (the one the portal seals to as well)."""
        if not self.keyring:
            raise NoUnitKey("no unit private key is held here")
        newest = max(self.keyring.values(), key=lambda k: (k.public.created_at, k.key_id))
        return newest.public

    # --- documents from the portal ------------------------------------------------------

    def open_report(self, envelope: bytes) -> dict[str, Any]:
        """A sealed report or referral -> its validated document, in memory only.

        Raises ``tipline.envelope.EnvelopeError`` or ``report_schema.ReportInvalid``.
        """
        return documents.decode(open_envelope(envelope, self.keyring, Purpose.REPORT))

    def open_reply(self, envelope: bytes) -> dict[str, Any]:
        """A sealed reporter reply -> its validated document, in memory only.

        Raises ``tipline.envelope.EnvelopeError`` or ``report_schema.ReportInvalid``.
        """
        plaintext = open_envelope(envelope, self.keyring, Purpose.REPORTER_REPLY)
        return followup_schema.decode_reply(plaintext)

    # --- questions to reporters ----------------------------------------------------------

    def seal_question(self, document: dict[str, Any], reply_to: object) -> SealedMessage:
        """Seal a ``tipline.message/1`` document for the reporter and keep a unit copy.

        ``reply_to`` is the ``reply_to`` object of the opened report. Raises
        ``ReporterUnreachable`` if it does not hold a usable X25519 key, ``NoUnitKey``, or
        ``report_schema.ReportInvalid`` for a document outside the schema.
        """
        plaintext = followup_schema.encode_message(document)
        reporter = _reporter_key(reply_to)
        unit = self.newest_unit_key()
        return SealedMessage(
            # Readable only by whoever holds the receipt code (the portal cannot read it).
            for_reporter=seal(plaintext, reporter, Purpose.MESSAGE_TO_REPORTER),
            # Readable only with the unit's private keys: the officers' record of what was asked.
            unit_copy=seal(plaintext, unit, Purpose.MESSAGE_TO_REPORTER),
            unit_key_id=unit.key_id,
        )

    def open_question(self, unit_copy: bytes) -> dict[str, Any]:
        """The unit's copy of a question -> its document, in memory only."""
        plaintext = open_envelope(unit_copy, self.keyring, Purpose.MESSAGE_TO_REPORTER)
        return followup_schema.decode_message(plaintext)

    # --- officers' notes ------------------------------------------------------------------

    def seal_note(self, note: Mapping[str, str]) -> tuple[bytes, str]:
        """What an officer wrote about a report (a decision's note, a partner's name), sealed
        to the unit's newest key -> (sealed bytes, key id). Raises ``NoUnitKey``."""
        unit = self.newest_unit_key()
        plaintext = json.dumps(dict(note), ensure_ascii=False, sort_keys=True).encode()
        # Readable only with the unit's private keys, like the report itself.
        return seal(plaintext, unit, Purpose.OFFICER_NOTE), unit.key_id

    def open_note(self, sealed: bytes) -> dict[str, str]:
        """A sealed officer's note -> its fields, in memory only.

        Raises ``tipline.envelope.EnvelopeError``, or ``SealingError`` if it is not a note."""
        plaintext = open_envelope(sealed, self.keyring, Purpose.OFFICER_NOTE)
        try:
            note = json.loads(plaintext)
        except ValueError:
            raise SealingError("the sealed note is not a note") from None
        if not isinstance(note, dict):
            raise SealingError("the sealed note is not a note")
        return {str(k): str(v) for k, v in note.items()}

    # --- attached files -----------------------------------------------------------------

    @staticmethod
    def open_file(sealed: BinaryIO, descriptor: Mapping[str, Any], target: BinaryIO) -> int:
        """Open a sealed file into ``target`` (an unlinked temporary file) and check it against
        the description in its sealed document (size and SHA-256). Returns the size.

        Raises ``FileDamaged`` if anything does not match; ``target`` then holds partial data
        and must be discarded, never sent.
        """
        try:
            key = base64.b64decode(str(descriptor["key"]), validate=True)
        except (binascii.Error, ValueError):
            raise FileDamaged("the document's file key is not valid") from None
        writer = _HashingWriter(target)
        try:
            # Readable here only because the key came out of the unit-sealed document.
            size = attachments.open_to(sealed, writer, key, str(descriptor["id"]))  # type: ignore[arg-type]
        except (attachments.AttachmentError, ValueError) as exc:
            raise FileDamaged(f"the file cannot be opened ({exc.__class__.__name__})") from None
        if size != descriptor["size"]:
            raise FileDamaged("the file's size does not match its document")
        if writer.digest.hexdigest() != descriptor["sha256"]:
            raise FileDamaged("the file's SHA-256 does not match its document")
        return size


def _reporter_key(reply_to: object) -> PublicKey:
    if not isinstance(reply_to, Mapping) or not isinstance(reply_to.get("public_key"), str):
        raise ReporterUnreachable("the report has no key to write back to")
    try:
        raw = base64.b64decode(reply_to["public_key"], validate=True)
    except (binascii.Error, ValueError):
        raise ReporterUnreachable("the reporter's key is not valid base64") from None
    if len(raw) != X25519_PUBLIC_LENGTH:
        raise ReporterUnreachable("the reporter's key has the wrong length")
    key = x25519_public_key(raw)
    try:
        key.hpke_key()
    except ValueError:
        raise ReporterUnreachable("the reporter's key is not a valid X25519 key") from None
    return key
