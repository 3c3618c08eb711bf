"""Follow-up statistics of a unit: how often officers ask, and how often reporters answer.

Tip lines report these figures (how many reports got a question, how many questions were
answered). A question counts as answered when the reporter wrote on the same item after it was
sent (a reply sent before the question, delivered late, does not count).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from triage.conversation import FROM_REPORTER, TO_REPORTER
from triage.models import Message, QueueItem


@dataclass(frozen=True)
class FollowupStats:
    reports: int
    reports_questioned: int  # reports that got at least one question
    questions_sent: int
    questions_answered: int  # a reporter reply on the same item after the question
    reports_with_replies: int

    @property
    def answer_rate(self) -> float | None:
        """Answered questions as a percentage of questions sent (None when none were sent)."""
        if not self.questions_sent:
            return None
        return 100.0 * self.questions_answered / self.questions_sent


def followup_stats(session: Session, unit_id: int) -> FollowupStats:
    unit_items = select(QueueItem.id).where(QueueItem.unit_id == unit_id)
    reports = session.scalar(
        select(func.count()).select_from(QueueItem).where(QueueItem.unit_id == unit_id)
    )
    questions = select(Message).where(
        Message.direction == TO_REPORTER, Message.item_id.in_(unit_items)
    )
    question = aliased(Message, questions.subquery())
    reply = aliased(Message)
    answered = (
        select(reply.id)
        .where(
            reply.item_id == question.item_id,
            reply.direction == FROM_REPORTER,
            reply.created_at > question.created_at,
        )
        .exists()
    )
    row = session.execute(
        select(
            func.count(question.id),
            func.count(func.distinct(question.item_id)),
            func.count(question.id).filter(answered),
        )
    ).one()
    replied = session.scalar(
        select(func.count(func.distinct(Message.item_id))).where(
            Message.direction == FROM_REPORTER, Message.item_id.in_(unit_items)
        )
    )
    return FollowupStats(
        reports=reports or 0,
        reports_questioned=row[1] or 0,
        questions_sent=row[0] or 0,
        questions_answered=row[2] or 0,
        reports_with_replies=replied or 0,
    )
