"""Searching the unit's reports by words, although their bodies stay sealed.

There is no index of words: the triage database holds report bodies sealed only. A search
opens the unit's reports in memory, batch by batch, newest first (by arrival in triage, i.e.
item number), and keeps the items whose free-text fields contain every word of the query.
Neither the opened text nor the query is stored or logged; the audit event records the number
of results and of reports opened, never the words.

Limits (see ``docs/related-reports.md``):

- a word matches the start of a word in the report, ignoring case and accents: "gun" finds
  "Gun" and "guns" but not "begun"; every query word must be found (AND), in any field;
- the fields read are the free-text ones (what happened, who, where, when, how the reporter
  knows, the filer's relation, what was done); never the reporter's or filer's contact;
- one request opens at most ``SCAN_LIMIT`` reports. If that limit is reached before a page is
  full, the page says so and "Older" continues from where the scan stopped;
- pages hold ``PAGE_SIZE`` results. A page is addressed by the item number to start from
  (``start``), so moving through pages never skips or repeats an item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipline import report_schema
from tipline.envelope import EnvelopeError, Purpose, open_envelope
from tipline.keys import PrivateKey
from triage import documents, policy
from triage.audit import record
from triage.identifiers import TEXT_FIELDS, fold
from triage.models import Officer, QueueItem

PAGE_SIZE = 20
SCAN_LIMIT = 500
BATCH = 50
MAX_QUERY_WORDS = 10
QUERY_MAX_LENGTH = 200
FIELD_LABELS = {
    "what_happened": "What happened",
    "subject": "Who",
    "location": "Where",
    "when": "When",
    "how_known_detail": "How the reporter knows",
    "relation_detail": "Filer's relation",
    "actions_taken": "What was already done",
}
_WORD = re.compile(r"\w+", re.UNICODE)


class BadQuery(ValueError):
    """The query cannot be searched for; the message is fit for the officer."""


@dataclass(frozen=True)
class Hit:
    item: QueueItem
    fields: tuple[str, ...]  # labels of the fields where the words were found


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    start: int | None  # item number this page started from (None: the newest)
    next_start: int | None  # where the next (older) page starts; None: nothing older
    scanned: int  # reports opened for this page
    capped: bool  # the scan stopped at SCAN_LIMIT before the page was full


def query_words(query: str) -> list[str]:
    """The folded words of a query; raises ``BadQuery`` if there are none or too many."""
    if len(query) > QUERY_MAX_LENGTH:
        raise BadQuery(f"Keep the search under {QUERY_MAX_LENGTH} characters.")
    words = list(dict.fromkeys(_WORD.findall(fold(query))))
    if not words:
        raise BadQuery("Type one or more words to search for.")
    if len(words) > MAX_QUERY_WORDS:
        raise BadQuery(f"Search for at most {MAX_QUERY_WORDS} words at a time.")
    return words


def matching_fields(document: Mapping[str, Any], words: list[str]) -> tuple[str, ...] | None:
    """Labels of the fields holding query words if every word is found; else None."""
    fields = documents.fields_of(document)
    found: set[str] = set()
    labels: list[str] = []
    for name in TEXT_FIELDS:
        value = fields.get(name)
        if not isinstance(value, str) or not value:
            continue
        text_words = _WORD.findall(fold(value))
        here = {w for w in words if any(t.startswith(w) for t in text_words)}
        if here:
            found |= here
            labels.append(FIELD_LABELS.get(name, name))
    return tuple(labels) if found == set(words) else None


def search(
    session: Session,
    officer: Officer,
    keyring: Mapping[str, PrivateKey],
    query: str,
    start: int | None = None,
    page_size: int = PAGE_SIZE,
    scan_limit: int = SCAN_LIMIT,
) -> SearchPage:
    """One page of the officer's unit's items matching ``query``, newest first, from item
    number ``start`` down. Records a "searched" audit event (counts only; the caller
    commits)."""
    words = query_words(query)
    unit_id = policy.visible_unit_id(officer)
    hits: list[Hit] = []
    scanned = 0
    cursor = start
    next_start: int | None = None
    exhausted = False
    while len(hits) <= page_size and scanned < scan_limit:
        statement = select(QueueItem).where(QueueItem.unit_id == unit_id)
        if cursor is not None:
            statement = statement.where(QueueItem.id <= cursor)
        batch = session.scalars(
            statement.order_by(QueueItem.id.desc()).limit(min(BATCH, scan_limit - scanned))
        ).all()
        if not batch:
            exhausted = True
            break
        for item in batch:
            scanned += 1
            cursor = item.id - 1
            labels = _match(item, keyring, words)
            if labels is None:
                continue
            if len(hits) == page_size:
                next_start = item.id  # one more match: the next page starts with it
                break
            hits.append(Hit(item, labels))
        if next_start is not None:
            break
        if scanned >= scan_limit:
            break
    capped = next_start is None and not exhausted and scanned >= scan_limit
    if capped and cursor is not None and cursor >= 1:
        next_start = cursor
    record(
        session,
        "searched",
        officer_id=officer.id,
        detail={"results": len(hits), "scanned": scanned, "capped": capped},
    )
    return SearchPage(hits, start, next_start, scanned, capped)


def _match(
    item: QueueItem, keyring: Mapping[str, PrivateKey], words: list[str]
) -> tuple[str, ...] | None:
    # Opened in memory for this comparison only; the plaintext goes out of scope at once.
    try:
        document = documents.decode(open_envelope(item.sealed_body, keyring, Purpose.REPORT))
    except (EnvelopeError, report_schema.ReportInvalid):
        return None
    return matching_fields(document, words)
