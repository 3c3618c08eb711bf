"""Friendly error pages. Every one repeats what to do in an emergency, and none is a dead end."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, make_response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

OFFLINE_RETRY_SECONDS = 300


@dataclass(frozen=True)
class Page:
    title: str
    message: str
    not_sent: bool = False  # say plainly that a report was NOT received


PAGES: dict[int, Page] = {
    400: Page(
        "We could not read what was sent",
        "Something in the form could not be read. Go back, check your text, and send it again.",
        not_sent=True,
    ),
    404: Page("Page not found", "There is no page at this address."),
    405: Page("Page not found", "There is no page at this address."),
    413: Page(
        "Your report is too long, or its files too big, to send",
        "Please go back (your text should still be there). Shorten the text, or attach fewer or "
        "smaller files, and send it again. A screenshot is usually much smaller than a photo.",
        not_sent=True,
    ),
    500: Page(
        "Something went wrong on our side",
        "Please wait a minute and try again. Use your browser's Back button: your text should "
        "still be there.",
        not_sent=True,
    ),
}
CSRF_PAGE = Page(
    "This form has expired",
    "For your safety, forms stop working after a while or when opened in another window. "
    "Go back, reload the page, and send your report again. Copy your text first so you do not "
    "lose it.",
    not_sent=True,
)


UNAVAILABLE_PAGE = Page(
    "We cannot open your messages right now",
    "This is a problem on our side. Please try again in a few minutes. Your report and any "
    "messages for you are safe.",
)
UNAVAILABLE_RETRY_SECONDS = 120


def render_page(page: Page, status: int, kept_text: str = "") -> Response:
    """An error page; ``kept_text`` (what the person wrote) is shown back for them to copy."""
    return make_response(
        render_template("portal/error.html", page=page, kept_text=kept_text), status
    )


def offline_response() -> Response:
    """503: reports cannot be sealed right now, so none are taken."""
    response = make_response(render_template("portal/offline.html"), 503)
    response.headers["Retry-After"] = str(OFFLINE_RETRY_SECONDS)
    return response


def unavailable_response() -> Response:
    """503: the follow-up sessions (Redis) cannot be reached right now."""
    response = render_page(UNAVAILABLE_PAGE, 503)
    response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    return render_page(PAGES.get(status, PAGES[400 if status < 500 else 500]), status)


def _csrf_error(_error: CSRFError) -> Response:
    return render_page(CSRF_PAGE, 400)


def init_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    # Every HTTP error, and (as a 500) every unexpected exception, which Flask logs first.
    app.register_error_handler(HTTPException, _http_error)
