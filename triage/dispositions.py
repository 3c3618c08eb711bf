"""Dispositions: what the unit decided to do about an item, with what each one requires.

| disposition          | required                                                          |
|----------------------|-------------------------------------------------------------------|
| `emergency_response` | law enforcement notified (yes) and the time they were notified    |
| `open_case`          | nothing more (the case packet is the hand-off to Step 4)          |
| `refer_partner`      | the kind of partner and its name                                  |
| `monitor`            | a review date after today                                         |
| `no_further_action`  | why: unfounded, out of scope, duplicate, prank or false report   |

Every disposition also takes the officer's note. What is in clear (``Decision.detail``) is
only choices and dates, for the dashboard: the partner's *kind*, the review date, the reason
code, when law enforcement was notified. What an officer typed (the note, the partner's name)
is sealed to the unit's key (``UnitCrypto.seal_note``) like the report itself.

Recording a disposition needs the officer holding the claim, or a supervisor of the unit
(``policy.can_decide``), and an item in review. It adds a ``Decision``, sets the item's
``disposition``, ``decided_at`` and status ``decided`` (``review_on`` for monitoring),
releases the claim and writes a ``decided`` audit event. It flushes and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipline.envelope import EnvelopeError
from triage import claims, lifecycle, policy
from triage.audit import record
from triage.models import DISPOSITIONS, Decision, Officer, QueueItem
from triage.sealing import SealingError, UnitCrypto

LABELS: dict[str, str] = {
    "emergency_response": "Emergency response requested",
    "open_case": "Open a threat assessment case",
    "refer_partner": "Refer to a partner",
    "monitor": "Monitor",
    "no_further_action": "No further action",
}
PARTNER_KINDS: dict[str, str] = {
    "school_team": "School threat assessment team",
    "mental_health": "Mental health services",
    "employer": "Employer",
    "agency": "Another agency",
}
NO_ACTION_REASONS: dict[str, str] = {
    "unfounded": "Unfounded",
    "out_of_scope": "Out of scope",
    "duplicate": "Duplicate",
    "prank": "Prank or false report",
}
# Which fields each disposition asks for (besides the note), in form order.
REQUIRED: dict[str, tuple[str, ...]] = {
    "emergency_response": ("law_enforcement_notified", "notified_at"),
    "open_case": (),
    "refer_partner": ("partner_kind", "partner_name"),
    "monitor": ("review_on",),
    "no_further_action": ("reason",),
}
NOTE_LIMIT = 4000
PARTNER_NAME_LIMIT = 200
# A notification time a little ahead of the server's clock is a clock difference, not a lie.
CLOCK_SKEW = timedelta(minutes=5)
assert set(LABELS) == set(DISPOSITIONS) == set(REQUIRED)


class DispositionInvalid(ValueError):
    """Some fields are missing or wrong: ``errors`` maps each field to a plain message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class CannotDecide(ValueError):
    """The officer may not decide this item now; the message says why."""


@dataclass(frozen=True)
class DispositionInput:
    """What the officer filled in (strings as typed; the form may send every field)."""

    disposition: str
    note: str
    law_enforcement_notified: str = ""  # "yes" to confirm
    notified_at: datetime | None = None  # UTC
    partner_kind: str = ""
    partner_name: str = ""
    review_on: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class Checked:
    """A valid disposition: what goes in clear, and what is sealed."""

    disposition: str
    detail: dict[str, object]
    sealed_fields: dict[str, str]
    review_on: datetime | None


def check(data: DispositionInput, now: datetime) -> Checked:
    """Validate everything at once; ``DispositionInvalid`` lists every problem."""
    errors: dict[str, str] = {}
    disposition = data.disposition
    if disposition not in DISPOSITIONS:
        errors["disposition"] = "Choose a disposition."
    note = (data.note or "").strip()
    if not note:
        errors["note"] = "Write a note: what you decided and why."
    elif len(note) > NOTE_LIMIT:
        errors["note"] = f"Keep the note under {NOTE_LIMIT} characters."
    detail: dict[str, object] = {}
    sealed = {"note": note}
    review_on: datetime | None = None
    if disposition == "emergency_response":
        if data.law_enforcement_notified != "yes":
            errors["law_enforcement_notified"] = (
                "Confirm that law enforcement was notified: an emergency response goes through "
                "them."
            )
        if data.notified_at is None:
            errors["notified_at"] = "Give the time law enforcement was notified (UTC)."
        elif data.notified_at > now + CLOCK_SKEW:
            errors["notified_at"] = "The time law enforcement was notified is in the future."
        else:
            detail = {
                "law_enforcement_notified": True,
                "notified_at": data.notified_at.astimezone(UTC).isoformat(),
            }
    elif disposition == "refer_partner":
        if data.partner_kind not in PARTNER_KINDS:
            errors["partner_kind"] = "Choose the kind of partner the item is referred to."
        name = " ".join((data.partner_name or "").split())
        if not name:
            errors["partner_name"] = "Name the partner (the school team, service or agency)."
        elif len(name) > PARTNER_NAME_LIMIT:
            errors["partner_name"] = (
                f"Keep the partner's name under {PARTNER_NAME_LIMIT} characters."
            )
        detail = {"partner_kind": data.partner_kind}
        sealed["partner_name"] = name
    elif disposition == "monitor":
        if data.review_on is None:
            errors["review_on"] = "Give the date to review the item again."
        elif data.review_on <= now.astimezone(UTC).date():
            errors["review_on"] = "The review date must be after today."
        else:
            review_on = datetime.combine(data.review_on, time(0, 0), tzinfo=UTC)
            detail = {"review_on": data.review_on.isoformat()}
    elif disposition == "no_further_action":
        if data.reason not in NO_ACTION_REASONS:
            errors["reason"] = "Choose why no further action is needed."
        detail = {"reason": data.reason}
    if errors:
        raise DispositionInvalid(errors)
    return Checked(disposition, detail, sealed, review_on)


def record_disposition(
    session: Session,
    crypto: UnitCrypto,
    item: QueueItem,
    officer: Officer,
    data: DispositionInput,
    now: datetime,
) -> Decision:
    """Validate, seal the note, add the ``Decision`` and move the item to ``decided``.

    Raises ``DispositionInvalid`` (fields), ``CannotDecide`` (who or when), or
    ``triage.sealing.NoUnitKey``; nothing is written then.
    """
    checked = check(data, now)
    if not policy.can_decide(officer, item):
        raise CannotDecide(
            "only the officer who claimed the item, or a supervisor, can record its disposition;"
            " claim it first"
        )
    if (
        item.claimed_by_id == officer.id
        and not claims.holds_claim(item, officer, now)
        and not policy.can_assign(officer, item)
    ):
        raise CannotDecide("your claim on this item ran out; claim it again first")
    try:
        lifecycle.check_transition(item, "decided")
    except lifecycle.InvalidTransition as exc:
        raise CannotDecide(str(exc)) from None
    # Readable only with the unit's private keys, like the report.
    sealed_note, key_id = crypto.seal_note(checked.sealed_fields)
    decision = Decision(
        item_id=item.id,
        officer_id=officer.id,
        at=now,
        disposition=checked.disposition,
        detail=checked.detail,
        sealed_note=sealed_note,
        note_key_id=key_id,
    )
    session.add(decision)
    item.disposition = checked.disposition
    item.decided_at = now
    item.status = "decided"
    item.review_on = checked.review_on
    session.flush()
    claims.clear_for_decision(session, item, officer, now)
    record(
        session,
        "decided",
        officer_id=officer.id,
        item_id=item.id,
        detail={"decision": decision.id, "disposition": checked.disposition},
        at=now,
    )
    return decision


@dataclass(frozen=True)
class DecisionView:
    """One decision for display; the opened note lives for one request only."""

    id: int
    at: datetime
    officer: str
    disposition: str
    label: str
    facts: list[tuple[str, str]]  # (label, value) of the required fields
    note: str | None  # None: cannot be opened with the keys held here


def decisions_of(session: Session, item_id: int) -> list[Decision]:
    return list(
        session.scalars(
            select(Decision).where(Decision.item_id == item_id).order_by(Decision.at, Decision.id)
        )
    )


def present(crypto: UnitCrypto, decision: Decision) -> DecisionView:
    """A decision with its sealed fields opened in memory."""
    opened: dict[str, str] | None
    try:
        opened = crypto.open_note(decision.sealed_note) if decision.sealed_note else {}
    except (EnvelopeError, SealingError):
        opened = None
    detail = decision.detail or {}
    facts: list[tuple[str, str]] = []
    if decision.disposition == "emergency_response":
        notified = "Yes" if detail.get("law_enforcement_notified") else "No"
        facts.append(("Law enforcement notified", notified))
        if detail.get("notified_at"):
            facts.append(("Notified at", _display_time(str(detail["notified_at"]))))
    elif decision.disposition == "refer_partner":
        kind = str(detail.get("partner_kind", ""))
        facts.append(("Partner", PARTNER_KINDS.get(kind, kind)))
        if opened is not None and opened.get("partner_name"):
            facts.append(("Partner's name", opened["partner_name"]))
    elif decision.disposition == "monitor":
        facts.append(("Review on", str(detail.get("review_on", ""))))
    elif decision.disposition == "no_further_action":
        reason = str(detail.get("reason", ""))
        facts.append(("Reason", NO_ACTION_REASONS.get(reason, reason or "not recorded")))
    return DecisionView(
        id=decision.id,
        at=decision.at,
        officer=decision.officer.username if decision.officer else "",
        disposition=decision.disposition,
        label=LABELS.get(decision.disposition, decision.disposition),
        facts=facts,
        note=None if opened is None else opened.get("note", ""),
    )


def _display_time(value: str) -> str:
    try:
        return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value
