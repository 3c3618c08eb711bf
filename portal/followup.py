"""Coming back with a receipt code: sign in, read the mailbox, leave.

``FollowUpService.sign_in`` answers in the same time for a right, a wrong and an expired code:
the Argon2id derivation and one database lookup happen every time, and every answer is padded
to a floor (``answer_floor_seconds``, see ``answer_floor_for``). The rate limits on attempts
are applied by the web layer (``portal.ratelimit``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal.expiry import is_live
from portal.mailbox import Mailbox, read_mailbox
from portal.models import Receipt, utcnow
from portal.receipts import ReceiptCodeInvalid, ReceiptDeriver
from portal.reporter_sessions import ReporterSession, ReporterSessions
from tipline.db import transaction
from tipline.settings import Settings

# With the production Argon2id cost (64 MiB, 3 passes, about a quarter second here), every
# answer takes at least half a second. Cheaper settings (tests) scale the floor down with them.
FLOOR_SECONDS = 0.5
_REFERENCE_COST = 65536 * 3


def answer_floor_for(settings: Settings) -> float:
    cost = settings.receipt_argon2_memory_kib * settings.receipt_argon2_iterations
    return FLOOR_SECONDS * cost / _REFERENCE_COST


class SignInOutcome(StrEnum):
    SIGNED_IN = "signed-in"
    WRONG = "wrong"  # no receipt with this code
    EXPIRED = "expired"  # the receipt existed and has expired
    MALFORMED = "malformed"  # not 7 groups of 4 digits


@dataclass(frozen=True)
class SignIn:
    outcome: SignInOutcome
    cookie: str | None = None  # the reporter-session cookie value when signed in

    def __repr__(self) -> str:
        return f"SignIn(outcome={self.outcome})"


@dataclass(frozen=True)
class FollowUpService:
    session_factory: sessionmaker[Session]
    receipts: ReceiptDeriver
    sessions: ReporterSessions
    expiry_days: int
    answer_floor_seconds: float

    def sign_in(self, code: str, now: datetime | None = None) -> SignIn:
        """Check a code and open a session. Raises ``RedisError`` if no session can be made."""
        started = time.monotonic()
        try:
            return self._sign_in(code, now or utcnow())
        finally:
            remaining = self.answer_floor_seconds - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)

    def _sign_in(self, code: str, now: datetime) -> SignIn:
        try:
            keys = self.receipts.derive(code)
        except ReceiptCodeInvalid:
            return SignIn(SignInOutcome.MALFORMED)
        with transaction(self.session_factory) as session:
            receipt = session.get(Receipt, keys.lookup_id)
            if receipt is None:
                return SignIn(SignInOutcome.WRONG)
            if not is_live(receipt, self.expiry_days, now):
                return SignIn(SignInOutcome.EXPIRED)
            receipt.last_activity_at = now  # signing in keeps the receipt alive
        return SignIn(SignInOutcome.SIGNED_IN, self.sessions.open(keys.lookup_id, keys.private_key))

    def resume(self, cookie: str | None) -> ReporterSession | None:
        """The reporter's live session (refreshing its idle timer), or None."""
        return self.sessions.resume(cookie)

    def leave(self, cookie: str | None) -> None:
        self.sessions.close(cookie)

    def live_receipt(self, session: Session, reporter: ReporterSession) -> Receipt | None:
        receipt = session.scalar(select(Receipt).where(Receipt.lookup_id == reporter.lookup_id))
        if receipt is None or not is_live(receipt, self.expiry_days):
            return None
        return receipt

    def report_envelope_id(self, reporter: ReporterSession) -> str | None:
        """The report this session follows, if its receipt is still live."""
        with self.session_factory() as session:
            receipt = self.live_receipt(session, reporter)
            return receipt.envelope_id if receipt else None

    def mailbox(self, reporter: ReporterSession) -> Mailbox | None:
        """What the reporter sees (messages marked read); None if the receipt has expired."""
        with transaction(self.session_factory) as session:
            receipt = self.live_receipt(session, reporter)
            if receipt is None:
                return None
            return read_mailbox(session, receipt, reporter.private_key)
