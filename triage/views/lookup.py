"""The item a URL names, for the logged-in officer: shared by every item view."""

from __future__ import annotations

from flask import abort, g

from triage.items import item_for_officer
from triage.models import QueueItem
from triage.web import db


def item_or_404(item_id: int) -> QueueItem:
    """The item, if the officer's unit holds it; else 404, exactly as for a missing item (the
    ``access-denied`` event ``item_for_officer`` recorded is committed first)."""
    item = item_for_officer(db(), item_id, g.officer)
    if item is None:
        db().commit()
        abort(404)
    return item
