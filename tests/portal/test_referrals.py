"""Referrals from schools and employers over the test client, with and without a link token."""

from __future__ import annotations

import json

from tests.portal.conftest import (
    LINCOLN_TOKEN,
    VALID_REFERRAL,
    Follower,
    Referrer,
    csrf_token,
    receipt_code_on,
)
from tests.portal.media import PDF
from tests.portal.test_ratelimit import limited_reporter
from tipline import keys, referral_schema
from tipline.envelope import Purpose, open_envelope
from tipline.queue_contract import INGEST_ENVELOPE, INTAKE_QUEUE, queue, unb64


def committed_referral(rows, redis_conn, unit_key_dirs) -> dict:
    """The one referral in the outbox, opened with the unit's key and validated; also checks
    that it was put on the intake queue and has its receipt."""
    [envelope] = rows.outbox()
    [receipt] = rows.receipts()
    assert envelope.purpose == "referral" and receipt.envelope_id == envelope.id
    [job] = [
        job
        for job in queue(INTAKE_QUEUE, redis_conn).get_jobs()
        if job.func_name == INGEST_ENVELOPE
    ]
    assert job.args[0] == envelope.id and unb64(job.args[1]) == envelope.envelope
    keyring = keys.load_private_keys(unit_key_dirs["private"])
    document = referral_schema.decode(open_envelope(envelope.envelope, keyring, Purpose.REPORT))
    assert document["envelope_id"] == envelope.id
    assert document["reply_to"]["lookup_id"] == receipt.lookup_id
    return document


def test_landing_and_report_pages_lead_to_the_referral_form(client):
    assert "Filing for a school or employer?" in client.get("/").get_data(as_text=True)
    assert 'href="/refer"' in client.get("/").get_data(as_text=True)
    assert 'href="/refer"' in client.get("/report").get_data(as_text=True)


def test_the_form_has_every_field_and_the_checklist(stored_directory, referrer: Referrer):
    page = referrer.form_page()
    for name in [*VALID_REFERRAL, "files"]:
        assert f'name="{name}"' in page, name
    for value, label in referral_schema.BEHAVIORS.items():
        assert f'type="checkbox" value="{value}"' in page and label in page
    assert "<script" not in page
    assert "call 911" in page


def test_an_organization_link_greets_it_and_the_token_goes_into_the_referral(
    stored_directory, referrer: Referrer, rows, redis_conn, unit_key_dirs
):
    page = referrer.form_page(LINCOLN_TOKEN)
    assert "<h1>Referral for Lincoln High School</h1>" in page
    assert 'name="filer_organization" type="text" value="Lincoln High School"' in page
    assert f'action="/refer/{LINCOLN_TOKEN}"' in page

    response = referrer.submit(LINCOLN_TOKEN, filer_organization="Lincoln High School")
    assert response.status_code == 200
    assert "Your referral was received." in response.get_data(as_text=True)
    receipt_code_on(response.get_data(as_text=True))

    document = committed_referral(rows, redis_conn, unit_key_dirs)
    assert document["referral_token"] == LINCOLN_TOKEN
    assert document["filer"] == {
        "name": "Dana Whitfield",
        "role": "School counselor",
        "organization_id": "lincoln-high",
        "email": "dwhitfield@lincoln.example.org",
    }
    referral = document["referral"]
    assert referral["behaviors"] == ["threats_communicated", "planning"]
    assert referral["relation"] == "counselor" and referral["urgency"] == "today"
    assert referral["actions_taken"] == "Met with the student and called his parents."


def test_an_unknown_token_still_gets_a_working_form_and_is_passed_on(
    stored_directory, referrer: Referrer, rows, redis_conn, unit_key_dirs
):
    token = "zz-old-link-Zx81kLmN0pQ2rS3tUvWx"
    page = referrer.form_page(token)
    assert "<h1>Make a referral</h1>" in page
    for alarming in ("invalid", "not valid", "expired", "revoked", "unknown"):
        assert alarming not in page.lower(), alarming

    response = referrer.submit(token, filer_organization="Northgate Charter Academy")
    assert response.status_code == 200
    document = committed_referral(rows, redis_conn, unit_key_dirs)
    assert document["referral_token"] == token
    assert document["filer"]["organization_name"] == "Northgate Charter Academy"
    assert "organization_id" not in document["filer"]


def test_without_a_token_the_filer_picks_their_organization(
    stored_directory, referrer: Referrer, rows, redis_conn, unit_key_dirs
):
    page = referrer.form_page()
    assert '<datalist id="filer_organization-list">' in page
    response = referrer.submit(
        filer_organization="acme logistics", filer_email="", filer_phone="555 201 7788"
    )
    assert response.status_code == 200
    document = committed_referral(rows, redis_conn, unit_key_dirs)
    assert document["referral_token"] is None
    assert document["filer"]["organization_id"] == "acme-logistics"
    assert document["filer"]["phone"] == "555 201 7788" and "email" not in document["filer"]


def test_an_over_long_token_cannot_be_anyones_and_is_sent_as_none(
    referrer: Referrer, rows, redis_conn, unit_key_dirs
):
    token = "t" * 101
    assert referrer.submit(token).status_code == 200
    assert committed_referral(rows, redis_conn, unit_key_dirs)["referral_token"] is None


def test_a_filer_who_cannot_be_reached_is_asked_for_email_or_phone(
    referrer: Referrer, rows, redis_conn
):
    response = referrer.submit(
        LINCOLN_TOKEN, filer_email="", filer_phone="", what_happened="Kept words 8812"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please add an email address or a phone number" in page
    assert "Kept words 8812" in page and 'value="Dana Whitfield"' in page
    assert 'checked id="behaviors-0"' in page  # ticked boxes stay ticked
    assert 'checked id="behaviors-1"' not in page
    assert rows.outbox() == [] and rows.receipts() == []
    assert queue(INTAKE_QUEUE, redis_conn).count == 0


def test_bad_choices_are_refused_and_nothing_is_stored(referrer: Referrer, rows):
    for fields in [
        {"behaviors": ["threats_communicated", "mind_control"]},
        {"urgency": "whenever"},
        {"urgency": ""},
        {"relation": "neighbor"},
        {"category": "arson"},
        {"filer_email": "not-an-email"},
        {"filer_name": ""},
        {"filer_role": ""},
        {"what_happened": "   "},
    ]:
        response = referrer.submit(**fields)
        assert response.status_code == 422, fields
        assert "Please" in response.get_data(as_text=True)
    assert rows.outbox() == []


def test_over_long_fields_are_refused_and_kept(referrer: Referrer, rows):
    limits = referral_schema.REFERRAL_LIMITS
    for field in ("filer_name", "filer_role", "filer_organization", "actions_taken"):
        typed = "w" * (limits[field] + 1)
        response = referrer.submit(**{field: typed})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, field
        assert f"Please shorten this to {limits[field]:,} characters or fewer." in page
        assert typed in page
    assert rows.outbox() == []


def test_emergency_urgency_says_call_911_and_still_takes_the_referral(
    referrer: Referrer, rows, redis_conn, unit_key_dirs
):
    response = referrer.submit(urgency="emergency")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Call 911 now" in page and 'href="tel:911"' in page
    receipt_code_on(page)
    assert committed_referral(rows, redis_conn, unit_key_dirs)["referral"]["urgency"] == (
        "emergency"
    )


def test_a_routine_referral_does_not_say_call_911_now(referrer: Referrer):
    page = referrer.submit(urgency="routine").get_data(as_text=True)
    assert "Call 911 now" not in page


def test_a_referral_without_csrf_token_is_refused(client, rows):
    client.get("/refer")
    response = client.post(f"/refer/{LINCOLN_TOKEN}", data=VALID_REFERRAL)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert rows.outbox() == []


def test_files_go_with_the_referral(referrer: Referrer, rows, redis_conn, unit_key_dirs):
    response = referrer.submit(files=[(PDF, "incident-report.pdf")])
    assert response.status_code == 200
    assert "incident-report.pdf" in response.get_data(as_text=True)
    [attachment] = rows.attachments()
    [described] = committed_referral(rows, redis_conn, unit_key_dirs)["attachments"]
    assert described["id"] == attachment.id and described["name"] == "incident-report.pdf"


def test_the_filer_follows_up_with_the_receipt_code(referrer: Referrer, follower: Follower):
    code = receipt_code_on(referrer.submit().get_data(as_text=True))
    response = follower.sign_in(code)
    assert response.status_code == 303
    assert follower.mailbox().status_code == 200


def test_referrals_have_their_own_rate_limit_counter(make_settings, client_factory, rows):
    reporter = limited_reporter(make_settings, client_factory)  # 2 per minute
    referrer = Referrer(reporter.client)
    assert reporter.submit().status_code == 200
    assert reporter.submit().status_code == 200
    assert reporter.submit().status_code == 429
    assert referrer.submit().status_code == 200  # reports did not use up the referrals
    assert referrer.submit().status_code == 200
    response = referrer.submit(LINCOLN_TOKEN, what_happened="Third referral, keep these words.")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Third referral, keep these words." in page
    assert csrf_token(page)  # the form is there to send again
    assert len(rows.outbox()) == 4


def test_the_referral_document_has_no_unexpected_fields(
    referrer: Referrer, rows, redis_conn, unit_key_dirs
):
    referrer.submit()
    document = committed_referral(rows, redis_conn, unit_key_dirs)
    assert json.loads(json.dumps(document))["schema"] == "tipline.referral/1"
    assert set(document) == {
        "schema",
        "kind",
        "envelope_id",
        "submitted_at",
        "channel",
        "referral_token",
        "filer",
        "referral",
        "reply_to",
    }
