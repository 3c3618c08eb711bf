"""Follow-up statistics: reports, reports that got a question, questions sent and answered."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from tests.triage.conftest import other_unit
from tipline.db import transaction
from triage.models import Message, default_unit
from triage.stats import followup_stats

T0 = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)


def conversation(sessions, item_id: int, *events: tuple[str, int]) -> None:
    """Messages on an item: ("q" or "r", minutes after T0). Content is irrelevant here."""
    with transaction(sessions) as session:
        for kind, minutes in events:
            session.add(
                Message(
                    id=str(uuid.uuid4()),
                    item_id=item_id,
                    direction="to_reporter" if kind == "q" else "from_reporter",
                    created_at=T0 + timedelta(minutes=minutes),
                    unit_copy=b"sealed",
                    key_id="test",
                    envelope_id=None if kind == "q" else str(uuid.uuid4()),
                )
            )


def known_set(sessions, add_item) -> None:
    asked_twice = add_item()
    conversation(sessions, asked_twice, ("q", 0), ("r", 5), ("q", 10))  # 1 of 2 answered
    asked_once = add_item()
    conversation(sessions, asked_once, ("q", 0))  # unanswered
    late_info = add_item()
    # The reporter wrote before the question (a reply delivered late): not an answer.
    conversation(sessions, late_info, ("r", 0), ("q", 30))
    told_more = add_item()
    conversation(sessions, told_more, ("r", 0))  # extra information, nobody asked
    add_item()  # nothing at all
    elsewhere = add_item(unit_slug="north")
    conversation(sessions, elsewhere, ("q", 0), ("r", 1))  # another unit: not counted


def test_statistics_count_questions_and_answers_of_the_unit(sessions, add_item) -> None:
    known_set(sessions, add_item)
    with sessions() as session:
        stats = followup_stats(session, default_unit(session).id)
        north = followup_stats(session, other_unit(session, "north").id)
    assert (
        stats.reports,
        stats.reports_questioned,
        stats.questions_sent,
        stats.questions_answered,
        stats.reports_with_replies,
    ) == (5, 3, 4, 1, 3)
    assert stats.answer_rate == 25.0
    assert (north.reports, north.questions_sent, north.questions_answered) == (1, 1, 1)


def test_statistics_page_shows_the_numbers(logged_in, sessions, add_item) -> None:
    assert "No questions yet" in logged_in.get("/stats").get_data(as_text=True)
    known_set(sessions, add_item)
    page = logged_in.get("/stats").get_data(as_text=True)
    shown = dict(re.findall(r'<td data-stat="(\w+)">([^<]*)</td>', page))
    assert shown == {
        "reports": "5",
        "reports_questioned": "3",
        "questions_sent": "4",
        "questions_answered": "1",
        "answer_rate": "25%",
        "reports_with_replies": "3",
    }
    assert logged_in.get("/stats").headers["Cache-Control"] == "no-store"
