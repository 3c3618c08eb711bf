"""Delivering notifications: console by default, email over a real SMTP server, the SMS
gateway, retries with back-off then failed (and shown to officers), delivery by the RQ job."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from tests.triage.alerts_helpers import CANARY, add_contacts, ingest_p1
from tests.triage.helpers import login
from tipline.queue_contract import INTAKE_ALLOWLIST, INTAKE_QUEUE
from tipline.workers import make_worker
from triage import scheduler
from triage.models import AuditEvent, Notification
from triage.notify import outbox


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd handler hook
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"tipline" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    inbox.port = controller.port
    inbox.logins = logins
    yield inbox
    controller.stop()


def notifications(sessions) -> list[Notification]:
    with sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.created_at)))


def test_console_is_the_default_and_carries_no_content(
    sessions, keyring, rules, sealed_report, settings, caplog
) -> None:
    caplog.set_level(logging.INFO)
    add_contacts(
        sessions,
        "default",
        ("Duty", "email", "duty@unit.example"),
        ("Cell", "phone", "+1 555 0100"),
    )
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    assert not settings.smtp_host and not settings.sms_webhook_url
    scheduler.tick(sessions, settings, datetime.now(UTC))
    lines = [r.getMessage() for r in caplog.records if r.name == "triage.notify"]
    consoles = [line for line in lines if line.startswith("NOTIFICATION (console: no SMTP host)")]
    assert len(consoles) == 1
    assert f"item #{item_id}" in consoles[0] and "tier P1" in consoles[0]
    assert f"{settings.triage_url}/items/{item_id}" in consoles[0]
    assert f"{settings.triage_url}/ack/" in consoles[0]
    assert [n.status for n in notifications(sessions)] == ["sent"]
    assert not any(CANARY in r.getMessage() for r in caplog.records)


def test_email_over_smtp_with_login(
    sessions, keyring, rules, sealed_report, make_settings, smtp_server
) -> None:
    settings = make_settings(
        TIPLINE_SMTP_HOST="127.0.0.1",
        TIPLINE_SMTP_PORT=str(smtp_server.port),
        TIPLINE_SMTP_STARTTLS="false",
        TIPLINE_SMTP_USERNAME="tipline",
        TIPLINE_SMTP_PASSWORD="s3cret",
        TIPLINE_SMTP_FROM="alerts@tipline.example",
    )
    add_contacts(sessions, "default", ("Duty", "email", "duty@unit.example"))
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    scheduler.tick(sessions, settings, datetime.now(UTC))
    (sender, recipients, content) = smtp_server.messages[0]
    assert len(smtp_server.messages) == 1
    assert smtp_server.logins == [(b"tipline", b"s3cret")]
    assert sender == "alerts@tipline.example" and recipients == ["duty@unit.example"]
    email = message_from_bytes(content)
    assert email["Subject"] == f"[Tipline P1] Life-safety report: acknowledge now: item #{item_id}"
    body = email.get_payload(decode=True).decode()
    assert f"{settings.triage_url}/items/{item_id}" in body
    assert f"{settings.triage_url}/ack/" in body
    assert CANARY not in content.decode() and "gun" not in content.decode()
    assert [n.status for n in notifications(sessions)] == ["sent"]


def test_a_refused_smtp_login_fails_the_notification(
    sessions, keyring, rules, sealed_report, make_settings, smtp_server
) -> None:
    settings = make_settings(
        TIPLINE_SMTP_HOST="127.0.0.1",
        TIPLINE_SMTP_PORT=str(smtp_server.port),
        TIPLINE_SMTP_STARTTLS="false",
        TIPLINE_SMTP_USERNAME="tipline",
        TIPLINE_SMTP_PASSWORD="wrong",
        TIPLINE_NOTIFY_MAX_ATTEMPTS="1",
    )
    add_contacts(sessions, "default", ("Duty", "email", "duty@unit.example"))
    ingest_p1(sessions, keyring, rules, sealed_report, settings)
    scheduler.tick(sessions, settings, datetime.now(UTC))
    (notification,) = notifications(sessions)
    assert notification.status == "failed" and notification.last_error.startswith("SMTP")
    assert "s3cret" not in notification.last_error and "wrong" not in notification.last_error
    assert smtp_server.messages == []


def test_phone_contacts_go_through_the_sms_gateway(
    sessions, keyring, rules, sealed_report, make_settings, receiver
) -> None:
    settings = make_settings(TIPLINE_SMS_WEBHOOK_URL=f"{receiver.url}/sms")
    add_contacts(sessions, "default", ("Cell", "phone", "+1 555 0100"))
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    scheduler.tick(sessions, settings, datetime.now(UTC))
    (sms,) = receiver.to("/sms")
    assert sms.json["to"] == "+1 555 0100"
    assert sms.json["text"].startswith(
        f"Tipline P1: Life-safety report: acknowledge now, item #{item_id}."
    )
    assert f"{settings.triage_url}/ack/" in sms.json["text"]
    assert CANARY not in sms.body.decode()
    assert "x-tipline-signature" in {k.lower() for k in sms.headers}


def test_failures_are_retried_with_back_off_then_marked_failed(
    app, sessions, keyring, rules, sealed_report, make_settings, receiver, officer
) -> None:
    settings = make_settings(TIPLINE_NOTIFY_MAX_ATTEMPTS="3")
    receiver.status = 503
    add_contacts(sessions, "default", ("Dispatch", "webhook", f"{receiver.url}/dispatch"))
    item_id = ingest_p1(sessions, keyring, rules, sealed_report, settings)
    start = datetime.now(UTC)
    attempts = lambda: len(receiver.to("/dispatch"))  # noqa: E731

    assert outbox.deliver_due(sessions, settings, start) == 0
    assert attempts() == 1
    (notification,) = notifications(sessions)
    assert notification.status == "pending" and notification.last_error == "HTTP 503"
    assert notification.next_attempt_at == start + timedelta(seconds=30)
    # Not before the back-off is over.
    outbox.deliver_due(sessions, settings, start + timedelta(seconds=29))
    assert attempts() == 1
    outbox.deliver_due(sessions, settings, start + timedelta(seconds=30))
    assert attempts() == 2
    (notification,) = notifications(sessions)
    assert notification.next_attempt_at == start + timedelta(seconds=90)  # then 60 s more
    outbox.deliver_due(sessions, settings, start + timedelta(seconds=89))
    assert attempts() == 2
    outbox.deliver_due(sessions, settings, start + timedelta(seconds=90))
    assert attempts() == 3
    (notification,) = notifications(sessions)
    assert (notification.status, notification.attempts) == ("failed", 3)
    # Failed is final.
    outbox.deliver_due(sessions, settings, start + timedelta(days=1))
    assert attempts() == 3
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "notification-failed")
        ).one()
        assert event.item_id == item_id and event.detail["error"] == "HTTP 503"
    # Officers see it on the item's page.
    client = app.test_client()
    login(client, officer)
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Notifications that could not be delivered" in page
    assert "3 attempts, last error: HTTP 503" in page


def test_a_recovered_receiver_gets_the_retry(
    sessions, keyring, rules, sealed_report, settings, receiver
) -> None:
    receiver.status = 500
    add_contacts(sessions, "default", ("Dispatch", "webhook", f"{receiver.url}/dispatch"))
    ingest_p1(sessions, keyring, rules, sealed_report, settings)
    start = datetime.now(UTC)
    outbox.deliver_due(sessions, settings, start)
    receiver.status = 204
    assert outbox.deliver_due(sessions, settings, start + timedelta(seconds=30)) == 1
    (first, second) = receiver.to("/dispatch")
    assert first.json == second.json  # the same notice, the same delivery id
    (notification,) = notifications(sessions)
    assert (notification.status, notification.attempts, notification.last_error) == (
        "sent",
        2,
        None,
    )


def test_the_intake_job_pages_right_after_commit(
    intake, sealed_report, receiver, sessions, redis_conn
) -> None:
    """The real intake worker: the ingest job commits the item and its page, then enqueues the
    delivery job, which sends it (no scheduler involved)."""
    from tipline.queue_contract import enqueue_ingest

    add_contacts(sessions, "default", ("Dispatch", "webhook", f"{receiver.url}/dispatch"))
    envelope_id, envelope, _ = sealed_report(
        what_happened=f"He will bring a gun to school. {CANARY}",
        category="threat_of_violence",
        weapons_access="yes",
    )
    enqueue_ingest(intake.redis, envelope_id, envelope)
    make_worker([INTAKE_QUEUE], INTAKE_ALLOWLIST, intake.redis).work(burst=True)
    (page,) = receiver.to("/dispatch")
    assert page.json["kind"] == "life_safety" and page.json["tier"] == "P1"
    assert [n.status for n in notifications(sessions)] == ["sent"]


def test_concurrent_senders_send_a_notification_once(
    sessions, keyring, rules, sealed_report, settings, receiver, triage_db_url
) -> None:
    import threading

    from tipline.db import make_engine
    from triage.audit import triage_sessions

    add_contacts(sessions, "default", ("Dispatch", "webhook", f"{receiver.url}/dispatch"))
    ingest_p1(sessions, keyring, rules, sealed_report, settings)
    (notification,) = notifications(sessions)
    now = datetime.now(UTC)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def send() -> None:
        engine = make_engine(triage_db_url)
        try:
            barrier.wait()
            outcomes.append(
                outbox.deliver_one(
                    triage_sessions(engine, settings), settings, notification.id, now
                )
            )
        finally:
            engine.dispose()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == [outbox.SENT] + [outbox.SKIPPED] * 3
    assert len(receiver.to("/dispatch")) == 1
