"""Fixtures for the triage tests: database sessions, keys, sealed reports, replies and files,
the officers' app."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

import triage
from tests.triage.alerts_helpers import Receiver
from tests.triage.helpers import PASSWORD, login
from tipline import attachments, referral_schema
from tipline.db import make_engine, transaction
from tipline.envelope import Purpose, seal
from tipline.followup_schema import REPLY_SCHEMA_ID, encode_reply
from tipline.keys import PrivateKey, load_private_keys, newest_public_key, x25519_private_key
from tipline.report_schema import encode
from tipline.settings import Settings
from triage import jobs
from triage.models import QueueItem, Unit, default_unit
from triage.officers import add_officer
from triage.rules import Rules, load_rules

RULES_PATH = Path(__file__).resolve().parents[2] / "config" / "rules.toml"


@pytest.fixture
def sessions(triage_db_url: str, settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Sessions on the triage database, with the same audit key as the app under test."""
    engine = make_engine(triage_db_url)
    yield triage.audit.triage_sessions(engine, settings)
    engine.dispose()


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules(RULES_PATH)


@pytest.fixture(scope="session")
def keyring(unit_key_dirs: dict[str, Path]) -> dict[str, PrivateKey]:
    return load_private_keys(unit_key_dirs["private"])


@pytest.fixture
def sealed_report(unit_key_dirs: dict[str, Path]) -> Callable[..., tuple[str, bytes, dict]]:
    """``sealed_report(what_happened=..., contact=..., reply_to=..., attachments=[...])``
    -> (envelope id, envelope, document)."""
    public = newest_public_key(unit_key_dirs["public"])

    def build(
        envelope_id: str | None = None,
        contact: dict | None = None,
        *,
        reply_to: dict | None = None,
        attachments: list[dict] | None = None,
        **report: Any,
    ) -> tuple[str, bytes, dict]:
        eid = envelope_id or str(uuid.uuid4())
        document = report_document(eid, contact=contact, **report)
        if reply_to is not None:
            document["reply_to"] = reply_to
        if attachments is not None:
            document["attachments"] = attachments
        return eid, seal(encode(document), public, Purpose.REPORT), document

    return build


def report_document(envelope_id: str, contact: dict | None = None, **report: Any) -> dict:
    fields = {
        "what_happened": "Someone keeps leaving rude notes in the break room.",
        "category": "other",
        "danger_now": "no",
        "weapons_access": "no",
    } | report
    return {
        "schema": "tipline.report/1",
        "kind": "report",
        "envelope_id": envelope_id,
        "submitted_at": "2030-01-06T09:00:00+00:00",
        "channel": "web",
        "report": fields,
        "contact": contact,
    }


@pytest.fixture
def sealed_referral(unit_key_dirs: dict[str, Path]) -> Callable[..., tuple[str, bytes, dict]]:
    """``sealed_referral(token=..., filer={...}, behaviors=[...], urgency=..., **referral)``
    -> (envelope id, envelope, document), sealed to the unit like the portal does."""
    public = newest_public_key(unit_key_dirs["public"])

    def build(token: str | None = None, filer: dict | None = None, **referral: Any):
        eid = str(uuid.uuid4())
        document = referral_document(eid, token=token, filer=filer, **referral)
        return eid, seal(referral_schema.encode(document), public, Purpose.REPORT), document

    return build


def referral_document(
    envelope_id: str, token: str | None = None, filer: dict | None = None, **referral: Any
) -> dict:
    fields = {
        "what_happened": "A student told classmates about a list of names.",
        "category": "threat_of_violence",
        "relation": "counselor",
        "behaviors": [],
        "urgency": "routine",
    } | referral
    return {
        "schema": referral_schema.SCHEMA_ID,
        "kind": "referral",
        "envelope_id": envelope_id,
        "submitted_at": "2030-01-06T09:00:00+00:00",
        "channel": "web",
        "referral_token": token,
        "filer": filer or {"name": "Ana Ruiz", "role": "Counselor", "email": "ana@school.example"},
        "referral": fields,
    }


@pytest.fixture
def reporter_key() -> PrivateKey:
    """The reporter's own key pair, as the portal would derive it from a receipt code.

    The test keeps the private half; triage only ever sees the public half (``reply_to``).
    """
    return x25519_private_key(os.urandom(32))


def reply_to_for(key: PrivateKey) -> dict[str, str]:
    return {
        "lookup_id": hashlib.sha256(key.public.raw).hexdigest(),
        "public_key": base64.b64encode(key.public.raw).decode(),
    }


@pytest.fixture
def sealed_reply(unit_key_dirs: dict[str, Path]) -> Callable[..., tuple[str, bytes, dict]]:
    """``sealed_reply(report_envelope_id, text=..., attachments=[...], submitted_at=...)``
    -> (envelope id, envelope, document), sealed to the unit like the portal does."""
    public = newest_public_key(unit_key_dirs["public"])

    def build(
        report_envelope_id: str,
        text: str = "It is Lincoln High, he posted it on Tuesday.",
        attachments: list[dict] | None = None,
        submitted_at: str = "2030-01-06T10:00:00+00:00",
        envelope_id: str | None = None,
    ) -> tuple[str, bytes, dict]:
        eid = envelope_id or str(uuid.uuid4())
        document: dict[str, Any] = {
            "schema": REPLY_SCHEMA_ID,
            "kind": "reply",
            "envelope_id": eid,
            "report_envelope_id": report_envelope_id,
            "submitted_at": submitted_at,
            "text": text,
        }
        if attachments is not None:
            document["attachments"] = attachments
        return eid, seal(encode_reply(document), public, Purpose.REPORTER_REPLY), document

    return build


def sealed_file(
    content: bytes,
    name: str = "IMG_0042.jpg",
    media_type: str = "image/jpeg",
    chunk_size: int = attachments.CHUNK_SIZE,
) -> tuple[dict, bytes]:
    """A file sealed in chunks as the portal does: (its descriptor for the document, sealed)."""
    key = attachments.new_file_key()
    attachment_id = attachments.random_id()
    sealed = b"".join(attachments.seal_stream(io.BytesIO(content), key, attachment_id, chunk_size))
    descriptor = {
        "id": attachment_id,
        "name": name,
        "media_type": media_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "key": base64.b64encode(key).decode(),
    }
    return descriptor, sealed


@pytest.fixture
def intake(settings: Settings) -> Iterator[jobs.IntakeContext]:
    """The intake job context for this test's databases and Redis."""
    context = jobs.configure(settings)
    yield context
    context.engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    application = triage.create_app(settings)
    yield application
    application.extensions["triage"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def officer(sessions: sessionmaker[Session]) -> str:
    """An officer of the default unit; returns the username (password: ``PASSWORD``)."""
    with transaction(sessions) as session:
        add_officer(session, "alice", PASSWORD, "officer", memory_kib=64)
    return "alice"


@pytest.fixture
def logged_in(client: FlaskClient, officer: str) -> FlaskClient:
    response = login(client, officer)
    assert response.status_code == 302, response.status_code
    return client


@pytest.fixture
def stranger(app: Flask, sessions: sessionmaker[Session]) -> FlaskClient:
    """A logged-in officer ("bob") of another unit ("north")."""
    with transaction(sessions) as session:
        north = other_unit(session, "north")
        add_officer(session, "bob", PASSWORD, "officer", memory_kib=64).unit_id = north.id
    client = app.test_client()
    assert login(client, "bob").status_code == 302
    return client


@pytest.fixture
def add_item(sessions: sessionmaker[Session]) -> Callable[..., int]:
    """Insert a queue item directly (for listing tests); returns its id."""

    def insert(
        tier: str = "P4",
        due_in: timedelta = timedelta(days=1),
        status: str = "new",
        unit_slug: str | None = None,
        category: str = "other",
        reasons: list[dict] | None = None,
    ) -> int:
        now = datetime.now(UTC)
        with transaction(sessions) as session:
            unit = default_unit(session) if unit_slug is None else other_unit(session, unit_slug)
            item = QueueItem(
                envelope_id=str(uuid.uuid4()),
                unit_id=unit.id,
                purpose="report",
                tier=tier,
                category=category,
                received_at=now - timedelta(minutes=5),
                due_at=now + due_in,
                reasons=reasons
                or [{"rule": "default", "text": f"reason for {tier}", "tier": tier}],
                status=status,
                sealed_body=b"TLE-not-opened-in-listing-tests",
                key_id="test",
            )
            session.add(item)
            session.flush()
            return item.id

    return insert


def other_unit(session: Session, slug: str) -> Unit:
    unit = session.query(Unit).filter_by(slug=slug).one_or_none()
    if unit is None:
        unit = Unit(slug=slug, name=f"Unit {slug}")
        session.add(unit)
        session.flush()
    return unit


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local HTTP server that records every webhook POST (alerts and paging tests)."""
    running = Receiver().start()
    yield running
    running.stop()
