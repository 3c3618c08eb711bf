"""Related reports at intake: blind indexes, automatic links, near duplicates and the rule
that raises the tier when several independent reports concern one person."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.triage.helpers import ingest_envelope, item_id_of, table_dump
from tipline.settings import Settings
from triage.models import AuditEvent, BlindIndex, ItemLink, QueueItem, TextSignature

# Three reports about one student, written by three different people.
FIRST = {
    "subject": "Jonathan Q. Smith",
    "what_happened": (
        "In the group chat he wrote that some people in our class will regret laughing at"
        " him. His insta is instagram.com/jon.smith99"
    ),
    "location": "Lincoln High School",
}
SECOND = {
    "subject": "smith, jonathan",
    "what_happened": (
        "He keeps texting my sister from +1 (555) 013-4477 saying he knows where she lives and"
        " that she should be careful."
    ),
}
THIRD = {
    "subject": "@JonSmith99",
    "what_happened": (
        "This account posts angry pictures every night about people from our class and says"
        " they deserve it. Number on his profile: 555.013.4477"
    ),
}
# Every spelling of every identifier above, as it might be searched for in a database dump.
SPELLINGS = [
    "Jonathan Q. Smith",
    "Jonathan Q Smith",
    "Jonathan Smith",
    "smith, jonathan",
    "smith jonathan",
    "jonathan",
    "JonSmith99",
    "jon.smith99",
    "jonsmith99",
    "instagram.com/jon.smith99",
    "5550134477",
    "555.013.4477",
    "(555) 013-4477",
    "013-4477",
    "0134477",
    "Lincoln High School",
    "lincoln high school",
]


def ingest_all(sessions, keyring, rules, sealed_report, settings, reports) -> list[int]:
    ids = []
    for fields in reports:
        envelope_id, envelope, _ = sealed_report(**({"category": "other"} | fields))
        ingest_envelope(
            sessions, keyring, rules, envelope_id, envelope, blind_key=settings.blind_index_key
        )
        ids.append(item_id_of(sessions, envelope_id))
    return ids


def active_links(sessions) -> dict[frozenset[int], list[str]]:
    with sessions() as session:
        return {
            frozenset((link.item_a_id, link.item_b_id)): link.reasons
            for link in session.scalars(select(ItemLink).where(ItemLink.removed_at.is_(None)))
        }


def test_three_spellings_of_one_person_are_linked_the_tier_rises_and_nothing_is_in_clear(
    sessions, keyring, rules, sealed_report, settings: Settings, triage_db_url: str
) -> None:
    first, second, third = ingest_all(
        sessions, keyring, rules, sealed_report, settings, [FIRST, SECOND, THIRD]
    )

    links = active_links(sessions)
    assert links == {
        frozenset((first, second)): ["person"],
        frozenset((first, third)): ["handle"],
        frozenset((second, third)): ["phone"],
    }
    with sessions() as session:
        items = {i.id: i for i in session.scalars(select(QueueItem))}
        # Scored alone, each report is "priority" (P3: a named person); together they are urgent.
        assert {items[i].tier for i in (first, second, third)} == {"P2"}
        for item_id in (first, second, third):
            item = items[item_id]
            assert item.reasons[0]["rule"] == "related-reports"
            assert item.reasons[0]["text"] == "3 independent reports concern one person"
            assert item.due_at <= item.received_at + rules.tiers["P2"].due
        raised = session.scalars(
            select(AuditEvent.item_id).where(AuditEvent.action == "tier-raised")
        ).all()
        assert sorted(raised) == [first, second, third]

    dump = b"\n".join(table_dump(triage_db_url)).lower()
    for spelling in SPELLINGS:
        assert spelling.lower().encode() not in dump, spelling
    # Nor the normalized forms the digests are made from.
    for normalized in ("jonathan smith", "jonsmith99", "5550134477", "lincoln high school"):
        assert normalized.encode() not in dump, normalized
    # What is there instead: digests and a signature.
    with sessions() as session:
        digests = session.scalars(select(BlindIndex.digest)).all()
        assert digests and all(re.fullmatch(r"[0-9a-f]{64}", d) for d in digests)
        assert session.scalars(select(TextSignature)).all()


def test_two_reports_link_but_do_not_raise(
    sessions, keyring, rules, sealed_report, settings: Settings
) -> None:
    first, second = ingest_all(sessions, keyring, rules, sealed_report, settings, [FIRST, SECOND])
    assert active_links(sessions) == {frozenset((first, second)): ["person"]}
    with sessions() as session:
        assert {session.get(QueueItem, i).tier for i in (first, second)} == {"P3"}
