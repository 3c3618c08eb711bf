"""The portal database: the transactional outbox, receipts and reporters' mailboxes.

The portal is the source of truth for what it has accepted. A report is committed here (sealed)
before the reporter sees "received"; Redis only carries it to triage, and the relay re-sends
anything triage has not acknowledged. Nothing in these tables is readable without the unit's
private key: the envelope is sealed, and a receipt holds only a lookup id and the reporter's
public key, both derived from a code the portal never stores. Attachments are sealed files whose
keys travel only inside the sealed documents; mailbox messages are sealed to the reporter's key.
The one clear-text table, ``directory``, holds the public organization list triage publishes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tipline.dbtypes import UTCDateTime, utcnow

# Re-exported for the models and migrations that name them here.
__all__ = ["UTCDateTime", "utcnow"]


NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OutboxEnvelope(Base):
    """One sealed envelope waiting for (or already given) triage's acknowledgement."""

    __tablename__ = "outbox_envelopes"

    # The envelope id (uuid4); also sealed inside the report document.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # What the envelope carries: "report", or "reply" (a reporter's follow-up).
    purpose: Mapped[str] = mapped_column(String(20))
    # For a reply: the report it follows (so the reporter sees the dates of their replies).
    report_envelope_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # Sealed bytes: readable only by the unit's triage side.
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    enqueue_count: Mapped[int] = mapped_column(Integer, default=0)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ack_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)

    __table_args__ = (
        # The relay asks: not acknowledged, and never enqueued or enqueued long ago.
        Index("ix_outbox_envelopes_relay", "acked_at", "last_enqueued_at"),
    )


class Receipt(Base):
    """What the portal keeps of a receipt code: never the code itself.

    ``lookup_id`` and ``public_key`` are derived from the code with Argon2id and a secret pepper
    (see ``portal.receipts``). Officers' messages are sealed to ``public_key``, so only the
    holder of the code can read them.

    After ``receipt_expiry_days`` without activity the receipt expires (``portal.expiry``): its
    mailbox is deleted and its public key dropped, and the row stays as a tombstone so that the
    portal can tell "expired" from "wrong code".
    """

    __tablename__ = "receipts"

    lookup_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The reporter's X25519 public key (32 raw bytes); None once the receipt has expired.
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    envelope_id: Mapped[str] = mapped_column(ForeignKey("outbox_envelopes.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Sign-in, a reply or a new message from the unit; drives expiry.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The coarse status triage last reported (received | in_review | closed), if any.
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutboxAttachment(Base):
    """One sealed file of a report or reply, re-sent to triage until acknowledged.

    Committed in the same transaction as the envelope whose sealed document names it (and
    holds its key). Without that document the sealed bytes are unreadable.
    """

    __tablename__ = "outbox_attachments"

    # The attachment id (32 hex), also inside the sealed document and bound into the sealing.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    envelope_id: Mapped[str] = mapped_column(ForeignKey("outbox_envelopes.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    enqueue_count: Mapped[int] = mapped_column(Integer, default=0)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_outbox_attachments_relay", "acked_at", "last_enqueued_at"),)


class MailboxMessage(Base):
    """A message from the unit, sealed to the reporter's key: the portal cannot read it."""

    __tablename__ = "mailbox_messages"

    # The message id chosen by triage (uuid); storing is idempotent by it.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    receipt_lookup_id: Mapped[str] = mapped_column(ForeignKey("receipts.lookup_id"), index=True)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DirectoryCopy(Base):
    """The newest public directory triage published (``tipline.directory/1``): one row.

    Only what may be public: organization ids, names, kinds, parents and hashes of live
    referral-link tokens. Replaced only by a strictly newer ``version``.
    """

    __tablename__ = "directory"

    # Always 1: the portal keeps one directory.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    # The directory as published (JSON text, validated before it is stored).
    document: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
