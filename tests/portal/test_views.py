"""The report form over the test client, as a browser with JavaScript off uses it."""

from __future__ import annotations

import json

from redis import Redis
from rq.serializers import JSONSerializer

from tests.portal.conftest import VALID_REPORT, Reporter, csrf_token, receipt_code_on
from tipline import keys
from tipline.envelope import Purpose, open_envelope
from tipline.queue_contract import INTAKE_QUEUE, queue, unb64
from tipline.report_schema import SCHEMA_ID


def open_report(sealed: bytes, unit_key_dirs) -> dict:
    keyring = keys.load_private_keys(unit_key_dirs["private"])
    return json.loads(open_envelope(sealed, keyring, Purpose.REPORT))


def test_landing_page_says_what_this_is_and_to_call_911(client):
    page = client.get("/").get_data(as_text=True)
    assert "call 911" in page
    assert 'href="/report"' in page


def test_form_renders_every_field_and_a_csrf_token(reporter: Reporter):
    page = reporter.form_page()
    assert csrf_token(page)
    for name in VALID_REPORT:
        assert f'name="{name}"' in page, name
    assert "<script" not in page
    assert "call 911" in page


def test_valid_report_is_sealed_stored_once_and_queued(
    reporter: Reporter, rows, redis_conn: Redis, unit_key_dirs
):
    response = reporter.submit()
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    code = receipt_code_on(page)
    assert "Write this code down" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert code not in response.headers.get("Set-Cookie", "")

    [envelope] = rows.outbox()
    [receipt] = rows.receipts()
    assert receipt.envelope_id == envelope.id
    assert envelope.enqueue_count == 1 and envelope.last_enqueued_at is not None
    assert envelope.acked_at is None

    document = open_report(envelope.envelope, unit_key_dirs)
    assert document["schema"] == SCHEMA_ID
    assert document["envelope_id"] == envelope.id
    assert document["channel"] == "web"
    assert document["contact"] is None
    assert document["reply_to"]["lookup_id"] == receipt.lookup_id
    expected = {k: v for k, v in VALID_REPORT.items() if not k.startswith("contact")}
    assert document["report"] == expected

    jobs = queue(INTAKE_QUEUE, redis_conn).get_jobs()
    assert [job.id for job in jobs] == [f"ingest-{envelope.id}-0"]
    assert jobs[0].args[0] == envelope.id
    assert unb64(jobs[0].args[1]) == envelope.envelope
    assert code.encode() not in b"".join(
        redis_conn.dump(key) or b"" for key in redis_conn.keys("*")
    )


def test_contact_details_are_sealed_with_the_report(reporter: Reporter, rows, unit_key_dirs):
    response = reporter.submit(
        contact_choice="share",
        contact_name="Sam",
        contact_email="sam@example.org",
        contact_phone="",
    )
    assert response.status_code == 200
    [envelope] = rows.outbox()
    assert b"sam@example.org" not in envelope.envelope
    document = open_report(envelope.envelope, unit_key_dirs)
    assert document["contact"] == {"name": "Sam", "email": "sam@example.org", "phone": ""}


def test_anonymous_report_drops_contact_fields_typed_anyway(
    reporter: Reporter, rows, unit_key_dirs
):
    response = reporter.submit(contact_choice="anonymous", contact_email="sam@example.org")
    assert response.status_code == 200
    [envelope] = rows.outbox()
    assert open_report(envelope.envelope, unit_key_dirs)["contact"] is None


def test_danger_now_tells_them_to_call_911_and_still_takes_the_report(reporter: Reporter, rows):
    response = reporter.submit(danger_now="yes")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Call 911 now" in page
    receipt_code_on(page)
    assert len(rows.outbox()) == 1


def test_missing_narrative_keeps_what_was_typed_and_stores_nothing(
    reporter: Reporter, rows, redis_conn
):
    response = reporter.submit(what_happened="   ", subject="Typed subject stays")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please tell us what happened" in page
    assert 'value="Typed subject stays"' in page
    assert 'aria-describedby="what_happened-hint what_happened-error"' in page
    assert rows.outbox() == [] and rows.receipts() == []
    assert queue(INTAKE_QUEUE, redis_conn).count == 0


def test_share_contact_without_email_or_phone_is_refused_with_a_plain_message(
    reporter: Reporter, rows
):
    response = reporter.submit(contact_choice="share", contact_name="Sam")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "add an email address or a phone number" in page
    assert 'value="Sam"' in page
    assert "He said he would bring a knife" in page  # the narrative is still there
    assert rows.outbox() == []


def test_bad_email_and_phone_formats_are_refused(reporter: Reporter, rows):
    response = reporter.submit(
        contact_choice="share", contact_email="not-an-email", contact_phone="call me maybe"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "does not look like an email address" in page
    assert "Please enter a phone number" in page
    assert 'value="not-an-email"' in page
    assert rows.outbox() == []


def test_phone_only_contact_is_accepted(reporter: Reporter, rows):
    response = reporter.submit(contact_choice="share", contact_phone="+1 (555) 123-4567")
    assert response.status_code == 200
    assert len(rows.outbox()) == 1


def test_over_long_text_is_refused_and_kept(reporter: Reporter, rows):
    long_text = "x" * 5001
    response = reporter.submit(what_happened=long_text)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please shorten this to 5,000 characters or fewer." in page
    assert long_text in page
    assert rows.outbox() == []


def test_invalid_choice_values_are_refused(reporter: Reporter, rows):
    for field, value in [
        ("category", "arson"),
        ("danger_now", "maybe"),
        ("location_type", "moon"),
        ("how_known", "psychic"),
        ("contact_choice", "both"),
    ]:
        response = reporter.submit(**{field: value})
        assert response.status_code == 422, field
        assert "Please choose" in response.get_data(as_text=True)
    assert rows.outbox() == []


def test_missing_radio_answers_default_to_not_sure(reporter: Reporter, rows, unit_key_dirs):
    token = csrf_token(reporter.form_page())
    data = {k: v for k, v in VALID_REPORT.items() if k not in ("danger_now", "weapons_access")}
    response = reporter.client.post("/report", data=data | {"csrf_token": token})
    assert response.status_code == 200
    report = open_report(rows.outbox()[0].envelope, unit_key_dirs)["report"]
    assert report["danger_now"] == report["weapons_access"] == "unsure"


def test_missing_csrf_token_is_refused_and_nothing_stored(client, rows):
    client.get("/report")
    response = client.post("/report", data=VALID_REPORT)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert rows.outbox() == []


def test_every_report_gets_a_different_receipt(reporter: Reporter, rows):
    first = receipt_code_on(reporter.submit().get_data(as_text=True))
    second = receipt_code_on(reporter.submit().get_data(as_text=True))
    assert first != second
    assert len({r.lookup_id for r in rows.receipts()}) == 2


def test_jobs_use_json_only(reporter: Reporter, redis_conn):
    reporter.submit()
    [job] = queue(INTAKE_QUEUE, redis_conn).get_jobs()
    assert job.serializer is JSONSerializer or job.serializer == JSONSerializer
