"""Browser-facing protections of the public portal.

- Headers on every response: a strict Content-Security-Policy (no scripts at all, styles and
  images from this site only, forms post only here, never framed), no MIME sniffing, no referrer,
  no powerful browser features, a separate browsing context group, ``Cache-Control: no-store``
  (a shared phone must not show a report or a receipt from its cache), and HSTS in production.
- The session cookie (it only carries the CSRF token) is HttpOnly, SameSite=Lax, and Secure in
  production.
- Request bodies are capped at ``settings.max_body_bytes`` (413 page), except on the routes
  that take files (``UPLOAD_ENDPOINTS``): there the cap is
  ``attachment_max_files * attachment_max_bytes + max_body_bytes``, set before anything reads
  the body (per-file limits are then checked file by file, with a clear message each).
- Form bytes that are not UTF-8 are refused with a 400 before anything reads them, rather than
  being silently turned into replacement characters.
- CSRF protection (flask-wtf) on every state-changing request.
- ``settings.proxy_hops`` reverse proxies are trusted for the client address and scheme.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from tipline.settings import Settings

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), "
    "browsing-topics=()"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
HSTS = "max-age=63072000; includeSubDomains"
# Routes whose forms carry files (multipart, field ``files``).
UPLOAD_ENDPOINTS = frozenset({"portal.report", "referral.refer", "followup.reply"})
# Long enough for someone to write a long report slowly; the cookie itself ends with the browser
# session.
CSRF_TIME_LIMIT = timedelta(hours=8)


def init_security(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=settings.portal_secret_key,
        SESSION_COOKIE_NAME="tipline_portal",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        WTF_CSRF_TIME_LIMIT=int(CSRF_TIME_LIMIT.total_seconds()),
        # Browsers send no Referer under "Referrer-Policy: no-referrer", so flask-wtf's HTTPS
        # referrer check would refuse every report; the token and SameSite cookie remain.
        WTF_CSRF_SSL_STRICT=False,
        PREFERRED_URL_SCHEME="https" if settings.is_production else "http",
    )
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    upload_body_bytes = (
        settings.attachment_max_files * settings.attachment_max_bytes + settings.max_body_bytes
    )

    @app.before_request
    def allow_files_where_forms_take_them() -> None:
        # First of all hooks: the CSRF check and the UTF-8 check below read the body. Only a
        # multipart body can carry files; each text field in it keeps the usual cap.
        if request.endpoint in UPLOAD_ENDPOINTS and request.mimetype == "multipart/form-data":
            request.max_content_length = upload_body_bytes
            request.max_form_memory_size = settings.max_body_bytes

    # Registered before CSRFProtect so that unreadable bytes get their own clear answer.
    app.before_request(refuse_undecodable_form)
    csrf.init_app(app)
    production = settings.is_production

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers[name] = value
        if production:
            response.headers["Strict-Transport-Security"] = HSTS
        return response


def urlencoded_is_utf8(body: bytes) -> bool:
    """True when a form body and every percent-encoded value in it are valid UTF-8."""
    try:
        text = body.decode("utf-8")
        for pair in text.split("&"):
            unquote_to_bytes(pair.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def refuse_undecodable_form() -> None:
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if request.mimetype == "application/x-www-form-urlencoded":
        # Reads at most MAX_CONTENT_LENGTH bytes (else 413); the form is parsed from this copy.
        if not urlencoded_is_utf8(request.get_data(cache=True)):
            abort(400)
    elif request.mimetype == "multipart/form-data" and _has_replacement_characters():
        abort(400)


def _has_replacement_characters() -> bool:
    # Werkzeug replaces undecodable bytes in multipart fields with U+FFFD.
    return any("\ufffd" in value for _, values in request.form.lists() for value in values)
