"""Linking a new item to related items of its unit at intake, and the rule that raises the tier
when several independent reports concern one person.

``relate_new_item`` runs in intake's transaction, right after the item is stored:

1. it keeps the blind indexes of the item's identifiers (``triage.identifiers``,
   ``triage.blind_index``) and the MinHash signature of its narrative (``triage.similarity``);
2. it links the item (``ItemLink``, source "auto") to the unit's items that share a digest or
   whose narrative is a near duplicate; a link's reasons name only the kinds that matched
   ("person", "handle", "phone", "email", "place", "text"). A pair whose link an officer
   removed is never linked again automatically;
3. it applies ``[related]`` of the rules file: the items joined to the new one through
   person-kind links (person, handle, phone, email) are "reports about one person". Among
   them, a report is independent unless it is a near duplicate of, or comes from the same
   reporter as, one counted before it (oldest first). With ``min_reports`` or more
   independent reports, every open item of the group whose tier is less urgent than
   ``raise_to`` is raised to it (tier, scored tier and due time), with a reason and an audit
   event; an item whose tier a supervisor set by hand (``tier_overridden``) is left alone.

Nothing of the report's content is stored or logged: digests, a signature, kinds and counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from triage import blind_index, identifiers, similarity
from triage.audit import record
from triage.documents import fields_of
from triage.models import OPEN_STATUSES, BlindIndex, ItemLink, QueueItem, TextSignature
from triage.rules import RelatedRules, Rules

TEXT = "text"
RULE_ID = "related-reports"


@dataclass(frozen=True)
class RelateResult:
    """What intake changed: items newly linked to the new one, items whose tier was raised,
    and those among them now P1 (the caller pages for these)."""

    linked: tuple[int, ...] = ()
    raised: tuple[int, ...] = ()
    raised_to_p1: tuple[int, ...] = ()


def relate_new_item(
    session: Session,
    item: QueueItem,
    document: Mapping[str, Any],
    key: bytes,
    rules: Rules,
    now: datetime,
) -> RelateResult:
    """Index ``item`` (already flushed), link it to related items of its unit and apply the
    tier rule. Never commits: the caller's transaction does."""
    settings = rules.related
    found = identifiers.extract(document)
    pairs = blind_index.digests(key, found)
    session.add_all(blind_index.index_rows(item.id, pairs))
    text = fields_of(document).get("what_happened")
    signature = similarity.signature(text, key) if isinstance(text, str) else None
    if signature is not None:
        session.add(TextSignature(item_id=item.id, signature=signature))
    session.flush()

    matches = _digest_matches(session, item, pairs)
    if signature is not None:
        for other_id in _near_duplicates(session, item, signature, settings, now):
            matches.setdefault(other_id, set()).add(TEXT)
    linked = _link(session, item, matches, settings.max_links, now)
    raised = _apply_rule(session, item, rules, now)
    return RelateResult(
        linked=tuple(linked),
        raised=tuple(i.id for i in raised),
        raised_to_p1=tuple(i.id for i in raised if i.tier == "P1"),
    )


def _digest_matches(
    session: Session, item: QueueItem, pairs: set[tuple[str, str]]
) -> dict[int, set[str]]:
    """Other items of the unit sharing a digest of a linking kind -> the kinds shared."""
    wanted = {d for kind, d in pairs if kind in identifiers.LINK_KINDS}
    matches: dict[int, set[str]] = {}
    if not wanted:
        return matches
    rows = session.execute(
        select(BlindIndex.item_id, BlindIndex.kind)
        .join(QueueItem, QueueItem.id == BlindIndex.item_id)
        .where(
            QueueItem.unit_id == item.unit_id,
            BlindIndex.item_id != item.id,
            BlindIndex.digest.in_(sorted(wanted)),
            BlindIndex.kind.in_(identifiers.LINK_KINDS),
        )
    )
    for other_id, kind in rows:
        matches.setdefault(other_id, set()).add(kind)
    return matches


def _near_duplicates(
    session: Session,
    item: QueueItem,
    signature: list[int],
    settings: RelatedRules,
    now: datetime,
) -> list[int]:
    since = now - timedelta(days=settings.text_window_days)
    rows = session.execute(
        select(TextSignature.item_id, TextSignature.signature)
        .join(QueueItem, QueueItem.id == TextSignature.item_id)
        .where(
            QueueItem.unit_id == item.unit_id,
            QueueItem.id != item.id,
            QueueItem.received_at >= since,
        )
    )
    return [
        other_id
        for other_id, other in rows
        if similarity.similarity(signature, other) >= settings.near_duplicate
    ]


def _link(
    session: Session, item: QueueItem, matches: dict[int, set[str]], limit: int, now: datetime
) -> list[int]:
    """Create (or add reasons to) automatic links, newest matches first, at most ``limit``."""
    linked: list[int] = []
    for other_id in sorted(matches, reverse=True)[:limit]:
        low, high = sorted((item.id, other_id))
        link = session.scalars(
            select(ItemLink).where(ItemLink.item_a_id == low, ItemLink.item_b_id == high)
        ).first()
        reasons = sorted(matches[other_id])
        if link is not None:
            if link.removed_at is None:  # removed by hand: never brought back automatically
                link.reasons = sorted(set(link.reasons) | set(reasons))
            continue
        session.add(
            ItemLink(item_a_id=low, item_b_id=high, source="auto", reasons=reasons, created_at=now)
        )
        record(
            session,
            "linked",
            item_id=item.id,
            detail={"other": other_id, "source": "auto", "reasons": reasons},
            at=now,
        )
        linked.append(other_id)
    session.flush()
    return linked


def person_group(session: Session, item: QueueItem) -> list[QueueItem]:
    """The items of ``item``'s unit joined to it through active links that name a person
    kind (person, handle, phone, email), ``item`` included, oldest first."""
    seen = {item.id}
    frontier = [item.id]
    while frontier:
        rows = session.scalars(
            select(ItemLink).where(
                ItemLink.removed_at.is_(None),
                or_(ItemLink.item_a_id.in_(frontier), ItemLink.item_b_id.in_(frontier)),
            )
        ).all()
        candidates = {
            other
            for link in rows
            if set(link.reasons) & set(identifiers.PERSON_KINDS)
            for other in (link.item_a_id, link.item_b_id)
            if other not in seen
        }
        # Only through items still in this unit (an item moved away keeps its old links).
        frontier = list(
            session.scalars(
                select(QueueItem.id).where(
                    QueueItem.id.in_(candidates), QueueItem.unit_id == item.unit_id
                )
            )
        )
        seen.update(frontier)
    items = session.scalars(select(QueueItem).where(QueueItem.id.in_(seen))).all()
    return sorted(items, key=lambda i: (i.received_at, i.id))


def independent_reports(
    session: Session, items: Iterable[QueueItem], near_duplicate: float
) -> list[QueueItem]:
    """Oldest first, the items that are neither a near duplicate of nor from the same
    reporter as an item counted before them."""
    ordered = list(items)
    ids = [i.id for i in ordered]
    signatures = dict(
        session.execute(
            select(TextSignature.item_id, TextSignature.signature).where(
                TextSignature.item_id.in_(ids)
            )
        ).all()
    )
    reporters: dict[int, set[str]] = {}
    for item_id, digest in session.execute(
        select(BlindIndex.item_id, BlindIndex.digest).where(
            BlindIndex.item_id.in_(ids), BlindIndex.kind == identifiers.REPORTER
        )
    ):
        reporters.setdefault(item_id, set()).add(digest)
    counted: list[QueueItem] = []
    for candidate in ordered:
        mine = signatures.get(candidate.id)
        same = any(
            reporters.get(candidate.id, set()) & reporters.get(earlier.id, set())
            or (
                mine is not None
                and earlier.id in signatures
                and similarity.similarity(mine, signatures[earlier.id]) >= near_duplicate
            )
            for earlier in counted
        )
        if not same:
            counted.append(candidate)
    return counted


def _apply_rule(session: Session, item: QueueItem, rules: Rules, now: datetime) -> list[QueueItem]:
    settings = rules.related
    group = person_group(session, item)
    if len(group) < settings.min_reports:
        return []
    count = len(independent_reports(session, group, settings.near_duplicate))
    if count < settings.min_reports:
        return []
    target = settings.raise_to
    reason = {
        "rule": RULE_ID,
        "text": f"{count} independent reports concern one person",
        "tier": target,
    }
    raised: list[QueueItem] = []
    for member in group:
        if member.status not in OPEN_STATUSES or member.tier_overridden:
            continue
        if member.tier <= target:  # "P1" < "P2" < ...: already as urgent or more
            continue
        before = member.tier
        member.tier = target
        member.scored_tier = target
        member.due_at = min(member.due_at, member.received_at + rules.tiers[target].due)
        others = [r for r in member.reasons if r.get("rule") != RULE_ID]
        member.reasons = sorted([reason, *others], key=lambda r: r["tier"])
        record(
            session,
            "tier-raised",
            item_id=member.id,
            detail={"from": before, "to": target, "rule": RULE_ID, "reports": count},
            at=now,
        )
        raised.append(member)
    session.flush()
    return raised
