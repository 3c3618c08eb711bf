"""What a working day leaves in the audit log: a walkthrough through the officers' app records
every view, download, message, refusal and failed login, with small details and no content,
and the chain the app and the intake wrote verifies with the app's key."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.triage.conftest import reply_to_for, sealed_file
from tests.triage.helpers import PASSWORD, ingest_envelope, item_id_of, login, post_message
from tipline.db import transaction
from triage import files
from triage.audit_verify import verify
from triage.models import AuditEvent, utcnow
from triage.officers import add_officer

NARRATIVE = "markernarrative the person of concern said something at markerplace"


def test_a_walkthrough_records_every_audited_action(
    app, client, sessions, settings, keyring, rules, sealed_report, reporter_key, add_item
) -> None:
    descriptor, sealed = sealed_file(b"markerfile bytes of a photo")
    envelope_id, envelope, _ = sealed_report(
        what_happened=NARRATIVE, reply_to=reply_to_for(reporter_key), attachments=[descriptor]
    )
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    item = item_id_of(sessions, envelope_id)
    with transaction(sessions) as session:
        files.store(session, descriptor["id"], sealed, utcnow(), 10**8)
        add_officer(session, "walker", PASSWORD, "officer", memory_kib=64)
    elsewhere = add_item(unit_slug="north")

    login(client, "walker", "not the password at all")
    assert login(client, "walker").status_code == 302
    assert client.get(f"/items/{item}").status_code == 200
    assert client.get(f"/items/{item}/attachments/{descriptor['id']}").status_code == 200
    assert post_message(client, item, "markerquestion Which school?").status_code == 303
    assert client.get(f"/items/{elsewhere}").status_code == 404
    assert client.get("/dashboard").status_code == 403
    assert client.get("/audit").status_code == 403

    with sessions() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        actions = [e.action for e in events]
        for action in (
            "ingested",
            "login-failed",
            "login",
            "viewed",
            "attachment-downloaded",
            "message-sent",
            "access-denied",
        ):
            assert action in actions, action
        denied = [e for e in events if e.action == "access-denied"]
        assert [(e.item_id, e.detail.get("endpoint")) for e in denied] == [
            (elsewhere, None),
            (None, "dashboard.index"),
            (None, "audit.index"),
        ]
        # Small details, never content.
        dump = json.dumps([e.detail for e in events])
        for marker in ("markernarrative", "markerplace", "markerfile", "markerquestion"):
            assert marker not in dump
        assert settings.audit_key
        report = verify(session, settings.audit_key)
    assert report.ok, report.problems
    assert report.checked == len(events)
