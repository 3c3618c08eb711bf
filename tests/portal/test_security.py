"""Headers, cookies, body limits and unreadable bytes."""

from __future__ import annotations

import pytest

from portal.security import CONTENT_SECURITY_POLICY
from tests.portal.conftest import VALID_REPORT, Reporter, csrf_token

EXPECTED_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def test_csp_is_strict():
    for directive in (
        "default-src 'none'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ):
        assert directive in CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/", "/report", "/healthz", "/static/style.css", "/nowhere"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # not production


def test_not_found_page_is_friendly(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "call 911" in response.get_data(as_text=True)


def test_production_adds_hsts_and_secure_cookies(make_settings, client_factory):
    client = client_factory(make_settings(TIPLINE_ENV="production"))
    response = client.get("/report", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_form_works_without_a_referer_header(make_settings, client_factory, rows):
    """Browsers send no Referer under no-referrer; the CSRF check must not require one."""
    client = client_factory(make_settings(TIPLINE_ENV="production"))
    page = client.get("/report", base_url="https://portal.example").get_data(as_text=True)
    response = client.post(
        "/report",
        base_url="https://portal.example",
        data=VALID_REPORT | {"csrf_token": csrf_token(page)},
    )
    assert response.status_code == 200
    assert len(rows.outbox()) == 1


def test_session_cookie_is_httponly_and_lax(client):
    cookie = client.get("/report").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def post_raw(reporter: Reporter, body: bytes, content_type: str):
    token = csrf_token(reporter.form_page()).encode()
    return reporter.client.post(
        "/report", data=body.replace(b"TOKEN", token), content_type=content_type
    )


@pytest.mark.parametrize(
    "narrative",
    [b"caf\xe9 \xff\xfe", b"caf%E9%FF"],
    ids=["raw-latin1-bytes", "percent-encoded-invalid-utf8"],
)
def test_non_utf8_form_bytes_get_a_clear_400_and_nothing_stored(reporter, rows, narrative):
    body = b"csrf_token=TOKEN&category=other&what_happened=" + narrative
    response = post_raw(reporter, body, "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "could not be read" in response.get_data(as_text=True)
    assert rows.outbox() == []


def test_non_utf8_multipart_is_refused(reporter, rows):
    token = csrf_token(reporter.form_page()).encode()
    boundary = b"XyZ"
    parts = [(b"csrf_token", token), (b"category", b"other"), (b"what_happened", b"caf\xe9")]
    body = (
        b"".join(
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="'
            + name
            + b'"\r\n\r\n'
            + value
            + b"\r\n"
            for name, value in parts
        )
        + b"--"
        + boundary
        + b"--\r\n"
    )
    response = reporter.client.post(
        "/report", data=body, content_type="multipart/form-data; boundary=XyZ"
    )
    assert response.status_code == 400
    assert rows.outbox() == []


def test_valid_utf8_in_every_script_is_accepted(reporter, rows):
    text = "Él dijo: «mañana» — 明天 — завтра 🔪"
    assert reporter.submit(what_happened=text).status_code == 200
    assert len(rows.outbox()) == 1


def test_oversized_body_gets_a_friendly_413_and_nothing_stored(settings, reporter, rows):
    huge = "x" * (settings.max_body_bytes + 1)
    response = reporter.submit(what_happened=huge)
    assert response.status_code == 413
    assert "too long" in response.get_data(as_text=True)
    assert rows.outbox() == []
