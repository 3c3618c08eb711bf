"""Helpers for the alerts tests: a local webhook receiver, a paged item, contacts."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tipline.db import transaction
from tipline.settings import Settings
from triage import paging
from triage.models import Notification, QueueItem
from triage.notify import outbox
from triage.notify.tokens import ack_token


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST; ``status`` is what it answers."""

    status: int = 200
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


def alerts_world(
    sessions: sessionmaker[Session], settings: Settings, item_id: int
) -> dict[str, object]:
    """Page ``item_id`` (its unit's on-call list) and deliver the first page to the console;
    returns ``{"ack_token": ...}``, the token of that page's acknowledgement link."""
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        item = session.get(QueueItem, item_id)
        assert item is not None
        paging.start_life_safety(session, item, now, settings)
        pending = outbox.pending_ids_for_item(session, item_id)
    for notification_id in pending:
        outbox.deliver_one(sessions, settings, notification_id, now)
    with sessions() as session:
        first = session.scalars(
            select(Notification.id).where(Notification.ack_token_hash.is_not(None))
        ).first()
    assert first is not None
    assert settings.triage_secret_key
    return {"ack_token": ack_token(settings.triage_secret_key, first)}


CANARY = "canary-7f3a9e-narrative"
P1_REPORT = {
    "what_happened": f"He said he would bring a gun to school on Friday. {CANARY}",
    "category": "threat_of_violence",
    "weapons_access": "yes",
    "subject": f"subject-{CANARY}",
}


def ingest_p1(sessions: sessionmaker[Session], keyring, rules, sealed_report, settings) -> int:
    """A life-safety report ingested as the intake job does (paging starts); its item id."""
    from triage.intake import ingest

    envelope_id, envelope, _ = sealed_report(**P1_REPORT)
    with transaction(sessions) as session:
        ingest(session, keyring, rules, envelope_id, envelope, datetime.now(UTC), settings=settings)
        item = session.scalars(select(QueueItem).where(QueueItem.envelope_id == envelope_id)).one()
        assert item.tier == "P1"
        return item.id


def add_contacts(sessions: sessionmaker[Session], unit: str, *contacts: tuple[str, ...]) -> None:
    """``(name, channel, address[, purpose])`` appended to ``unit``'s list (created if needed)."""
    from triage import directory_admin
    from triage.models import default_unit

    with transaction(sessions) as session:
        default_unit(session)
        for contact in contacts:
            directory_admin.add_unit_contact(session, unit, *contact)
