"""Check the audit chain: every event's hash, the links between events, the head, an anchor.

``verify`` walks the events in ``seq`` order and recomputes each hash with the audit key. It
names the first bad row in words an operator can act on:

- ``row seq 17 (id 42) edited``: the stored hash does not match the row's fields;
- ``row seq 18 missing (deleted)``: a gap in the numbers;
- ``row seq 19 (id 44) does not follow seq 18``: its link to the previous event is wrong;
- ``rows seq 20-21 missing (deleted at the end)``: the head is further than the last row;
- ``row id 45 is not chained``: an event inserted outside the application;
- an anchor (``SEQ:HASH`` recorded earlier with ``tipline audit head``) that no longer matches:
  the log was rewritten from that point or truncated.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.audit import GENESIS, HEAD_ID, event_hash
from triage.models import AuditEvent, AuditHead

ANCHOR_RE = re.compile(r"^(\d+):([0-9a-f]{64})$")
BATCH = 1000


class AnchorError(ValueError):
    """An anchor that is not ``SEQ:HASH`` (a number, a colon, 64 hex digits)."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        match = ANCHOR_RE.match(text.strip().lower())
        if not match or int(match.group(1)) < 1:
            raise AnchorError(f"an anchor is SEQ:HASH (from `tipline audit head`), got {text!r}")
        return cls(int(match.group(1)), match.group(2))


@dataclass
class Report:
    """What ``verify`` found: ``problems`` in chain order (empty when intact)."""

    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    pending: int = 0  # events from before the chain, chained at the next append
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            text = f"audit chain intact: {self.checked} events, head seq {self.head_seq}"
            if self.pending:
                text += f" ({self.pending} older events not chained yet)"
            return text
        more = len(self.problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        return f"audit chain BROKEN: {self.problems[0]}{extra}"


def head(session: Session) -> tuple[int, str] | None:
    """The chain's head (seq, hash), or None before the first event."""
    row = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)
    ).first()
    return (int(row.seq), str(row.hash)) if row is not None else None


def verify(session: Session, key: bytes, anchor: Anchor | None = None) -> Report:
    report = Report()
    expected, previous = 1, GENESIS
    anchor_seen = False
    last_id = None
    after = 0
    while True:
        rows = session.execute(
            select(
                AuditEvent.id,
                AuditEvent.seq,
                AuditEvent.at,
                AuditEvent.officer_id,
                AuditEvent.action,
                AuditEvent.item_id,
                AuditEvent.detail,
                AuditEvent.prev_hash,
                AuditEvent.hash,
            )
            .where(AuditEvent.seq > after)
            .order_by(AuditEvent.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            after = row.seq
            report.checked += 1
            if row.seq > expected:
                report.problems.append(_missing(expected, row.seq - 1, "deleted"))
            elif row.prev_hash != previous:
                report.problems.append(
                    f"row seq {row.seq} (id {row.id}) does not follow seq {row.seq - 1}"
                    " (chain broken)"
                )
            digest = event_hash(
                key,
                row.prev_hash or "",
                seq=row.seq,
                at=row.at,
                officer_id=row.officer_id,
                action=row.action,
                item_id=row.item_id,
                detail=row.detail,
            )
            if not hmac.compare_digest(digest, row.hash or ""):
                report.problems.append(f"row seq {row.seq} (id {row.id}) edited")
            if anchor is not None and row.seq == anchor.seq:
                anchor_seen = True
                if not hmac.compare_digest(row.hash or "", anchor.hash):
                    report.problems.append(
                        f"anchor seq {anchor.seq} does not match row id {row.id}:"
                        " the log was rewritten from there"
                    )
            expected, previous, last_id = row.seq + 1, row.hash or "", row.id
    last_seq = expected - 1
    _check_head(session, report, last_seq, previous, last_id)
    unchained = session.scalars(
        select(AuditEvent.id).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id)
    ).all()
    if unchained and (last_seq > 0 or report.head_seq > 0):
        report.problems.extend(f"row id {i} is not chained (inserted by hand)" for i in unchained)
    else:
        report.pending = len(unchained)
    if anchor is not None and not anchor_seen:
        report.problems.append(
            f"anchor seq {anchor.seq} not found: the log ends at seq {last_seq}"
            " (truncated or rewritten)"
        )
    return report


def _missing(first: int, last: int, why: str) -> str:
    if first == last:
        return f"row seq {first} missing ({why})"
    return f"rows seq {first}-{last} missing ({why})"


def _check_head(
    session: Session, report: Report, last_seq: int, last_hash: str, last_id: int | None
) -> None:
    found = head(session)
    if found is None:
        if last_seq:
            report.problems.append("the audit head row is missing (deleted)")
        return
    report.head_seq, report.head_hash = found
    if report.head_seq > last_seq:
        report.problems.append(_missing(last_seq + 1, report.head_seq, "deleted at the end"))
    elif report.head_seq < last_seq:
        report.problems.append(
            f"the head says seq {report.head_seq} but row seq {last_seq} (id {last_id}) exists"
            " (head edited)"
        )
    elif not hmac.compare_digest(report.head_hash, last_hash):
        report.problems.append(
            f"the head hash does not match row seq {last_seq} (id {last_id}) (edited)"
        )
