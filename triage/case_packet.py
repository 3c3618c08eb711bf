"""The case packet: everything a threat assessment case starts from (the hand-off to Step 4).

One document (``tipline.case-packet/1``) gathers, for one item of the officer's unit:
- the item's triage facts (tier and why, unit and why, status and times);
- the report or referral, opened in memory;
- the conversation with the reporter, opened in memory;
- the linked reports of the same unit (links not removed), each opened too;
- the decision trail: every decision with its sealed note opened, and the audit events that
  say who held, assigned, re-tiered, decided, closed or reopened it, and when.

It is given as JSON (a download) and as a printable HTML page. Both hold plaintext: they are
built per request, never stored or logged, and every build is an audit event (the caller
records it with ``record_packet``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tipline import report_schema
from tipline.envelope import EnvelopeError
from triage import conversation, dispositions, items, policy
from triage.audit import record
from triage.models import AuditEvent, ItemLink, Officer, QueueItem, Unit
from triage.sealing import UnitCrypto

SCHEMA = "tipline.case-packet/1"
# Audit actions that belong in the decision trail (views and downloads are left out).
TRAIL_ACTIONS = (
    "ingested",
    "claimed",
    "claim-renewed",
    "claim-released",
    "claim-expired",
    "assigned",
    "tier-set",
    "tier-raised",
    "decided",
    "closed",
    "reopened",
    "moved",
    "linked",
    "unlinked",
)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _report(crypto: UnitCrypto, item: QueueItem) -> dict[str, Any] | None:
    try:
        # Readable only here, with the unit's private keys; not kept.
        opened = items.present(crypto.open_report(item.sealed_body))
    except (EnvelopeError, report_schema.ReportInvalid):
        return None
    return {
        "kind": opened.kind,
        "fields": [{"label": label, "value": value} for label, value in opened.fields],
        "contact": [{"label": label, "value": value} for label, value in opened.contact],
        "behaviors": list(opened.behaviors),
        "files": [asdict(f) for f in opened.files],
    }


def _facts(session: Session, item: QueueItem) -> dict[str, Any]:
    unit = session.get(Unit, item.unit_id)
    return {
        "id": item.id,
        "kind": item.kind,
        "tier": item.tier,
        "scored_tier": item.scored_tier,
        "tier_overridden": item.tier_overridden,
        "category": item.category,
        "status": item.status,
        "disposition": item.disposition,
        "unit": unit.name if unit is not None else None,
        "organization_id": item.organization_id,
        "verified": item.verified,
        "received_at": _time(item.received_at),
        "due_at": _time(item.due_at),
        "first_reviewed_at": _time(item.first_reviewed_at),
        "decided_at": _time(item.decided_at),
        "closed_at": _time(item.closed_at),
        "review_on": item.review_on.date().isoformat() if item.review_on else None,
        "reasons": [{"text": r.get("text", ""), "tier": r.get("tier")} for r in item.reasons],
        "route_reasons": [r.get("text", "") for r in item.route_reasons],
    }


def linked_items(
    session: Session, item: QueueItem, officer: Officer
) -> list[tuple[ItemLink, QueueItem]]:
    """Live links of the item to items the officer may see (their own unit's)."""
    links = session.scalars(
        select(ItemLink)
        .where(
            ItemLink.removed_at.is_(None),
            or_(ItemLink.item_a_id == item.id, ItemLink.item_b_id == item.id),
        )
        .order_by(ItemLink.created_at, ItemLink.id)
    )
    found = []
    for link in links:
        other_id = link.item_b_id if link.item_a_id == item.id else link.item_a_id
        other = session.get(QueueItem, other_id)
        if other is not None and policy.can_see_item(officer, other):
            found.append((link, other))
    return found


def _conversation(session: Session, crypto: UnitCrypto, item: QueueItem) -> list[dict[str, Any]]:
    return [
        {
            "direction": entry.direction,
            "at": _time(entry.at),
            "officer": entry.officer,
            "text": entry.text,  # None: could not be opened with the keys held here
            "files": [asdict(f) for f in entry.files],
        }
        for entry in conversation.conversation(session, crypto, item)
    ]


def trail(session: Session, item_id: int) -> list[dict[str, Any]]:
    """The audit events of the decision trail, oldest first, with officers' names."""
    rows = session.execute(
        select(AuditEvent, Officer.username)
        .outerjoin(Officer, Officer.id == AuditEvent.officer_id)
        .where(AuditEvent.item_id == item_id, AuditEvent.action.in_(TRAIL_ACTIONS))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    names = dict(session.execute(select(Officer.id, Officer.username)).all())
    events = []
    for event, username in rows:
        detail = dict(event.detail or {})
        for key in ("holder", "to", "from"):
            if event.action in ("claim-released", "claim-expired", "assigned") and isinstance(
                detail.get(key), int
            ):
                detail[key] = names.get(detail[key], detail[key])
        events.append(
            {
                "at": event.at,
                "action": event.action,
                "officer": username,  # None: the system
                "detail": detail,
            }
        )
    return events


def build(
    session: Session, crypto: UnitCrypto, item: QueueItem, officer: Officer, now: datetime
) -> dict[str, Any]:
    """The packet for ``item``, as a JSON-ready dict; the caller has checked the unit."""
    linked = []
    for link, other in linked_items(session, item, officer):
        linked.append(
            {
                "item": _facts(session, other),
                "link": {
                    "source": link.source,
                    "reasons": list(link.reasons or []),
                    "linked_at": _time(link.created_at),
                },
                "report": _report(crypto, other),
            }
        )
    decisions = []
    for decision in dispositions.decisions_of(session, item.id):
        view = dispositions.present(crypto, decision)
        decisions.append(
            {
                "at": _time(view.at),
                "officer": view.officer,
                "disposition": view.disposition,
                "label": view.label,
                "facts": [{"label": label, "value": value} for label, value in view.facts],
                "note": view.note,  # None: could not be opened with the keys held here
            }
        )
    return {
        "schema": SCHEMA,
        "generated_at": now.isoformat(),
        "generated_by": officer.username,
        "item": _facts(session, item),
        "report": _report(crypto, item),
        "conversation": _conversation(session, crypto, item),
        "linked_reports": linked,
        "decisions": decisions,
        "trail": [event | {"at": _time(event["at"])} for event in trail(session, item.id)],
    }


def record_packet(
    session: Session,
    item: QueueItem,
    officer: Officer,
    packet: dict[str, Any],
    form: str,
    now: datetime,
) -> None:
    """Audit that ``officer`` viewed (``form`` "html") or downloaded ("json") the packet."""
    record(
        session,
        "case-packet-downloaded" if form == "json" else "case-packet-viewed",
        officer_id=officer.id,
        item_id=item.id,
        detail={
            "format": form,
            "linked": [entry["item"]["id"] for entry in packet["linked_reports"]],
        },
        at=now,
    )
