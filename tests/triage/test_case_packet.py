"""The case packet: the report, the conversation, linked reports and the decision trail, as
JSON and as a printable page; only for the item's unit; every view and download audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from tests.triage.conftest import other_unit, reply_to_for
from tests.triage.helpers import ingest_envelope, item_id_of, post_message
from tests.triage.test_workflow_views import post
from tipline.db import transaction
from triage.models import AuditEvent, ItemLink, QueueItem


def ingested(sessions, keyring, rules, sealed_report, **report) -> tuple[str, int]:
    envelope_id, envelope, _ = sealed_report(**report)
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    return envelope_id, item_id_of(sessions, envelope_id)


def link(sessions, a: int, b: int, removed: bool = False) -> None:
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        session.add(
            ItemLink(
                item_a_id=min(a, b),
                item_b_id=max(a, b),
                source="auto",
                reasons=["handle"],
                created_at=now,
                removed_at=now if removed else None,
            )
        )


def test_the_packet_holds_report_conversation_links_and_trail(
    logged_in,
    stranger,
    sessions,
    keyring,
    rules,
    sealed_report,
    sealed_reply,
    reporter_key,
) -> None:
    envelope_id, item_id = ingested(
        sessions,
        keyring,
        rules,
        sealed_report,
        what_happened="He posted a countdown and a photo of a rifle.",
        reply_to=reply_to_for(reporter_key),
    )
    _, linked_id = ingested(
        sessions, keyring, rules, sealed_report, what_happened="Same account, new countdown."
    )
    _, unlinked_id = ingested(
        sessions, keyring, rules, sealed_report, what_happened="A link someone removed."
    )
    _, elsewhere_id = ingested(
        sessions, keyring, rules, sealed_report, what_happened="Another unit's report."
    )
    with transaction(sessions) as session:
        session.get(QueueItem, elsewhere_id).unit_id = other_unit(session, "north").id
    link(sessions, item_id, linked_id)
    link(sessions, item_id, unlinked_id, removed=True)
    link(sessions, item_id, elsewhere_id)
    assert post_message(logged_in, item_id, "Which account posted it?").status_code == 303
    reply_id, reply, _ = sealed_reply(envelope_id, text="The account is called countdown_kid.")
    ingest_envelope(sessions, keyring, rules, reply_id, reply)
    page = f"/items/{item_id}"
    assert post(logged_in, page, f"{page}/claim").status_code == 303
    response = post(
        logged_in,
        page,
        f"{page}/dispositions/open_case",
        {"open_case-note": "Case opened: countdown with a date and access to a rifle."},
    )
    assert response.status_code == 303

    response = logged_in.get(f"{page}/case-packet.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    packet = json.loads(response.get_data(as_text=True))
    assert packet["schema"] == "tipline.case-packet/1"
    assert packet["item"]["id"] == item_id and packet["item"]["disposition"] == "open_case"
    fields = {f["label"]: f["value"] for f in packet["report"]["fields"]}
    assert fields["What happened"] == "He posted a countdown and a photo of a rifle."
    assert [(m["direction"], m["text"]) for m in packet["conversation"]] == [
        ("to_reporter", "Which account posted it?"),
        ("from_reporter", "The account is called countdown_kid."),
    ]
    assert [entry["item"]["id"] for entry in packet["linked_reports"]] == [linked_id]
    linked_fields = {
        f["label"]: f["value"] for f in packet["linked_reports"][0]["report"]["fields"]
    }
    assert linked_fields["What happened"] == "Same account, new countdown."
    assert packet["linked_reports"][0]["link"]["reasons"] == ["handle"]
    (decision,) = packet["decisions"]
    assert decision["disposition"] == "open_case" and decision["officer"] == "alice"
    assert decision["note"] == "Case opened: countdown with a date and access to a rifle."
    assert [e["action"] for e in packet["trail"]] == [
        "ingested",
        "claimed",
        "claim-released",
        "decided",
    ]
    assert packet["trail"][2]["detail"]["holder"] == "alice"

    response = logged_in.get(f"{page}/case-packet")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in (
        "He posted a countdown and a photo of a rifle.",
        "The account is called countdown_kid.",
        "Same account, new countdown.",
        "Case opened: countdown with a date and access to a rifle.",
    ):
        assert text in html
    assert "A link someone removed." not in html and "Another unit" not in html
    assert "triage.css" in html  # the print layout lives in the stylesheet

    assert stranger.get(f"{page}/case-packet").status_code == 404
    assert stranger.get(f"{page}/case-packet.json").status_code == 404
    with sessions() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("case-packet-%"))
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.detail) for e in events] == [
            ("case-packet-downloaded", {"format": "json", "linked": [linked_id]}),
            ("case-packet-viewed", {"format": "html", "linked": [linked_id]}),
        ]
        denied = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access-denied")
        ).all()
        assert len(denied) == 2 and {e.item_id for e in denied} == {item_id}
