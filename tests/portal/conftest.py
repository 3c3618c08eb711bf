"""Portal test helpers: an app on the shared fixtures, and a reporter that uses the HTML form."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import portal
import portal.jobs
from portal.models import OutboxEnvelope, Receipt
from tipline.db import make_engine, session_factory
from tipline.settings import Settings

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CODE_RE = re.compile(r'<p class="code"[^>]*>\s*(\d{4}(?:-\d{4}){6})\s*</p>')

# A complete, valid report as a browser would send it (CSRF token added by ``Reporter``).
VALID_REPORT = {
    "what_happened": "He said he would bring a knife to the bus stop tomorrow.",
    "category": "threat_of_violence",
    "subject": "A boy in 9th grade",
    "location_type": "school",
    "location": "Northside bus stop",
    "when": "Tomorrow morning",
    "danger_now": "no",
    "weapons_access": "unsure",
    "how_known": "saw_or_heard",
    "how_known_detail": "I heard him at lunch.",
    "contact_choice": "anonymous",
    "contact_name": "",
    "contact_email": "",
    "contact_phone": "",
}


def csrf_token(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "the form has no CSRF token"
    return html.unescape(match.group(1))


def receipt_code_on(page: str) -> str:
    match = CODE_RE.search(page)
    assert match, "no receipt code on the page"
    return match.group(1)


@dataclass
class Reporter:
    """Someone using the form with JavaScript off: GET the form, POST it with its token."""

    client: FlaskClient

    def form_page(self) -> str:
        response = self.client.get("/report")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def submit(self, **fields: str):
        token = csrf_token(self.form_page())
        return self.client.post("/report", data=VALID_REPORT | fields | {"csrf_token": token})


@dataclass
class PortalRows:
    """Reads what the portal database holds."""

    session: Session

    def outbox(self) -> list[OutboxEnvelope]:
        self.session.expire_all()
        return list(self.session.scalars(select(OutboxEnvelope)))

    def receipts(self) -> list[Receipt]:
        self.session.expire_all()
        return list(self.session.scalars(select(Receipt)))


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    portal.jobs.configure(settings)
    yield portal.create_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def reporter(client: FlaskClient) -> Reporter:
    return Reporter(client)


@pytest.fixture
def sessions(portal_db_url: str):
    engine = make_engine(portal_db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def rows(sessions) -> Iterator[PortalRows]:
    with sessions() as session:
        yield PortalRows(session)


@pytest.fixture
def client_factory():
    """``client_factory(settings)``: a test client of a portal built from other settings."""

    def build(settings: Settings) -> FlaskClient:
        return portal.create_app(settings).test_client()

    return build
