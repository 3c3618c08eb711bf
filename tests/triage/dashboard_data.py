"""A fixed set of items whose dashboard figures were computed by hand (the constants at the end).

Range: 2030-01-07 (Monday) to 2030-01-28, three ISO weeks (W02, W03, W04); "now" is
Friday 2030-01-25 12:00 UTC. Due times: P1 30 min, P2 4 h, P3 24 h, P4 72 h after receipt.
Times below are minutes after receipt.

  #  received          tier cat.                kind/chan.  review decide due   disposition
  1  Mon 01-07 10:00   P1   threat_of_violence  report      5      60     30    emergency_response
  2  Tue 01-08 02:00   P1   weapons             referral    20     120    30    open_case
  3  Wed 01-09 09:00   P2   bullying            report      100    300    240   refer_partner
  4  Thu 01-10 09:00   P3   bullying            report      600    1500   1440  nfa: unfounded
  5  Fri 01-11 09:00   P4   other               report      5000   6000   4320  nfa: duplicate
  6  Mon 01-14 23:00   P1   self_harm           report      40     90     30    emergency_response
  7  Tue 01-15 09:00   P2   online_posts        report      200    400    240   monitor (was nfa)
  8  Wed 01-16 09:00   P2   threat_of_violence  referral    300    500    240   open_case
  9  Thu 01-17 09:00   P3   bullying            report      1000   2000   1440  nfa: unfounded *
 10  Fri 01-18 09:00   P3   other               report      1200   -      1440  (in review)
 11  Sat 01-19 09:00   P4   other               report      3000   3500   4320  nfa: prank
 12  Mon 01-21 08:00   P1   threat_of_violence  report      30     45     30    emergency_response
 13  Tue 01-22 09:00   P2   bullying            report      -      -      240   (past due)
 14  Thu 01-24 20:00   P3   self_harm           referral    -      -      1440  (not due yet)
 15  Fri 01-25 09:00   P4   other               report/phone -     -      4320  (not due yet)
 16  Tue 01-22 10:00   P4   bullying            report      2000   2500   4320  nfa: out_of_scope
 17  Wed 01-23 09:00   P3   online_posts        report      1500   1600   1440  nfa: unfounded

Never counted: one item received just before the range, one at its end (excluded), and one of
another unit ("north") inside the range; all three decided "no further action: unfounded".
(*) #9 was "monitor" first and #7 "no further action: unfounded" first: the latest decision
counts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from tests.triage.conftest import other_unit
from tipline.db import transaction
from triage.dashboard import DateRange
from triage.models import Decision, Officer, QueueItem, default_unit

NOW = datetime(2030, 1, 25, 12, 0, tzinfo=UTC)
RANGE = DateRange(date(2030, 1, 7), date(2030, 1, 28))
WEEKS = [date(2030, 1, 7), date(2030, 1, 14), date(2030, 1, 21)]
DUE = {"P1": 30, "P2": 240, "P3": 1440, "P4": 4320}

# (received, tier, category, kind, channel, review, decide, [(disposition, reason)...])
ER = [("emergency_response", None)]
NFA = "no_further_action"
NFA_UNFOUNDED = [(NFA, "unfounded")]
ITEMS = [
    ("01-07 10:00", "P1", "threat_of_violence", "report", "web", 5, 60, ER),
    ("01-08 02:00", "P1", "weapons", "referral", "web", 20, 120, [("open_case", None)]),
    ("01-09 09:00", "P2", "bullying", "report", "web", 100, 300, [("refer_partner", None)]),
    ("01-10 09:00", "P3", "bullying", "report", "web", 600, 1500, NFA_UNFOUNDED),
    ("01-11 09:00", "P4", "other", "report", "web", 5000, 6000, [(NFA, "duplicate")]),
    ("01-14 23:00", "P1", "self_harm", "report", "web", 40, 90, ER),
    ("01-15 09:00", "P2", "online_posts", "report", "web", 200, 400,
     [(NFA, "unfounded"), ("monitor", None)]),
    ("01-16 09:00", "P2", "threat_of_violence", "referral", "web", 300, 500, [("open_case", None)]),
    ("01-17 09:00", "P3", "bullying", "report", "web", 1000, 2000,
     [("monitor", None), (NFA, "unfounded")]),
    ("01-18 09:00", "P3", "other", "report", "web", 1200, None, []),
    ("01-19 09:00", "P4", "other", "report", "web", 3000, 3500, [(NFA, "prank")]),
    ("01-21 08:00", "P1", "threat_of_violence", "report", "web", 30, 45, ER),
    ("01-22 09:00", "P2", "bullying", "report", "web", None, None, []),
    ("01-24 20:00", "P3", "self_harm", "referral", "web", None, None, []),
    ("01-25 09:00", "P4", "other", "report", "phone", None, None, []),
    ("01-22 10:00", "P4", "bullying", "report", "web", 2000, 2500, [(NFA, "out_of_scope")]),
    ("01-23 09:00", "P3", "online_posts", "report", "web", 1500, 1600, NFA_UNFOUNDED),
]  # fmt: skip

OUTSIDE = [  # (unit slug or None, received, tier)
    (None, "01-06 23:59", "P1"),
    (None, "01-28 00:00", "P2"),
    ("north", "01-08 10:00", "P1"),
]


def at(when: str) -> datetime:
    return datetime.strptime(f"2030-{when}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def add(
    session: Session,
    unit_id: int,
    officer_id: int,
    received: datetime,
    tier: str,
    category: str = "other",
    kind: str = "report",
    channel: str = "web",
    review: int | None = None,
    decide: int | None = None,
    decisions: list[tuple[str, str | None]] | None = None,
) -> QueueItem:
    """One item, inserted directly, with its decisions (each a minute apart, the last at
    ``decide`` minutes after receipt)."""
    decisions = decisions or []

    def later(minutes: int | None) -> datetime | None:
        return None if minutes is None else received + timedelta(minutes=minutes)

    item = QueueItem(
        envelope_id=str(uuid.uuid4()),
        unit_id=unit_id,
        purpose="report",
        kind=kind,
        channel=channel,
        tier=tier,
        scored_tier=tier,
        category=category,
        received_at=received,
        due_at=received + timedelta(minutes=DUE[tier]),
        reasons=[{"rule": "default", "text": "test", "tier": tier}],
        status="decided" if decisions else ("in_review" if review is not None else "new"),
        sealed_body=b"TLE-not-opened",
        key_id="test",
        first_reviewed_at=later(review),
        decided_at=later(decide) if decisions else None,
        disposition=decisions[-1][0] if decisions else None,
    )
    session.add(item)
    session.flush()
    last = later(decide) or received
    for back, (disposition, reason) in enumerate(reversed(decisions)):
        session.add(
            Decision(
                item_id=item.id,
                officer_id=officer_id,
                at=last - timedelta(minutes=back),
                disposition=disposition,
                detail={"reason": reason} if reason else {},
            )
        )
    return item


def officer_of(session: Session, unit_id: int, username: str) -> int:
    officer = Officer(username=username, password_hash="x", role="supervisor", unit_id=unit_id)
    session.add(officer)
    session.flush()
    return officer.id


def known_set(sessions: sessionmaker[Session], officer_id: int | None = None) -> int:
    """Insert ``ITEMS`` (and the ones never counted) into the default unit; returns its id."""
    with transaction(sessions) as session:
        unit_id = default_unit(session).id
        officer_id = officer_id or officer_of(session, unit_id, "figures")
        for received, tier, category, kind, channel, review, decide, decisions in ITEMS:
            add(
                session,
                unit_id,
                officer_id,
                at(received),
                tier,
                category,
                kind,
                channel,
                review,
                decide,
                decisions,
            )
        for slug, received, tier in OUTSIDE:
            unit = unit_id if slug is None else other_unit(session, slug).id
            add(
                session,
                unit,
                officer_id,
                at(received),
                tier,
                "bullying",
                review=5,
                decide=10,
                decisions=NFA_UNFOUNDED,
            )
    return unit_id


# The figures, by hand. Durations in minutes.
BY_TIER = {  # week -> P1..P4
    WEEKS[0]: (2, 1, 1, 1),
    WEEKS[1]: (1, 2, 2, 1),
    WEEKS[2]: (1, 1, 2, 2),
}
BY_CATEGORY = {  # week -> category -> count
    WEEKS[0]: {"threat_of_violence": 1, "weapons": 1, "bullying": 2, "other": 1},
    WEEKS[1]: {
        "self_harm": 1,
        "online_posts": 1,
        "threat_of_violence": 1,
        "bullying": 1,
        "other": 2,
    },
    WEEKS[2]: {
        "threat_of_violence": 1,
        "bullying": 2,
        "self_harm": 1,
        "other": 1,
        "online_posts": 1,
    },
}
BY_CHANNEL = {  # week -> channel key -> count
    WEEKS[0]: {"report:web": 4, "referral:web": 1},
    WEEKS[1]: {"report:web": 5, "referral:web": 1},
    WEEKS[2]: {"report:web": 4, "referral:web": 1, "report:phone": 1},
}
TO_REVIEW = {  # tier -> (reviewed, median, p90, still waiting)
    "P1": (4, 20, 40, 0),  # 5 20 30 40
    "P2": (3, 200, 300, 1),  # 100 200 300
    "P3": (4, 1000, 1500, 1),  # 600 1000 1200 1500
    "P4": (3, 3000, 5000, 1),  # 2000 3000 5000
}
TO_DECISION = {  # tier -> (decided, median, p90, not decided)
    "P1": (4, 60, 120, 0),  # 45 60 90 120
    "P2": (3, 400, 500, 1),  # 300 400 500
    "P3": (3, 1600, 2000, 2),  # 1500 1600 2000
    "P4": (3, 3500, 6000, 1),  # 2500 3500 6000
}
SLA = {  # tier -> (met, missed, not yet due, percent)
    "P1": (3, 1, 0, 75.0),  # #6 reviewed after 40 of 30 min; #12 at exactly 30: met
    "P2": (2, 2, 0, 50.0),  # #8 late, #13 never reviewed and past due
    "P3": (3, 1, 1, 75.0),  # #17 late; #14 not due yet
    "P4": (2, 1, 1, 200 / 3),  # #5 late; #15 not due yet
}
DISPOSITIONS = {
    "emergency_response": 3,
    "open_case": 2,
    "refer_partner": 1,
    "monitor": 1,
    "no_further_action": 6,
}
UNDECIDED = 4
REASONS = {"unfounded": 3, "out_of_scope": 1, "duplicate": 1, "prank": 1}
DECIDED = 13
UNFOUNDED_PERCENT = 300 / 13  # 23.1 %
