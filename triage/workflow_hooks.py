"""Where the workflow hands over to the other parts of issue #5 (wired by the lead).

The workflow calls these at the right moments; they are empty until the alerts part is
merged, and then call it:

- ``on_claimed``: an officer took an item (claim, claim next, assignment): a life-safety page
  for it is acknowledged -> ``paging.acknowledge(session, item, officer, now, via="claim")``.
- ``on_tier_set``: a supervisor set a tier by hand (``triage.tier_override``); when it
  becomes P1 the on-call list is paged -> ``paging.start_life_safety(session, item, now)``.

Both run inside the caller's transaction (flush, never commit).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from triage.models import Officer, QueueItem


def on_claimed(session: Session, item: QueueItem, officer: Officer, now: datetime) -> None:
    """An officer now holds ``item``. (Lead: acknowledge its life-safety page here.)"""


def on_tier_set(session: Session, item: QueueItem, old: str, new: str, now: datetime) -> None:
    """A supervisor set ``item``'s tier from ``old`` to ``new``. (Lead: when ``new`` is P1
    and ``old`` is not, start paging the on-call list here.)"""
