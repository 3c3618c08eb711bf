"""The conversation on an item: its flags for the queue, and opening it for an officer.

The queue needs to know, without opening anything, whether a question is waiting for an answer
and whether there are replies nobody has read (``refresh_flags``). Showing the conversation
opens every message in memory (``conversation``); the plaintext is never stored or logged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tipline import report_schema
from tipline.envelope import EnvelopeError
from tipline.queue_contract import MESSAGE_NO_MAILBOX, MESSAGE_STORED
from triage.models import Attachment, Message, QueueItem
from triage.sealing import UnitCrypto

TO_REPORTER = "to_reporter"
FROM_REPORTER = "from_reporter"

# Delivery states of a question, as an officer reads them.
PENDING = "pending"  # not yet in the reporter's mailbox (the relay keeps sending it)
DELIVERED = MESSAGE_STORED
NO_MAILBOX = MESSAGE_NO_MAILBOX


@dataclass(frozen=True)
class FileInfo:
    """An attached file as its sealed document describes it (never its key)."""

    id: str
    name: str
    media_type: str
    size: int

    @property
    def type_label(self) -> str:
        return report_schema.ATTACHMENT_MEDIA_TYPES.get(self.media_type, self.media_type)


@dataclass(frozen=True)
class Entry:
    """One message for display; lives for one request."""

    id: str
    direction: str
    at: datetime
    text: str | None  # None: it could not be opened with the keys held here
    officer: str | None = None
    files: list[FileInfo] = field(default_factory=list)
    delivery: str | None = None  # questions only: PENDING, DELIVERED or NO_MAILBOX
    delivered_at: datetime | None = None
    unread: bool = False


def files_of(document: Mapping[str, Any]) -> list[FileInfo]:
    return [
        FileInfo(a["id"], a["name"], a["media_type"], a["size"])
        for a in document.get("attachments") or []
    ]


def refresh_flags(session: Session, item: QueueItem) -> None:
    """Recompute the item's conversation flags from its messages (flushes pending changes).

    Replies arrive, officers send questions and read replies concurrently. The item row is
    locked and re-read first (FOR NO KEY UPDATE on PostgreSQL, which does not wait for the
    key-share lock a message insert takes on it; SQLite has one writer anyway), so that the
    flags are computed from every committed message and written even if a stale copy of the
    item happened to hold the same values.
    """
    session.flush()
    session.refresh(item, with_for_update={"key_share": True})
    rows = session.execute(
        select(
            Message.direction, Message.created_at, Message.read_at, Message.delivery_outcome
        ).where(Message.item_id == item.id)
    ).all()
    questions = [at for direction, at, _, _ in rows if direction == TO_REPORTER]
    replies = [at for direction, at, _, _ in rows if direction == FROM_REPORTER]
    item.reporter_unreachable = any(outcome == NO_MAILBOX for *_, outcome in rows)
    item.reporter_replied_at = max(replies, default=None)
    item.unread_replies = sum(
        1 for direction, _, read_at, _ in rows if direction == FROM_REPORTER and read_at is None
    )
    last_question = max(questions, default=None)
    item.awaiting_reporter = (
        last_question is not None
        and not item.reporter_unreachable
        and (item.reporter_replied_at is None or last_question > item.reporter_replied_at)
    )


def messages_of(session: Session, item_id: int) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.item_id == item_id)
            .order_by(Message.created_at, Message.direction.desc())
        )
    )


def conversation(session: Session, crypto: UnitCrypto, item: QueueItem) -> list[Entry]:
    """The item's messages in order, each opened in memory with the unit's keys."""
    entries = []
    for message in messages_of(session, item.id):
        if message.direction == TO_REPORTER:
            entries.append(_question(crypto, message))
        else:
            entries.append(_reply(crypto, message))
    return entries


def _question(crypto: UnitCrypto, message: Message) -> Entry:
    try:
        text: str | None = crypto.open_question(message.unit_copy)["text"]
    except (EnvelopeError, report_schema.ReportInvalid):
        text = None
    return Entry(
        id=message.id,
        direction=TO_REPORTER,
        at=message.created_at,
        text=text,
        officer=message.officer.username if message.officer else None,
        delivery=message.delivery_outcome or PENDING,
        delivered_at=message.delivered_at,
    )


def _reply(crypto: UnitCrypto, message: Message) -> Entry:
    try:
        document = crypto.open_reply(message.unit_copy)
    except (EnvelopeError, report_schema.ReportInvalid):
        return Entry(message.id, FROM_REPORTER, message.created_at, None)
    return Entry(
        id=message.id,
        direction=FROM_REPORTER,
        at=message.created_at,
        text=document["text"],
        files=files_of(document),
        unread=message.read_at is None,
    )


def reply_documents(session: Session, crypto: UnitCrypto, item_id: int) -> list[dict[str, Any]]:
    """Every reply of the item that opens (for finding the files they name)."""
    documents = []
    sealed = session.scalars(
        select(Message.unit_copy).where(
            Message.item_id == item_id, Message.direction == FROM_REPORTER
        )
    )
    for envelope in sealed:
        try:
            documents.append(crypto.open_reply(envelope))
        except (EnvelopeError, report_schema.ReportInvalid):
            continue
    return documents


def mark_replies_read(session: Session, item: QueueItem, now: datetime) -> int:
    """An officer has seen the item: its replies are read. Returns how many were unread."""
    result = session.execute(
        update(Message)
        .where(
            Message.item_id == item.id,
            Message.direction == FROM_REPORTER,
            Message.read_at.is_(None),
        )
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        refresh_flags(session, item)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def arrived(session: Session, ids: Iterable[str]) -> set[str]:
    """Which of these attachments are held here (their sealed bytes are not loaded)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return set(session.scalars(select(Attachment.id).where(Attachment.id.in_(wanted))))
