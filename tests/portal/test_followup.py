"""Coming back with a receipt code: sign in, wrong and expired codes, rate limits, sessions."""

from __future__ import annotations

import base64
import time
from datetime import timedelta

import portal.worker
from portal.followup import FollowUpService, SignInOutcome
from portal.models import Receipt
from portal.receipts import ReceiptDeriver
from portal.reporter_sessions import KEY_PREFIX, ReporterSessions
from tests.portal.conftest import Follower, Reporter, csrf_token, receipt_code_on
from tests.portal.test_ratelimit import everything_in
from tipline.db import transaction

ADDRESS = "203.0.113.9"


def submit_report(reporter: Reporter) -> str:
    response = reporter.submit()
    assert response.status_code == 200
    return receipt_code_on(response.get_data(as_text=True))


def wrong_code_for(code: str) -> str:
    return code[:-1] + ("1" if code[-1] == "0" else "0")


def derive(settings, code: str):
    return ReceiptDeriver(
        settings.receipt_pepper,
        memory_kib=settings.receipt_argon2_memory_kib,
        iterations=settings.receipt_argon2_iterations,
    ).derive(code)


def text_of(response) -> str:
    """The page's text with whitespace collapsed, as a person reads it."""
    return " ".join(response.get_data(as_text=True).split())


def age_receipts(sessions, days: int) -> None:
    with transaction(sessions) as session:
        for receipt in session.query(Receipt):
            receipt.last_activity_at -= timedelta(days=days)


def test_right_code_opens_the_mailbox(reporter: Reporter, follower: Follower, rows):
    code = submit_report(reporter)
    before = rows.receipts()[0].last_activity_at
    response = follower.sign_in(code.replace("-", " "))  # spacing does not matter
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/follow-up/mailbox")
    page = follower.mailbox().get_data(as_text=True)
    assert "Where it stands" in page and "Received" in page
    assert "No messages yet" in page
    assert 'name="text"' in page and 'name="files"' in page  # the reply form
    assert rows.receipts()[0].last_activity_at > before  # signing in is activity


def test_wrong_and_malformed_codes_are_told_plainly(reporter: Reporter, follower: Follower):
    code = submit_report(reporter)
    wrong = follower.sign_in(wrong_code_for(code))
    assert wrong.status_code == 422
    assert "We could not find a report with that code" in wrong.get_data(as_text=True)
    assert follower.session_cookie() is None
    malformed = follower.sign_in("1234-5678")
    assert malformed.status_code == 422
    assert "7 groups of 4 digits" in malformed.get_data(as_text=True)
    empty = follower.sign_in("")
    assert empty.status_code == 422
    assert "type the receipt code" in empty.get_data(as_text=True)
    assert follower.sign_in(code).status_code == 303  # the right code still works


def test_expired_code_is_told_plainly_after_the_purge(
    settings, reporter: Reporter, follower: Follower, rows, sessions
):
    code = submit_report(reporter)
    age_receipts(sessions, settings.receipt_expiry_days + 1)
    # Idle too long is expired, even before the purge has run.
    stale = follower.sign_in(code)
    assert stale.status_code == 410
    assert "This receipt code has expired" in stale.get_data(as_text=True)

    portal.worker.run(settings, burst=True)  # the worker purges expired receipts
    [tombstone] = rows.receipts()
    assert tombstone.public_key is None and tombstone.expired_at is not None
    response = follower.sign_in(code)
    page = text_of(response)
    assert response.status_code == 410
    assert "This receipt code has expired" in page
    assert f"{settings.receipt_expiry_days} days with no activity" in page
    assert "send a new report" in page
    assert follower.session_cookie() is None
    # A code that never existed is still "wrong", not "expired".
    assert follower.sign_in(wrong_code_for(code)).status_code == 422


def test_hundredth_wrong_code_in_a_minute_is_refused(
    make_settings, client_factory, reporter: Reporter
):
    code = submit_report(reporter)
    settings = make_settings(TIPLINE_CODE_RATE_LIMIT="10 per minute;60 per day")
    client = client_factory(settings)
    client.environ_base["REMOTE_ADDR"] = ADDRESS
    follower = Follower(client)
    token = csrf_token(client.get("/follow-up").get_data(as_text=True))
    wrong = wrong_code_for(code)
    statuses = [
        client.post("/follow-up", data={"code": wrong, "csrf_token": token}).status_code
        for _ in range(99)
    ]
    assert statuses[:10] == [422] * 10
    assert set(statuses[10:]) == {429}
    hundredth = client.post("/follow-up", data={"code": wrong, "csrf_token": token})
    page = hundredth.get_data(as_text=True)
    assert hundredth.status_code == 429
    assert 0 < int(hundredth.headers["Retry-After"]) <= 61
    assert "Please wait before trying again" in page and "call 911" in page
    assert 'name="code"' in page  # the form is still there: no dead end
    # Every attempt counts: even the right code waits now.
    assert follower.sign_in(code).status_code == 429
    # Another client is not held back by this one.
    client.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert follower.sign_in(code).status_code == 303


def test_global_limit_holds_across_clients(make_settings, client_factory, reporter, redis_conn):
    code = submit_report(reporter)
    client = client_factory(make_settings(TIPLINE_CODE_GLOBAL_RATE_LIMIT="3 per minute"))
    follower = Follower(client)
    for n in range(3):
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        assert follower.sign_in(wrong_code_for(code)).status_code == 422
    client.environ_base["REMOTE_ADDR"] = "198.51.100.99"
    assert follower.sign_in(code).status_code == 429
    assert b"198.51.100" not in everything_in(redis_conn)


def test_session_cookie_holds_neither_code_nor_key(
    settings, reporter: Reporter, follower: Follower, redis_conn
):
    code = submit_report(reporter)
    response = follower.sign_in(code)
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/follow-up" in header
    cookie = follower.session_cookie()
    assert cookie
    keys = derive(settings, code)
    raw = base64.urlsafe_b64decode(cookie)
    digits = code.replace("-", "")
    secret_forms = [
        keys.private_key.raw,
        base64.b64encode(keys.private_key.raw),
        keys.private_key.raw.hex().encode(),
        digits.encode(),
        code.encode(),
        keys.lookup_id.encode(),
    ]
    for secret in secret_forms:
        assert secret not in raw and secret not in cookie.encode()
    # Redis holds only the wrapped half: no key, no lookup id, no code.
    stored = everything_in(redis_conn)
    assert any(key.startswith(KEY_PREFIX.encode()) for key in redis_conn.scan_iter("*"))
    for secret in secret_forms:
        assert secret not in stored
    # And the wrapping key is not in Redis either.
    assert raw[32:] not in stored


def test_leave_ends_the_session_on_the_server(reporter: Reporter, follower: Follower, redis_conn):
    code = submit_report(reporter)
    follower.sign_in(code)
    cookie = follower.session_cookie()
    assert cookie
    redis_key = ReporterSessions(redis_conn, 15).redis_key_for(cookie)
    assert redis_conn.exists(redis_key)
    response = follower.leave()
    assert response.status_code == 200
    assert "You have left" in response.get_data(as_text=True)
    assert not redis_conn.exists(redis_key)
    assert follower.session_cookie() is None
    # Someone who copied the cookie before leaving gets nothing.
    follower.client.set_cookie("tipline_reporter", cookie, path="/follow-up")
    again = follower.mailbox()
    assert again.status_code == 303 and "ended=1" in again.headers["Location"]


def test_idle_session_times_out_and_use_refreshes_it(
    make_settings, client_factory, reporter: Reporter, redis_conn
):
    code = submit_report(reporter)
    follower = Follower(client_factory(make_settings(TIPLINE_REPORTER_SESSION_MINUTES="1")))
    follower.sign_in(code)
    redis_key = ReporterSessions(redis_conn, 1).redis_key_for(follower.session_cookie() or "")
    assert 55 <= redis_conn.ttl(redis_key) <= 60
    redis_conn.pexpire(redis_key, 5000)
    assert follower.mailbox().status_code == 200
    assert redis_conn.ttl(redis_key) > 50  # reading the mailbox is activity
    redis_conn.pexpire(redis_key, 1)  # as if a minute had passed without activity
    time.sleep(0.05)
    response = follower.mailbox()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/follow-up?ended=1")
    page = text_of(follower.client.get(response.headers["Location"]))
    assert "signed out after 1 minute without activity" in page
    assert 'name="code"' in page


def test_mailbox_without_a_session_goes_to_the_code_form(follower: Follower):
    response = follower.mailbox()
    assert response.status_code == 303 and response.headers["Location"].endswith("/follow-up")
    page = follower.client.get("/follow-up").get_data(as_text=True)
    assert "Lost your code?" in page and "call 911" in page


def test_right_wrong_and_expired_codes_take_the_same_time(
    settings, reporter: Reporter, sessions, redis_conn
):
    live_code = submit_report(reporter)
    expired_code = submit_report(reporter)
    with transaction(sessions) as session:
        expired = session.get(Receipt, derive(settings, expired_code).lookup_id)
        expired.last_activity_at -= timedelta(days=settings.receipt_expiry_days + 1)
    floor = 0.25
    service = FollowUpService(
        session_factory=sessions,
        receipts=ReceiptDeriver(
            settings.receipt_pepper,
            memory_kib=settings.receipt_argon2_memory_kib,
            iterations=settings.receipt_argon2_iterations,
        ),
        sessions=ReporterSessions(redis_conn, 15),
        expiry_days=settings.receipt_expiry_days,
        answer_floor_seconds=floor,
    )
    timings = {}
    for label, code in [
        ("right", live_code),
        ("wrong", wrong_code_for(live_code)),
        ("expired", expired_code),
        ("malformed", "12"),
    ]:
        started = time.monotonic()
        result = service.sign_in(code)
        timings[label] = time.monotonic() - started
        assert result.outcome is SignInOutcome(
            {"right": "signed-in", "wrong": "wrong", "expired": "expired"}.get(label, "malformed")
        )
    assert all(floor <= t < floor + 0.15 for t in timings.values()), timings


def test_signing_in_again_ends_the_older_session(
    reporter: Reporter, follower: Follower, redis_conn
):
    code = submit_report(reporter)
    follower.sign_in(code)
    first = follower.session_cookie() or ""
    follower.sign_in(code)
    second = follower.session_cookie() or ""
    sessions = ReporterSessions(redis_conn, 15)
    assert first != second
    assert not redis_conn.exists(sessions.redis_key_for(first))
    assert redis_conn.exists(sessions.redis_key_for(second))
