"""Portal test helpers: an app on the shared fixtures, and a reporter that uses the HTML form."""

from __future__ import annotations

import html
import io
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
from portal.models import (
    DirectoryCopy,
    MailboxMessage,
    OutboxAttachment,
    OutboxEnvelope,
    Receipt,
)
from tipline import directory as directory_contract
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


# A complete, valid referral as a browser would send it (no organization typed, no files).
VALID_REFERRAL: dict[str, str | list[str]] = {
    "filer_name": "Dana Whitfield",
    "filer_role": "School counselor",
    "filer_organization": "",
    "filer_email": "dwhitfield@lincoln.example.org",
    "filer_phone": "",
    "relation": "counselor",
    "relation_detail": "His counselor since September",
    "subject": "A student in 10th grade",
    "what_happened": "He told two classmates he has a list of people and a date.",
    "category": "threat_of_violence",
    "behaviors": ["threats_communicated", "planning"],
    "actions_taken": "Met with the student and called his parents.",
    "urgency": "today",
    "location_type": "school",
    "location": "Lincoln High School",
    "when": "Yesterday at lunch",
    "danger_now": "unsure",
    "weapons_access": "unsure",
}

# The directory triage would publish: a district, one of its schools (with a live referral
# link), and an employer.
LINCOLN_TOKEN = "lincoln-link-3Fq9xv0Z2kYw7pLr8sT1uVb4"
DIRECTORY = {
    "schema": directory_contract.SCHEMA_ID,
    "version": 5,
    "organizations": [
        {
            "id": "springfield-district",
            "name": "Springfield School District",
            "kind": "district",
            "parent": None,
        },
        {
            "id": "lincoln-high",
            "name": "Lincoln High School",
            "kind": "school",
            "parent": "springfield-district",
            "token_hashes": [directory_contract.token_hash(LINCOLN_TOKEN)],
        },
        {"id": "acme-logistics", "name": "Acme Logistics", "kind": "employer"},
    ],
}


def directory_json(version: int = 5, **changes) -> str:
    return directory_contract.encode(DIRECTORY | {"version": version} | changes)


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

    def submit(self, files: list[tuple[bytes, str]] | None = None, **fields: str):
        """POST the form; ``files`` (content, name) makes it multipart, as a browser would."""
        token = csrf_token(self.form_page())
        data: dict = VALID_REPORT | fields | {"csrf_token": token}
        if files is not None:
            data["files"] = [(io.BytesIO(content), name) for content, name in files]
            return self.client.post("/report", data=data, content_type="multipart/form-data")
        return self.client.post("/report", data=data)


@dataclass
class Referrer:
    """A counselor or HR manager using the referral form, with or without their link's token."""

    client: FlaskClient

    def path(self, token: str | None = None) -> str:
        return f"/refer/{token}" if token else "/refer"

    def form_page(self, token: str | None = None) -> str:
        response = self.client.get(self.path(token))
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def submit(
        self,
        token: str | None = None,
        files: list[tuple[bytes, str]] | None = None,
        **fields: str | list[str],
    ):
        data: dict = VALID_REFERRAL | fields
        data["csrf_token"] = csrf_token(self.form_page(token))
        if files is not None:
            data["files"] = [(io.BytesIO(content), name) for content, name in files]
            return self.client.post(self.path(token), data=data, content_type="multipart/form-data")
        return self.client.post(self.path(token), data=data)


@dataclass
class Follower:
    """A reporter coming back with their code: sign in, read, reply, leave."""

    client: FlaskClient

    def sign_in(self, code: str):
        page = self.client.get("/follow-up").get_data(as_text=True)
        return self.client.post("/follow-up", data={"code": code, "csrf_token": csrf_token(page)})

    def mailbox(self):
        return self.client.get("/follow-up/mailbox")

    def reply(self, text: str = "", files: list[tuple[bytes, str]] = ()):
        page = self.mailbox().get_data(as_text=True)
        data: dict = {"text": text, "csrf_token": csrf_token(page)}
        data["files"] = [(io.BytesIO(content), name) for content, name in files]
        return self.client.post("/follow-up/reply", data=data, content_type="multipart/form-data")

    def leave(self):
        page = self.mailbox().get_data(as_text=True)
        return self.client.post("/follow-up/leave", data={"csrf_token": csrf_token(page)})

    def session_cookie(self) -> str | None:
        cookie = self.client.get_cookie("tipline_reporter", path="/follow-up")
        return cookie.value if cookie else None


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

    def attachments(self) -> list[OutboxAttachment]:
        self.session.expire_all()
        return list(self.session.scalars(select(OutboxAttachment)))

    def directory(self) -> DirectoryCopy | None:
        self.session.expire_all()
        return self.session.get(DirectoryCopy, 1)

    def messages(self) -> list[MailboxMessage]:
        self.session.expire_all()
        return list(self.session.scalars(select(MailboxMessage)))


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
def referrer(client: FlaskClient) -> Referrer:
    return Referrer(client)


@pytest.fixture
def stored_directory(app: Flask) -> dict:
    """``DIRECTORY`` delivered by the real job into the portal database."""
    assert portal.jobs.store_directory(directory_json()) == "stored"
    return DIRECTORY


@pytest.fixture
def follower(client: FlaskClient) -> Follower:
    return Follower(client)


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
