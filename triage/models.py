"""The triage database: units (with their on-call contacts), officers, the directory of
organizations and their referral links, routing rules, the intake queue, the conversation with
reporters, attachments, dead letters, audit, web sessions.

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
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from tipline.dbtypes import UTCDateTime, utcnow
from tipline.directory import ORGANIZATION_KINDS

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
ITEM_KINDS = ("report", "referral")
CONTACT_CHANNELS = ("email", "webhook", "phone")
# What a contact is for: the on-call list paged for life-safety items, or the supervisors an
# item past its due time is escalated to.
CONTACT_PURPOSES = ("on_call", "supervisor")
# Dispositions (``triage.dispositions`` holds their labels and required fields).
DISPOSITIONS = (
    "emergency_response",
    "open_case",
    "refer_partner",
    "monitor",
    "no_further_action",
)
# Why an alert exists: a life-safety item pages the on-call list; the SLA clock warns before
# an item's due time and escalates to supervisors after it.
ALERT_KINDS = ("life_safety", "sla_warning", "sla_breach")
ALERT_STATUSES = ("paging", "acknowledged", "exhausted", "done")
NOTIFICATION_STATUSES = ("pending", "sent", "failed")
LINK_SOURCES = ("auto", "manual")
ROUTE_KINDS = ("organization", "place", "category")

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
    """A threat assessment unit (a county team, a schools team...); officers see only their
    unit's items. Exactly one unit is the default: it receives what no routing rule claims."""

    __tablename__ = "units"
    __table_args__ = (
        # At most one default (``default_unit`` makes sure there is one).
        Index(
            "uq_units_is_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_default: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[UnitContact]] = relationship(
        back_populates="unit", order_by="UnitContact.position", cascade="all, delete-orphan"
    )


class UnitContact(Base):
    """One entry of a unit's on-call list, worked in ``position`` order when a life-safety
    report must reach a person."""

    __tablename__ = "unit_contacts"
    __table_args__ = (
        CheckConstraint(f"channel IN {CONTACT_CHANNELS!r}", name="channel"),
        CheckConstraint(f"purpose IN {CONTACT_PURPOSES!r}", name="purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))  # an email, a webhook URL, a phone number
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    purpose: Mapped[str] = mapped_column(String(20), default="on_call", server_default="on_call")

    unit: Mapped[Unit] = relationship(back_populates="contacts")


class Organization(Base):
    """A school, district, employer or agency that reports may be about and referrals come
    from. Its id is the slug both sides use (``ORGANIZATION_ID_PATTERN``); published to the
    portal (``tipline.directory/1``) while active."""

    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint(f"kind IN {tuple(ORGANIZATION_KINDS)!r}", name="kind"),)

    id: Mapped[str] = mapped_column(String(63), primary_key=True)  # the slug
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])

    @property
    def slug(self) -> str:
        return self.id


class ReferralToken(Base):
    """A referral link of an organization. Only the SHA-256 of the token is kept: the link is
    shown once to the administrator who creates it, and a referral carrying it is attributed to
    the organization (verified) while the link is not revoked."""

    __tablename__ = "referral_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    organization: Mapped[Organization] = relationship()


class RoutingRule(Base):
    """Send matching reports to a unit. Rules are tried in ``position`` order; the first active
    rule that matches wins, and nothing matching means the default unit (``triage.routing``)."""

    __tablename__ = "routing_rules"
    __table_args__ = (CheckConstraint(f"kind IN {ROUTE_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    match: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")


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
    """One report or referral in the intake queue. Only the sorting and routing fields are in
    clear."""

    __tablename__ = "queue_items"
    __table_args__ = (
        CheckConstraint(f"tier IN {TIERS!r}", name="tier"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint(f"kind IN {ITEM_KINDS!r}", name="kind"),
        # The queue: a unit's items (optionally of one status) by tier, then due time.
        Index("ix_queue_items_unit_status_tier_due", "unit_id", "status", "tier", "due_at"),
        # Items whose reporter replied (the queue page counts them): without it, a full scan.
        Index("ix_queue_items_unit_unread", "unit_id", "unread_replies"),
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
    kind: Mapped[str] = mapped_column(String(10), default="report", server_default="report")
    # The directory organization the item is attributed to (a slug; not a foreign key: a report
    # may name an organization the directory no longer holds).
    organization_id: Mapped[str | None] = mapped_column(String(63))
    # Referrals: the link's token matched a live referral link. None for reports.
    verified: Mapped[bool | None] = mapped_column()
    # Why the item is in its unit's queue: [{"rule", "text"}], routing and any later moves.
    route_reasons: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
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
    # How the report came in (the document's ``channel``: "web" today), for the dashboard.
    channel: Mapped[str] = mapped_column(String(20), default="web", server_default="web")

    # --- the workflow (``triage.workflow``) -----------------------------------------------
    # The tier the rules gave at intake; ``tier`` may differ (related reports raised it, or a
    # supervisor set it). With ``tier_overridden`` the automatic score no longer changes it.
    scored_tier: Mapped[str | None] = mapped_column(String(2))
    tier_overridden: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The claim: one officer works the item until the lease runs out or they release it.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column()
    first_reviewed_at: Mapped[datetime | None] = mapped_column()  # first claim
    decided_at: Mapped[datetime | None] = mapped_column()  # the latest disposition
    closed_at: Mapped[datetime | None] = mapped_column()
    disposition: Mapped[str | None] = mapped_column(String(40))  # the latest, see DISPOSITIONS
    review_on: Mapped[datetime | None] = mapped_column()  # "monitor": when to look again
    # The SLA clock (``triage.sla``): set once, by the job that warned or escalated.
    warned_at: Mapped[datetime | None] = mapped_column()
    escalated_at: Mapped[datetime | None] = mapped_column()

    claimed_by: Mapped[Officer | None] = relationship(foreign_keys=[claimed_by_id])


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
    """Who did what to which item, and when. ``officer_id`` is empty for the system.

    Append-only and hash-chained (``triage.audit``): ``seq`` numbers the events without gaps,
    and ``hash`` is a keyed hash over the event and the previous event's hash, so an edited or
    deleted row breaks the chain (``tipline audit verify``).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_item_at", "item_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("queue_items.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # small, never content
    seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The end of the audit chain (one row, id 1): the last ``seq`` and its ``hash``. Appending
    locks this row first, so events are chained one at a time on every backend."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))


class Decision(Base):
    """A disposition recorded by an officer. The structured fields (``detail``: the partner
    kind, the review date, why no further action...) are in clear for the dashboard; the
    officer's note is sealed to the unit's key like the report itself."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(f"disposition IN {DISPOSITIONS!r}", name="disposition"),
        Index("ix_decisions_item_at", "item_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    at: Mapped[datetime] = mapped_column()
    disposition: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # choices and dates, no prose
    sealed_note: Mapped[bytes | None] = mapped_column(LargeBinary)  # the unit's key opens it
    note_key_id: Mapped[str | None] = mapped_column(String(80))

    officer: Mapped[Officer] = relationship(lazy="joined")


class Alert(Base):
    """Someone must look at an item now: a life-safety page worked down the on-call list until
    acknowledged, or an SLA warning or breach escalation. At most one alert of each kind per
    item (the unique index makes "exactly once" hold across restarts and concurrent jobs)."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(f"kind IN {ALERT_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {ALERT_STATUSES!r}", name="status"),
        Index("uq_alerts_item_kind", "item_id", "kind", unique=True),
        Index("ix_alerts_status_next", "status", "next_step_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="paging")
    created_at: Mapped[datetime] = mapped_column()
    # The call list: the position of the contact last notified, and when to go on to the next.
    position: Mapped[int] = mapped_column(default=0)
    next_step_at: Mapped[datetime | None] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))


class Notification(Base):
    """One message to one contact (email, webhook or phone), with its delivery attempts.
    Carries no report content: only the item's number, tier and a link. The acknowledgement
    link's token is kept as a SHA-256 only."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"status IN {NOTIFICATION_STATUSES!r}", name="status"),
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("unit_contacts.id"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))  # the contact's, when it was sent
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))  # never content
    ack_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    alert: Mapped[Alert] = relationship()


class ItemLink(Base):
    """Two related items (``item_a_id`` < ``item_b_id``). ``reasons`` names what matched
    ("person", "handle", "phone", "email", "place", "text") and never the value. A link removed
    by hand keeps its row (``removed_at``) so automatic linking does not bring it back."""

    __tablename__ = "item_links"
    __table_args__ = (
        CheckConstraint(f"source IN {LINK_SOURCES!r}", name="source"),
        CheckConstraint("item_a_id < item_b_id", name="ordered"),
        Index("uq_item_links_pair", "item_a_id", "item_b_id", unique=True),
        Index("ix_item_links_b", "item_b_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_a_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"))
    item_b_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"))
    source: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    removed_at: Mapped[datetime | None] = mapped_column()
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))


class BlindIndex(Base):
    """A keyed HMAC of one normalized identifier found in an item (a person's name, a handle, a
    phone number, an email address, a place). Equal digests mean the same identifier; the
    identifier itself is not stored and cannot be recomputed without the key."""

    __tablename__ = "blind_indexes"
    __table_args__ = (
        Index("ix_blind_indexes_kind_digest", "kind", "digest"),
        Index("uq_blind_indexes_item_kind_digest", "item_id", "kind", "digest", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"))
    kind: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))


class TextSignature(Base):
    """A keyed MinHash signature of an item's narrative, for near-duplicate detection without
    keeping the text: a list of integers that estimates the overlap of two texts' word
    shingles, meaningless without the key."""

    __tablename__ = "text_signatures"

    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id"), primary_key=True)
    signature: Mapped[list[Any]] = mapped_column()


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
    """The unit that receives every report no routing rule claims; created when absent, so a
    default unit always exists.

    Two processes creating it at once make one of them fail on a unique constraint; its caller
    rolls back and retries (see ``triage.jobs``).
    """
    unit = session.scalars(select(Unit).where(Unit.is_default.is_(True))).one_or_none()
    if unit is None:
        unit = session.scalars(select(Unit).where(Unit.slug == DEFAULT_UNIT_SLUG)).one_or_none()
        if unit is None:
            unit = Unit(slug=DEFAULT_UNIT_SLUG, name=DEFAULT_UNIT_NAME)
            session.add(unit)
        unit.is_default = True
        session.flush()
    return unit
