"""End-to-end helpers: both apps served over real HTTP, real workers, real Redis and databases.

``system`` gives a test a running Tipline: the portal and the officers' app on loopback
ports (werkzeug servers in threads, access logging off as in production), and helpers to
submit a report through the HTML form, run the workers, and act as an officer.
"""

from __future__ import annotations

import html
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

import portal
import portal.jobs
import portal.worker
import triage
import triage.jobs
import triage.worker
from tipline import logs
from tipline.db import make_engine, transaction
from tipline.settings import Settings
from triage.audit import triage_sessions
from triage.officers import add_officer

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
RECEIPT_RE = re.compile(r"\b(\d{4}(?:[- ]\d{4}){6})\b")

# What a careful reporter types: every field of the form.
DEFAULT_REPORT = {
    "what_happened": "He said he would bring his father's gun to school on Friday.",
    "category": "threat_of_violence",
    "subject": "A student in my class",
    "location_type": "school",
    "location": "Lincoln High School",
    "when": "Friday morning",
    "danger_now": "no",
    "weapons_access": "yes",
    "how_known": "told_by_person",
    "how_known_detail": "",
    "contact_choice": "anonymous",
}


class LiveServer:
    def __init__(self, app: Flask) -> None:
        logs.silence_access_logs()
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def csrf_token(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "no CSRF token in the page"
    return html.unescape(match.group(1) or match.group(2))


@dataclass
class System:
    settings: Settings
    portal_url: str
    triage_url: str
    officer_password: str = field(default_factory=lambda: "pw-" + uuid.uuid4().hex)

    def submit_report(
        self,
        client: requests.Session | None = None,
        headers: dict[str, str] | None = None,
        **fields: str,
    ) -> requests.Response:
        """GET the form, POST it with its CSRF token, like a browser with JavaScript off."""
        client = client or requests.Session()
        form_page = client.get(f"{self.portal_url}/report", headers=headers, timeout=30)
        assert form_page.status_code == 200, form_page.status_code
        data = DEFAULT_REPORT | fields | {"csrf_token": csrf_token(form_page.text)}
        return client.post(f"{self.portal_url}/report", data=data, headers=headers, timeout=30)

    def run_intake(self) -> None:
        triage.worker.run(self.settings, burst=True)

    def run_portal_worker(self) -> None:
        portal.worker.run(self.settings, burst=True)

    def add_officer(self, username: str = "officer1", role: str = "officer") -> str:
        engine = make_engine(self.settings.triage_database_url or "")
        with transaction(triage_sessions(engine, self.settings)) as session:
            add_officer(
                session,
                username,
                self.officer_password,
                role,
                memory_kib=self.settings.password_argon2_memory_kib,
            )
        engine.dispose()
        return username

    def officer_session(self, username: str) -> requests.Session:
        client = requests.Session()
        login_page = client.get(f"{self.triage_url}/login", timeout=30)
        response = client.post(
            f"{self.triage_url}/login",
            data={
                "username": username,
                "password": self.officer_password,
                "csrf_token": csrf_token(login_page.text),
            },
            timeout=30,
        )
        assert response.status_code == 200 and "/login" not in response.url, "login failed"
        return client


def receipt_code(page: str) -> str:
    match = RECEIPT_RE.search(page)
    assert match, "no receipt code on the page"
    return match.group(1)


def all_rows(url: str) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table of a database, as (table, {column: value})."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    rows = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                rows.append((table.name, dict(row._mapping)))
    engine.dispose()
    return rows


@contextmanager
def running_system(settings: Settings) -> Iterator[System]:
    """Both apps on loopback ports; jobs configured for ``settings``."""
    portal.jobs.configure(settings)
    triage.jobs.configure(settings)
    portal_server = LiveServer(portal.create_app(settings))
    triage_server = LiveServer(triage.create_app(settings))
    try:
        yield System(settings, portal_server.url, triage_server.url)
    finally:
        portal_server.stop()
        triage_server.stop()
