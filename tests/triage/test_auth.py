"""Logging in and out of the officers' app; server-side sessions; CSRF; security headers."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from tests.triage.helpers import PASSWORD, csrf_from, login, session_cookie
from triage.models import AuditEvent, WebSession, utcnow


def web_sessions(sessions) -> list[WebSession]:
    with sessions() as session:
        return list(session.scalars(select(WebSession)))


def test_login_succeeds_and_lands_on_the_queue(client, officer, sessions) -> None:
    response = login(client, officer)
    assert response.status_code == 302
    assert response.headers["Location"] == "/queue"
    page = client.get("/queue")
    assert page.status_code == 200
    assert "Intake queue" in page.get_data(as_text=True)
    with sessions() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert actions == ["login"]


def test_wrong_password_and_unknown_user_fail_alike(client, officer) -> None:
    for username, password in ((officer, "wrong password!!"), ("mallory", PASSWORD)):
        response = login(client, username, password)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "do not match an active account" in text
        assert client.get("/queue").status_code == 302


def test_officer_pages_require_login(client) -> None:
    for path in ("/queue", "/items/1", "/dead-letters"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert client.get("/").headers["Location"] == "/queue"


def test_login_returns_to_the_page_asked_for_but_never_off_site(client, officer) -> None:
    form = client.get("/login?next=/dead-letters").get_data(as_text=True)
    response = client.post(
        "/login?next=/dead-letters",
        data={"username": officer, "password": PASSWORD, "csrf_token": csrf_from(form)},
    )
    assert response.headers["Location"] == "/dead-letters"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/queue").text)})
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        form = client.get("/login").get_data(as_text=True)
        response = client.post(
            f"/login?next={target}",
            data={"username": officer, "password": PASSWORD, "csrf_token": csrf_from(form)},
        )
        assert response.headers["Location"] == "/queue"
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/queue").text)})


def test_cookie_is_an_opaque_token_and_the_data_lives_in_the_database(
    client, officer, sessions
) -> None:
    client.get("/login")
    before = session_cookie(client)
    login(client, officer)
    token = session_cookie(client)
    assert token and token != before  # a new token at login
    assert len(token) >= 40 and "." not in token  # random, not a signed payload
    (row,) = web_sessions(sessions)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.officer_id is not None
    assert row.expires_at > utcnow()


def test_cookie_flags(client, officer) -> None:
    response = login(client, officer)
    header = response.headers["Set-Cookie"]
    assert header.startswith("triage_session=")
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "Secure" not in header  # test settings; production sets it (see next test)


def test_production_cookie_is_secure_and_host_only(make_settings) -> None:
    from triage import create_app

    app = create_app(make_settings(TIPLINE_ENV="production", TIPLINE_DATA_DIR="/nonexistent"))
    interface = app.session_interface
    assert interface.secure and interface.cookie_name == "__Host-triage_session"
    app.extensions["triage"].engine.dispose()


def test_idle_timeout_ends_the_session(app, client, officer, sessions) -> None:
    login(client, officer)
    assert client.get("/queue").status_code == 200
    context = app.extensions["triage"]
    later = utcnow() + timedelta(minutes=31)  # settings: 30 minutes idle
    context.clock = lambda: later
    response = client.get("/queue")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert [row for row in web_sessions(sessions) if row.officer_id is not None] == []


def test_activity_keeps_the_session_alive(app, client, officer) -> None:
    login(client, officer)
    context = app.extensions["triage"]
    start = utcnow()
    for minutes in (20, 40, 60):  # each request within 30 minutes of the last
        context.clock = lambda m=minutes: start + timedelta(minutes=m)
        assert client.get("/queue").status_code == 200


def test_logout_deletes_the_session_server_side(client, officer, sessions) -> None:
    login(client, officer)
    token = session_cookie(client)
    page = client.get("/queue").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert [row for row in web_sessions(sessions) if row.officer_id is not None] == []
    # Replaying the old cookie does not bring the session back.
    client.set_cookie("triage_session", token)
    assert client.get("/queue").status_code == 302


def test_logout_and_login_need_a_csrf_token(client, officer) -> None:
    response = client.post("/login", data={"username": officer, "password": PASSWORD})
    assert response.status_code == 400
    login(client, officer)
    assert client.post("/logout").status_code == 400
    assert client.get("/queue").status_code == 200  # still logged in


def test_security_headers(client, logged_in) -> None:
    for path in ("/login", "/queue", "/healthz"):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
    assert client.get("/queue").headers["Cache-Control"] == "no-store"
    assert client.get("/static/triage.css").status_code == 200


def test_repeated_failures_lock_the_account_for_a_while(client, officer, redis_conn) -> None:
    from triage import login_throttle

    for _ in range(login_throttle.MAX_FAILURES):
        assert login(client, officer, "wrong password!!").status_code == 200
    # Now even the right password is refused, before it is checked, with a time to wait.
    refused = login(client, officer)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= login_throttle.WINDOW_SECONDS
    assert "Too many failed attempts" in refused.get_data(as_text=True)
    assert client.get("/queue").status_code == 302
    # The counter is keyed by a hash: the username itself is not in Redis.
    assert not [k for k in redis_conn.keys("*") if officer.encode() in k]
    # Another account is not affected; when the window passes, the right password works.
    redis_conn.delete(*redis_conn.keys("tipline:triage:login-failures:*"))
    assert login(client, officer).status_code == 302


def test_a_successful_login_clears_earlier_failures(client, officer, redis_conn) -> None:
    from triage import login_throttle

    for _ in range(login_throttle.MAX_FAILURES - 1):
        login(client, officer, "wrong password!!")
    assert login(client, officer).status_code == 302
    assert redis_conn.keys("tipline:triage:login-failures:*") == []
