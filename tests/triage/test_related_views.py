"""Related reports and search in the officers' app, as an officer's browser uses them."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.triage.helpers import csrf_from, ingest_envelope, item_id_of, table_dump
from tipline.db import transaction
from triage import search
from triage.models import AuditEvent, ItemLink, Officer, QueueItem, utcnow
from triage.moves import move_item

NAMED = "Jonathan Q. Smith"


def ingest(sessions, keyring, rules, sealed_report, settings, **fields) -> int:
    envelope_id, envelope, _ = sealed_report(**fields)
    ingest_envelope(
        sessions, keyring, rules, envelope_id, envelope, blind_key=settings.blind_index_key
    )
    return item_id_of(sessions, envelope_id)


def events(sessions, action: str) -> list[AuditEvent]:
    with sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def test_the_item_page_lists_related_reports_and_shows_them_side_by_side(
    logged_in, sessions, keyring, rules, sealed_report, settings
) -> None:
    first = ingest(
        sessions, keyring, rules, sealed_report, settings, subject=NAMED, what_happened="Tall."
    )
    second = ingest(
        sessions,
        keyring,
        rules,
        sealed_report,
        settings,
        subject="smith, jonathan",
        what_happened="Parked behind the gym.",
    )
    page = logged_in.get(f"/items/{first}").get_data(as_text=True)
    assert f'data-related="{second}"' in page
    assert "same person&#39;s name" in page or "same person's name" in page
    assert f"/items/{first}/related/{second}" in page

    before = len(events(sessions, "viewed"))
    side = logged_in.get(f"/items/{first}/related/{second}")
    assert side.status_code == 200
    text = side.get_data(as_text=True)
    assert "Tall." in text and "Parked behind the gym." in text
    assert "Unlink these reports" in text
    viewed = events(sessions, "viewed")[before:]
    assert sorted(e.item_id for e in viewed) == [first, second]


def test_link_by_number_and_unlink_by_hand(
    logged_in, sessions, keyring, rules, sealed_report, settings
) -> None:
    a = ingest(sessions, keyring, rules, sealed_report, settings, what_happened="One thing.")
    b = ingest(sessions, keyring, rules, sealed_report, settings, what_happened="Another.")
    assert 'data-related="' not in logged_in.get(f"/items/{a}").get_data(as_text=True)

    chosen = logged_in.get(f"/items/{a}/related?other=%23{b}")
    assert chosen.status_code == 302
    assert chosen.headers["Location"].endswith(f"/items/{a}/related/{b}")
    side = logged_in.get(f"/items/{a}/related/{b}").get_data(as_text=True)
    assert "Not linked." in side
    # Without a CSRF token nothing changes.
    assert logged_in.post(f"/items/{a}/related/{b}/link").status_code == 400
    linked = logged_in.post(f"/items/{a}/related/{b}/link", data={"csrf_token": csrf_from(side)})
    assert linked.status_code == 303
    page = logged_in.get(f"/items/{b}").get_data(as_text=True)
    assert f'data-related="{a}"' in page and "Linked by hand" in page

    unlinked = logged_in.post(
        f"/items/{b}/related/{a}/unlink", data={"csrf_token": csrf_from(page)}
    )
    assert unlinked.status_code == 303
    page = logged_in.get(f"/items/{a}").get_data(as_text=True)
    assert 'data-related="' not in page
    assert "they will not be linked again automatically" in page
    with sessions() as session:
        link = session.scalars(select(ItemLink)).one()
        alice = session.scalars(select(Officer).where(Officer.username == "alice")).one()
        assert (link.source, link.created_by_id, link.removed_by_id) == (
            "manual",
            alice.id,
            alice.id,
        )
    assert sorted((e.item_id, e.detail["other"]) for e in events(sessions, "linked")) == [
        (a, b),
        (b, a),
    ]
    assert len(events(sessions, "unlinked")) == 2

    # A bad number is a plain message, and the page keeps working.
    bad = logged_in.get(f"/items/{a}/related?other=abc", follow_redirects=True)
    assert "Give the number of another item of your unit" in bad.get_data(as_text=True)


def test_items_of_another_unit_cannot_be_compared_or_linked(
    app, logged_in, sessions, keyring, rules, sealed_report, settings, stranger
) -> None:
    mine = ingest(sessions, keyring, rules, sealed_report, settings, subject=NAMED)
    moved = ingest(sessions, keyring, rules, sealed_report, settings, subject=NAMED)
    with transaction(sessions) as session:
        alice = session.scalars(select(Officer).where(Officer.username == "alice")).one()
        alice.role = "supervisor"
        move_item(session, session.get(QueueItem, moved), alice, "north", "Their area.", utcnow())
    # The automatic link stays in the database but the item page no longer shows it.
    page = logged_in.get(f"/items/{mine}").get_data(as_text=True)
    assert f'data-related="{moved}"' not in page
    token = csrf_from(page)
    denied = len(events(sessions, "access-denied"))
    assert logged_in.get(f"/items/{mine}/related/{moved}").status_code == 404
    assert (
        logged_in.post(
            f"/items/{mine}/related/{moved}/link", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert len(events(sessions, "access-denied")) == denied + 2
    # And the other unit's officer cannot reach this unit's item from theirs.
    assert stranger.get(f"/items/{moved}/related/{mine}").status_code == 404


def search_for(client, words: str, start: str = "", trail: str = ""):
    token = csrf_from(client.get("/search").get_data(as_text=True))
    return client.post(
        "/search", data={"q": words, "start": start, "trail": trail, "csrf_token": token}
    )


def result_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-item="(\d+)"', html)]


def test_search_finds_words_in_sealed_reports_of_the_unit_only(
    logged_in, stranger, sessions, keyring, rules, sealed_report, settings, triage_db_url
) -> None:
    knife = ingest(
        sessions,
        keyring,
        rules,
        sealed_report,
        settings,
        what_happened="He showed a Zebrafish sticker on his KNIVES in the locker room.",
    )
    ingest(sessions, keyring, rules, sealed_report, settings, what_happened="Rude zebra notes.")
    where = ingest(
        sessions,
        keyring,
        rules,
        sealed_report,
        settings,
        what_happened="Threats in the canteen.",
        location="Café Zébra, Main Street",
    )
    html = search_for(logged_in, "zebra").get_data(as_text=True)
    assert result_ids(html) == [where, where - 1, knife]  # newest first
    assert "Where" in html  # says which field held the words
    # Every word must be found; words match the start of words, any case and accents.
    assert result_ids(search_for(logged_in, "zebra locker").get_data(as_text=True)) == [knife]
    assert result_ids(search_for(logged_in, "cafe").get_data(as_text=True)) == [where]
    assert result_ids(search_for(logged_in, "ebra").get_data(as_text=True)) == []
    # Another unit's officer finds nothing of this unit.
    assert result_ids(search_for(stranger, "zebra").get_data(as_text=True)) == []

    searched = events(sessions, "searched")
    assert [e.detail["results"] for e in searched] == [3, 1, 1, 0, 0]
    dump = b"\n".join(table_dump(triage_db_url)).lower()
    assert b"zebra" not in dump and b"knife" not in dump and b"cafe" not in dump


def test_search_explains_a_bad_query_and_keeps_it(logged_in) -> None:
    response = search_for(logged_in, "  ?!  ")
    assert response.status_code == 400
    assert "Type one or more words to search for." in response.get_data(as_text=True)
    words = " ".join(f"word{n}" for n in range(11))
    long = search_for(logged_in, words)
    assert long.status_code == 400
    assert "at most 10 words" in long.get_data(as_text=True)
    assert f'value="{words}"' in long.get_data(as_text=True)


def test_search_pages_older_and_newer(
    logged_in, sessions, keyring, rules, sealed_report, settings
) -> None:
    ids = [
        ingest(sessions, keyring, rules, sealed_report, settings, what_happened=f"Graffiti {n}.")
        for n in range(search.PAGE_SIZE + 2)
    ]
    ingest(sessions, keyring, rules, sealed_report, settings, what_happened="Something else.")
    newest_first = sorted(ids, reverse=True)
    first = search_for(logged_in, "graffiti").get_data(as_text=True)
    assert result_ids(first) == newest_first[: search.PAGE_SIZE]
    assert "Newer" not in first
    start = re.search(r'name="start" value="(\d+)"', first.split("Older")[0].rsplit("<form", 1)[1])
    assert start is not None
    second = search_for(logged_in, "graffiti", start.group(1), "top").get_data(as_text=True)
    assert result_ids(second) == newest_first[search.PAGE_SIZE :]
    assert "Older" not in second and "Newer" in second


def test_one_request_opens_at_most_the_scan_limit(
    sessions, keyring, rules, sealed_report, settings, officer
) -> None:
    ids = [
        ingest(sessions, keyring, rules, sealed_report, settings, what_happened=f"Note {n}.")
        for n in range(5)
    ]
    with transaction(sessions) as session:
        alice = session.scalars(select(Officer).where(Officer.username == officer)).one()
        page = search.search(session, alice, keyring, "graffiti", scan_limit=3)
        assert (page.hits, page.scanned, page.capped) == ([], 3, True)
        assert page.next_start == ids[1]  # go on from the fourth newest
        rest = search.search(session, alice, keyring, "note", start=page.next_start, page_size=1)
        assert [h.item.id for h in rest.hits] == [ids[1]]
        assert rest.next_start == ids[0] and not rest.capped
