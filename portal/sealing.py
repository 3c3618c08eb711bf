"""Sealing reports for the threat assessment unit: the portal's only use of the unit's key.

``ReportSealer`` is the one place where the portal encrypts anything. Views and services call
its business-named methods and never a cryptographic primitive. The portal holds only *public*
keys, so it can seal but never open: once sealed, a report is readable only on the triage side.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tipline import followup_schema, referral_schema, report_schema
from tipline.envelope import Purpose, seal
from tipline.keys import KeyProblem, NoPublicKey, PublicKey, newest_public_key

__all__ = ["NoPublicKey", "ReportSealer"]


class ReportSealer:
    """Seals report, referral and reply documents to the unit's newest public key.

    The key folder is re-read whenever its modification time changes, so a rotated key is used
    without a restart. With no usable key, ``ready()`` is false and ``seal_report`` raises
    ``NoPublicKey``: the portal then shows its "offline" page rather than accepting a report that
    nobody could read.
    """

    def __init__(self, public_key_dir: Path | None) -> None:
        self._dir = public_key_dir
        self._lock = threading.Lock()
        self._seen_mtime: int | None = None
        self._key: PublicKey | None = None

    def _current_key(self) -> PublicKey:
        if self._dir is None:
            raise NoPublicKey("no public key folder is configured")
        try:
            mtime = self._dir.stat().st_mtime_ns
        except OSError:
            raise NoPublicKey(f"public key folder {self._dir} is missing") from None
        with self._lock:
            if self._key is None or mtime != self._seen_mtime:
                try:
                    self._key = newest_public_key(self._dir)
                except KeyProblem:
                    self._key = None
                    raise
                self._seen_mtime = mtime
            return self._key

    def ready(self) -> bool:
        """True when there is a valid key to seal to."""
        try:
            self._current_key()
        except KeyProblem:
            return False
        return True

    def key_id(self) -> str:
        return self._current_key().key_id

    def seal_report(self, document: dict[str, Any]) -> bytes:
        """Validate ``document`` against the report schema and seal it.

        Raises ``report_schema.ReportInvalid`` or ``NoPublicKey`` (a ``KeyProblem``).
        """
        plaintext = report_schema.encode(document)
        # Readable only by the unit's triage side (holder of the private key for this key id).
        return seal(plaintext, self._current_key(), Purpose.REPORT)

    def seal_referral(self, document: dict[str, Any]) -> bytes:
        """Validate a ``tipline.referral/1`` document and seal it (errors as ``seal_report``).

        A referral is a new report for the unit, so it is sealed for the same purpose.
        """
        plaintext = referral_schema.encode(document)
        # Readable only by the unit's triage side.
        return seal(plaintext, self._current_key(), Purpose.REPORT)

    def seal_reply(self, document: dict[str, Any]) -> bytes:
        """Validate a ``tipline.reply/1`` document and seal it (errors as ``seal_report``)."""
        plaintext = followup_schema.encode_reply(document)
        # Readable only by the unit's triage side.
        return seal(plaintext, self._current_key(), Purpose.REPORTER_REPLY)
