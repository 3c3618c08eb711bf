"""The triage database: units, officers, the intake queue, the conversation with reporters,
attachments, dead letters, audit, web sessions.

What is stored in clear is only what sorting and routing need (tier, category, due time, the
reasons for the tier, whether the reporter was asked something or has answered). The report, the
messages both ways and the attached files stay sealed and are opened in memory when an officer
views them. Timestamps are timezone-aware UTC on every backend.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    false,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from tipline.dbtypes import UTCDateTime, utcnow

TIERS = ("P1", "P2", "P3", "P4")
ROLES = ("officer", "supervisor", "admin")
STATUSES = ("new", "in_review", "decided", "closed")
STATUS_LABELS = {
    "new": "New",
    "in_review": "In review",
    "decided": "Decided",
    "closed": "Closed",
}
OPEN_STATUSES = ("new", "in_review")
DIRECTIONS = ("to_reporter", "from_reporter")

DEFAULT_UNIT_SLUG = "default"
DEFAULT_UNIT_NAME = "Behavioral Threat Assessment Unit"


# Re-exported for the models and migrations that name them here.
__all__ = ["UTCDateTime", "utcnow"]


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Unit(Base):
    """A threat assessment unit; officers see only their unit's items."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Officer(Base):
    __tablename__ = "officers"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id, PHC string
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    unit: Mapped[Unit] = relationship(lazy="joined")


class QueueItem(Base):
    """One report in the intake queue. Only the sorting fields are in clear."""

    __tablename__ = "queue_items"
    __table_args__ = (
        CheckConstraint(f"tier IN {TIERS!r}", name="tier"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        # The queue: a unit's items (optionally of one status) by tier, then due time.
        Index("ix_queue_items_unit_status_tier_due", "unit_id", "status", "tier", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(36), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    purpose: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    reasons: Mapped[list[Any]] = mapped_column()  # [{"rule", "text", "tier"}], no content
    status: Mapped[str] = mapped_column(String(20), default="new")
    # The envelope exactly as the portal sealed it. Readable only with the unit's private key.
    sealed_body: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(80))
    # The conversation, as far as the queue needs it (no content):
    # a question went out and the reporter has not answered since;
    awaiting_reporter: Mapped[bool] = mapped_column(default=False, server_default=false())
    # replies no officer has seen yet, and when the reporter last wrote;
    unread_replies: Mapped[int] = mapped_column(default=0, server_default="0")
    reporter_replied_at: Mapped[datetime | None] = mapped_column()
    # the portal said the reporter's receipt has expired: nothing more can reach them.
    reporter_unreachable: Mapped[bool] = mapped_column(default=False, server_default=false())


class Message(Base):
    """One message of the conversation with a reporter; its text is sealed both at rest and in
    transit.

    - ``to_reporter``: an officer's question. ``unit_copy`` is the ``tipline.message/1``
      document sealed to the unit's newest key (what officers read back); ``outbound`` is the
      same document sealed to the reporter's own key (what the portal stores in the mailbox,
      readable only with the receipt code). Delivery is tracked until the portal answers.
    - ``from_reporter``: a reply. ``unit_copy`` is the reply envelope exactly as received
      (``envelope_id`` is its outbox id, unique: ingest is idempotent).
    """

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"direction IN {DIRECTIONS!r}", name="direction"),
        Index("ix_messages_item_created", "item_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID
    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"))
    direction: Mapped[str] = mapped_column(String(20))
    # Questions: when the officer sent it. Replies: when the reporter sent it (never later
    # than its arrival), so that "answered after the question" means what it says.
    created_at: Mapped[datetime] = mapped_column()
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    unit_copy: Mapped[bytes] = mapped_column(LargeBinary)  # readable with the unit's keys only
    key_id: Mapped[str] = mapped_column(String(80))  # the unit key ``unit_copy`` is sealed to
    # Outgoing only.
    outbound: Mapped[bytes | None] = mapped_column(LargeBinary)  # readable with the code only
    last_sent_at: Mapped[datetime | None] = mapped_column()
    send_count: Mapped[int] = mapped_column(default=0, server_default="0")
    delivered_at: Mapped[datetime | None] = mapped_column()  # in the reporter's mailbox
    delivery_outcome: Mapped[str | None] = mapped_column(String(20))  # None: not answered yet
    # Incoming only.
    envelope_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    read_at: Mapped[datetime | None] = mapped_column()  # first seen by an officer

    officer: Mapped[Officer | None] = relationship(lazy="joined")


class Attachment(Base):
    """A sealed file as the portal sent it. Its key is inside the sealed document that names it
    (a report or a reply), so this row alone cannot be read; it may arrive before or after that
    document, and is linked to it by id when an officer looks."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # 32 hex, opaque
    sealed: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column()  # sealed bytes
    received_at: Mapped[datetime] = mapped_column()


class DeadLetter(Base):
    """An envelope that could not be opened or validated: kept, shown to officers, never lost."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(36), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    received_at: Mapped[datetime] = mapped_column()
    error_kind: Mapped[str] = mapped_column(String(40))
    error_message: Mapped[str] = mapped_column(Text)  # says what failed, never content
    raw_envelope: Mapped[bytes] = mapped_column(LargeBinary)


class AuditEvent(Base):
    """Who did what to which item, and when. ``officer_id`` is empty for the system."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_item_at", "item_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("queue_items.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # small, never content


class WebSession(Base):
    """A server-side officers' app session; the cookie holds a token whose SHA-256 is the key.

    ``officer_id`` is empty before login (the session then holds only the CSRF token).
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("officers.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


def default_unit(session: Session) -> Unit:
    """The unit that receives every report until routing exists; created when absent.

    Two processes creating it at once make one of them fail on the unique slug; its caller
    rolls back and retries (see ``triage.jobs``).
    """
    unit = session.scalars(select(Unit).where(Unit.slug == DEFAULT_UNIT_SLUG)).one_or_none()
    if unit is None:
        unit = Unit(slug=DEFAULT_UNIT_SLUG, name=DEFAULT_UNIT_NAME)
        session.add(unit)
        session.flush()
    return unit
