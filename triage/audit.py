"""The audit trail: who did what to which item, when. Details are small and never content.

The trail is append-only and hash-chained. Every event gets a ``seq`` (1, 2, 3... without
gaps), the previous event's hash, and its own ``hash`` = HMAC-SHA256(audit key, previous hash,
the event's fields). The numbers and hashes are assigned when the session flushes the event,
in the same transaction, after locking the one ``audit_head`` row (``SELECT ... FOR UPDATE``
on PostgreSQL; SQLite has a single writer). ``triage.audit_verify`` walks the chain.

Every sessionmaker that writes to the triage database must be given the key once, where it is
made::

    sessions = audit.install(session_factory(engine), settings.audit_key)
    # or: sessions = audit.triage_sessions(engine, settings)

A session without the key that flushes an audit event fails with ``AuditKeyMissing`` (nothing
is written), so a forgotten ``install`` shows up at the first audited action, in tests too.

Events written before the chain existed (``seq`` empty) are chained, oldest first, by the
first append to an empty chain; after that an unchained row is reported by ``verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from tipline.db import session_factory
from tipline.settings import Settings
from triage.models import AuditEvent, AuditHead, utcnow

GENESIS = "0" * 64  # the "previous hash" of event 1
HEAD_ID = 1
_KEY = "tipline.audit_key"


class AuditKeyMissing(RuntimeError):
    """An audit event was flushed by a session whose sessionmaker has no audit key."""


class AuditHeadMissing(RuntimeError):
    """The chain has events but its head row is gone: someone deleted it; run verify."""


def install(factory: sessionmaker[Session], key: bytes | None) -> sessionmaker[Session]:
    """Give every session of ``factory`` the audit key (returns ``factory``)."""
    if not key:
        raise AuditKeyMissing("the audit key (TIPLINE_AUDIT_KEY) is not set")
    info = dict(factory.kw.get("info") or {})
    info[_KEY] = bytes(key)
    factory.configure(info=info)
    return factory


def triage_sessions(engine: Engine, settings: Settings) -> sessionmaker[Session]:
    """The triage database's sessionmaker, with the audit key installed."""
    return install(session_factory(engine), settings.audit_key)


def record(
    session: Session,
    action: str,
    *,
    officer_id: int | None = None,
    item_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add an event (``officer_id`` None means the system); flushed with the caller's work,
    which is when it is numbered and chained."""
    event_ = AuditEvent(
        at=at or utcnow(),
        officer_id=officer_id,
        action=action,
        item_id=item_id,
        detail=detail or {},
    )
    session.add(event_)
    return event_


# --- The chain -------------------------------------------------------------------------------


def canonical_at(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    key: bytes,
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    officer_id: int | None,
    action: str,
    item_id: int | None,
    detail: dict[str, Any] | None,
) -> str:
    """HMAC-SHA256 over the previous hash and the event's fields in a fixed serialization."""
    fields = {
        "seq": seq,
        "at": canonical_at(at),
        "officer_id": officer_id,
        "action": action,
        "item_id": item_id,
        "detail": detail or {},
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, (prev_hash + text).encode(), hashlib.sha256).hexdigest()


def _plain_json(detail: dict[str, Any] | None) -> dict[str, Any]:
    """The detail as it will read back from the database (tuples become lists, ...)."""
    value = json.loads(json.dumps(detail or {}))
    if not isinstance(value, dict):
        raise TypeError("an audit event's detail must be a dict")
    return value


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Lock the head row (creating it for an empty chain) and return (seq, hash)."""
    head = AuditHead.__table__
    if conn.dialect.name == "sqlite":
        # Take SQLite's write lock before reading, so two writers cannot read the same head.
        conn.execute(update(head).where(head.c.id == HEAD_ID).values(seq=head.c.seq))
    row = conn.execute(
        select(head.c.seq, head.c.hash).where(head.c.id == HEAD_ID).with_for_update()
    ).first()
    if row is not None:
        return int(row.seq), str(row.hash)
    # No head yet: create it. Two first writers may both get here; on PostgreSQL the second
    # one's insert waits for the first's transaction and then does nothing, so only the writer
    # that really inserted the row decides whether the chain is empty or its head was deleted.
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(head).values(id=HEAD_ID, seq=0, hash=GENESIS).on_conflict_do_nothing()
    else:
        stmt = insert(head).values(id=HEAD_ID, seq=0, hash=GENESIS).prefix_with("OR IGNORE")
    created = conn.execute(stmt).rowcount == 1
    events = AuditEvent.__table__
    if created and conn.execute(select(func.max(events.c.seq))).scalar() is not None:
        raise AuditHeadMissing(
            "the audit chain has events but no head row; run `tipline audit verify`"
        )
    row = conn.execute(
        select(head.c.seq, head.c.hash).where(head.c.id == HEAD_ID).with_for_update()
    ).one()
    return int(row.seq), str(row.hash)


def _chain_legacy(conn: Connection, key: bytes, seq: int, last: str) -> tuple[int, str]:
    """Chain the events stored before the chain existed (``seq`` empty), oldest first."""
    events = AuditEvent.__table__
    rows = conn.execute(
        select(
            events.c.id,
            events.c.at,
            events.c.officer_id,
            events.c.action,
            events.c.item_id,
            events.c.detail,
        )
        .where(events.c.seq.is_(None))
        .order_by(events.c.id)
    ).all()
    for row in rows:
        seq += 1
        digest = event_hash(
            key,
            last,
            seq=seq,
            at=row.at,
            officer_id=row.officer_id,
            action=row.action,
            item_id=row.item_id,
            detail=row.detail,
        )
        conn.execute(
            update(events).where(events.c.id == row.id).values(seq=seq, prev_hash=last, hash=digest)
        )
        last = digest
    return seq, last


def _chain(session: Session, new_events: Iterable[AuditEvent]) -> None:
    key = session.info.get(_KEY)
    if not key:
        raise AuditKeyMissing(
            "this session has no audit key: make its sessionmaker with"
            " triage.audit.install(factory, settings.audit_key) (or triage.audit.triage_sessions)"
        )
    conn = session.connection()
    seq, last = _lock_head(conn)
    if seq == 0:
        seq, last = _chain_legacy(conn, key, seq, last)
    for ev in new_events:
        ev.at = ev.at or utcnow()
        ev.detail = _plain_json(ev.detail)
        seq += 1
        ev.seq, ev.prev_hash = seq, last
        ev.hash = last = event_hash(
            key,
            last,
            seq=seq,
            at=ev.at,
            officer_id=ev.officer_id,
            action=ev.action,
            item_id=ev.item_id,
            detail=ev.detail,
        )
    head = AuditHead.__table__
    conn.execute(update(head).where(head.c.id == HEAD_ID).values(seq=seq, hash=last))


@event.listens_for(Session, "before_flush")
def _chain_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    new_events = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if new_events:
        _chain(session, new_events)
