"""What the workflow sets off in the other parts of the intake workflow.

- ``on_claimed``: an officer took an item (claim, claim next, assignment): a life-safety page
  for it is acknowledged (``paging.acknowledge(..., via="claim")``): someone has it now.
- ``on_tier_set``: a supervisor set a tier by hand (``triage.tier_override``); when it
  becomes P1 the on-call list is paged (``paging.start_life_safety``).

Both run inside the caller's transaction (flush, never commit); the caller sends any page
after commit (``notify.outbox.pending_ids_for_item``), and the scheduler's tick sends it too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tipline.settings import Settings
from triage import paging
from triage.models import Officer, QueueItem


def on_claimed(session: Session, item: QueueItem, officer: Officer, now: datetime) -> None:
    """An officer now holds ``item``: stop paging for it."""
    paging.acknowledge(session, item, officer, now, via="claim")


def on_tier_set(
    session: Session,
    item: QueueItem,
    old: str,
    new: str,
    now: datetime,
    settings: Settings | None = None,
) -> None:
    """A supervisor set ``item``'s tier from ``old`` to ``new``: a new P1 pages the on-call
    list (``settings`` gives the acknowledgement wait, else its default)."""
    if new == "P1" and old != "P1":
        paging.start_life_safety(session, item, now, settings)
