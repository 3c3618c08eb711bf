"""Reporters' mailboxes: messages from the unit (sealed to the reporter), and coarse status.

- ``store_message`` (the work of the ``store_message`` job) files a message under the receipt
  of the report it answers. It cannot read it: it is sealed to the reporter's own key. It is
  idempotent by message id; a receipt that expired or never existed gets "no mailbox".
- ``record_report_status`` keeps the newest coarse status triage has sent.
- ``read_mailbox`` opens the messages *in memory* with the reporter's private key (held only
  for the length of the request, from their session) and lists the dates of their own replies,
  which the portal cannot read either (they are sealed to the unit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.expiry import is_live
from portal.models import MailboxMessage, OutboxAttachment, OutboxEnvelope, Receipt, utcnow
from portal.outbox import PURPOSE_REPLY
from tipline.envelope import EnvelopeError, Purpose, open_envelope
from tipline.followup_schema import decode_message
from tipline.keys import PrivateKey
from tipline.queue_contract import MESSAGE_NO_MAILBOX, MESSAGE_STORED, REPORT_STATUSES
from tipline.report_schema import ReportInvalid

log = logging.getLogger("portal.mailbox")

STATUS_SENT = "sent"  # accepted here, not yet acknowledged by triage


# --- jobs' work --------------------------------------------------------------------------


def store_message(
    session: Session,
    message_id: str,
    report_envelope_id: str,
    sealed: bytes,
    expiry_days: int,
    now: datetime | None = None,
) -> str:
    """File a sealed message for the reporter of ``report_envelope_id``; returns the outcome
    (``MESSAGE_STORED`` or ``MESSAGE_NO_MAILBOX``) to acknowledge to triage."""
    now = now or utcnow()
    known = session.scalar(select(MailboxMessage.id).where(MailboxMessage.id == message_id))
    if known is not None:
        return MESSAGE_STORED
    receipt = session.scalar(select(Receipt).where(Receipt.envelope_id == report_envelope_id))
    if receipt is None or not is_live(receipt, expiry_days, now):
        log.info("message %s has no live mailbox", message_id)
        return MESSAGE_NO_MAILBOX
    session.add(
        MailboxMessage(
            id=message_id, receipt_lookup_id=receipt.lookup_id, envelope=sealed, created_at=now
        )
    )
    receipt.last_activity_at = now  # a new message keeps the receipt alive
    return MESSAGE_STORED


def record_report_status(
    session: Session, report_envelope_id: str, status: str, changed_at: datetime
) -> bool:
    """Keep ``status`` unless a newer one is already recorded. False if nothing changed."""
    if status not in REPORT_STATUSES:
        log.warning("ignored unknown report status for %s", report_envelope_id)
        return False
    receipt = session.scalar(select(Receipt).where(Receipt.envelope_id == report_envelope_id))
    if receipt is None or receipt.expired_at is not None:
        return False
    if receipt.status_changed_at is not None and receipt.status_changed_at > changed_at:
        return False
    receipt.status = status
    receipt.status_changed_at = changed_at
    return True


# --- reading -----------------------------------------------------------------------------


def open_message_for_reporter(sealed: bytes, private_key: PrivateKey) -> dict[str, object]:
    """Open a ``tipline.message/1`` in memory. Raises ``EnvelopeError`` or ``ReportInvalid``."""
    # Only the holder of the receipt code (from which ``private_key`` is derived) can do this.
    plaintext = open_envelope(
        sealed, {private_key.key_id: private_key}, Purpose.MESSAGE_TO_REPORTER
    )
    return decode_message(plaintext)


@dataclass(frozen=True)
class Entry:
    """One line of the conversation, oldest first."""

    kind: str  # "message" (from the team) or "reply" (the reporter's own)
    at: datetime
    text: str = ""  # messages only: replies are sealed to the unit and unreadable here
    new: bool = False  # a message shown for the first time
    files: int = 0  # replies: how many files went with it
    delivered: bool = False  # replies: triage has it


@dataclass(frozen=True)
class Mailbox:
    status: str  # sent | received | in_review | closed
    report_sent_at: datetime
    entries: tuple[Entry, ...]
    unreadable: int  # messages that failed to open

    @property
    def new_messages(self) -> int:
        return sum(1 for entry in self.entries if entry.new)


def _parse_time(text: object, fallback: datetime) -> datetime:
    if not isinstance(text, str):
        return fallback
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return fallback
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _message_entries(
    session: Session, receipt: Receipt, private_key: PrivateKey, now: datetime
) -> tuple[list[Entry], int]:
    entries: list[Entry] = []
    unreadable = 0
    rows = session.scalars(
        select(MailboxMessage)
        .where(MailboxMessage.receipt_lookup_id == receipt.lookup_id)
        .order_by(MailboxMessage.created_at)
    )
    for row in rows:
        try:
            message = open_message_for_reporter(row.envelope, private_key)
        except (EnvelopeError, ReportInvalid):
            unreadable += 1
            continue
        if message["message_id"] != row.id:  # filed under another id: not what was sent
            unreadable += 1
            continue
        entries.append(
            Entry(
                kind="message",
                at=_parse_time(message["sent_at"], row.created_at),
                text=str(message["text"]),
                new=row.read_at is None,
            )
        )
        if row.read_at is None:
            row.read_at = now
    return entries, unreadable


def _reply_entries(session: Session, report_envelope_id: str) -> list[Entry]:
    replies = session.execute(
        select(OutboxEnvelope.id, OutboxEnvelope.created_at, OutboxEnvelope.acked_at).where(
            OutboxEnvelope.report_envelope_id == report_envelope_id,
            OutboxEnvelope.purpose == PURPOSE_REPLY,
        )
    ).all()
    if not replies:
        return []
    counts = dict(
        session.execute(
            select(OutboxAttachment.envelope_id, func.count(OutboxAttachment.id))
            .where(OutboxAttachment.envelope_id.in_([reply.id for reply in replies]))
            .group_by(OutboxAttachment.envelope_id)
        ).all()
    )
    return [
        Entry(
            kind="reply",
            at=reply.created_at,
            files=int(counts.get(reply.id, 0)),
            delivered=reply.acked_at is not None,
        )
        for reply in replies
    ]


def read_mailbox(
    session: Session, receipt: Receipt, private_key: PrivateKey, now: datetime | None = None
) -> Mailbox:
    """Everything the reporter may see; marks messages as read (commit the session)."""
    now = now or utcnow()
    report = session.execute(
        select(OutboxEnvelope.created_at, OutboxEnvelope.acked_at).where(
            OutboxEnvelope.id == receipt.envelope_id
        )
    ).one()
    status = receipt.status or ("received" if report.acked_at is not None else STATUS_SENT)
    messages, unreadable = _message_entries(session, receipt, private_key, now)
    entries = sorted(messages + _reply_entries(session, receipt.envelope_id), key=lambda e: e.at)
    return Mailbox(status, report.created_at, tuple(entries), unreadable)
