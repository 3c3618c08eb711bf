"""Related reports at intake: blind indexes, automatic links, near duplicates and the rule
that raises the tier when several independent reports concern one person."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import select

from tests.triage.helpers import PASSWORD, ingest_envelope, item_id_of, table_dump
from tipline.db import transaction
from tipline.queue_contract import ACK_STORED, b64
from tipline.settings import Settings
from triage import directory_admin as admin
from triage import jobs
from triage.links import links_of, unlink_by_hand
from triage.models import AuditEvent, BlindIndex, ItemLink, QueueItem, TextSignature, utcnow
from triage.officers import add_officer
from triage.related import RelateResult, relate_new_item
from triage.rules import RelatedRules

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


# A retelling of SECOND: a few words changed, same story.
SECOND_RETOLD = {
    "subject": "Jonathan Smith",
    "what_happened": (
        "He keeps texting my sister saying he knows where she lives and that she should be"
        " careful, from +1 (555) 013-4477."
    ),
}


def tiers(sessions, ids) -> list[str]:
    with sessions() as session:
        return [session.get(QueueItem, i).tier for i in ids]


def test_near_duplicates_are_linked_by_text_and_count_as_one_report(
    sessions, keyring, rules, sealed_report, settings: Settings
) -> None:
    first, second, retold = ingest_all(
        sessions, keyring, rules, sealed_report, settings, [FIRST, SECOND, SECOND_RETOLD]
    )
    links = active_links(sessions)
    assert "text" in links[frozenset((second, retold))]
    assert "text" not in links[frozenset((first, retold))]
    # Three reports name him, but two are one story told twice: two independent reports.
    assert tiers(sessions, (first, second, retold)) == ["P3", "P3", "P3"]


def test_unrelated_texts_of_the_same_length_are_not_near_duplicates(
    sessions, keyring, rules, sealed_report, settings: Settings
) -> None:
    a, b = ingest_all(
        sessions,
        keyring,
        rules,
        sealed_report,
        settings,
        [
            {"what_happened": "Someone keeps leaving rude notes in the break room every week."},
            {"what_happened": "A coworker shouted at the manager in the parking lot on Monday."},
        ],
    )
    assert active_links(sessions) == {}
    # Short texts get no signature at all: "he has a knife" is not a story to compare.
    ingest_all(
        sessions, keyring, rules, sealed_report, settings, [{"what_happened": "rude notes again"}]
    )
    with sessions() as session:
        assert sorted(session.scalars(select(TextSignature.item_id)).all()) == [a, b]


def test_reports_from_one_reporter_are_not_independent(
    sessions, keyring, rules, sealed_report, settings: Settings
) -> None:
    ids = []
    for fields, contact in (
        (FIRST, {"email": "Pat.Reporter@example.org"}),
        (SECOND, {"email": "pat.reporter+again@example.org"}),
        (THIRD, None),
    ):
        envelope_id, envelope, _ = sealed_report(contact=contact, **fields)
        ingest_envelope(
            sessions, keyring, rules, envelope_id, envelope, blind_key=settings.blind_index_key
        )
        ids.append(item_id_of(sessions, envelope_id))
    assert len(active_links(sessions)) == 3
    assert tiers(sessions, ids) == ["P3", "P3", "P3"]  # two reporters, not three


def test_items_of_another_unit_are_never_linked(
    sessions, keyring, rules, sealed_report, settings: Settings
) -> None:
    with transaction(sessions) as session:
        admin.add_unit(session, "north", "North")
        admin.add_route(session, "category", "bullying", "north")
    first, second = ingest_all(sessions, keyring, rules, sealed_report, settings, [FIRST, SECOND])
    northern = ingest_all(
        sessions, keyring, rules, sealed_report, settings, [THIRD | {"category": "bullying"}]
    )[0]
    links = active_links(sessions)
    assert set(links) == {frozenset((first, second))}
    with sessions() as session:
        assert session.get(QueueItem, northern).unit_id != session.get(QueueItem, first).unit_id
    assert tiers(sessions, (first, second)) == ["P3", "P3"]


def test_a_link_removed_by_hand_is_not_brought_back(
    sessions, keyring, rules, sealed_report, settings: Settings
) -> None:
    first, second = ingest_all(sessions, keyring, rules, sealed_report, settings, [FIRST, SECOND])
    with transaction(sessions) as session:
        officer = add_officer(session, "olga", PASSWORD, "officer", memory_kib=64)
        unlink_by_hand(
            session,
            session.get(QueueItem, first),
            session.get(QueueItem, second),
            officer,
            utcnow(),
        )
    # The same pair again (a retelling of the second report arrives, naming the same person).
    third = ingest_all(sessions, keyring, rules, sealed_report, settings, [SECOND_RETOLD])[0]
    links = active_links(sessions)
    assert frozenset((first, second)) not in links
    assert {frozenset((first, third)), frozenset((second, third))} <= set(links)
    with sessions() as session:
        removed = session.scalars(select(ItemLink).where(ItemLink.removed_at.is_not(None))).one()
        assert (removed.item_a_id, removed.item_b_id) == (first, second)
        assert [r.other.id for r in links_of(session, session.get(QueueItem, first))] == [third]


def test_overridden_and_closed_items_keep_their_tier(
    sessions, keyring, rules, sealed_report, settings: Settings
) -> None:
    first, second = ingest_all(sessions, keyring, rules, sealed_report, settings, [FIRST, SECOND])
    with transaction(sessions) as session:
        session.get(QueueItem, first).tier_overridden = True
        session.get(QueueItem, second).status = "closed"
    third = ingest_all(sessions, keyring, rules, sealed_report, settings, [THIRD])[0]
    assert tiers(sessions, (first, second, third)) == ["P3", "P3", "P2"]


def test_the_rule_is_configurable_and_reports_items_raised_to_p1(
    sessions, keyring, rules, sealed_report, settings: Settings
) -> None:
    strict = replace(rules, related=RelatedRules(min_reports=2, raise_to="P1"))
    results = []
    for fields in (FIRST, SECOND):
        envelope_id, envelope, document = sealed_report(**fields)
        ingest_envelope(sessions, keyring, rules, envelope_id, envelope)  # not related yet
        with transaction(sessions) as session:
            item = session.get(QueueItem, item_id_of(sessions, envelope_id))
            key = settings.blind_index_key
            results.append(relate_new_item(session, item, document, key, strict, utcnow()))
    first_id, second_id = results[1].linked[0], results[1].raised[-1]
    assert results[0] == RelateResult()
    assert sorted(results[1].raised) == sorted(results[1].raised_to_p1) == [first_id, second_id]
    assert tiers(sessions, (first_id, second_id)) == ["P1", "P1"]


def test_the_intake_worker_links_with_the_configured_key(intake, sealed_report, sessions) -> None:
    ids = []
    for fields in (FIRST, SECOND):
        envelope_id, envelope, _ = sealed_report(**fields)
        assert jobs.store(intake, envelope_id, b64(envelope)) == ACK_STORED
        ids.append(item_id_of(sessions, envelope_id))
    assert active_links(sessions) == {frozenset(ids): ["person"]}
