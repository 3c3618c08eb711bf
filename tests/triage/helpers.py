"""Helpers for the officers' app tests: log in like a browser (GET the form, POST it)."""

from __future__ import annotations

import contextlib
import json
import re
import zlib

from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from tipline.db import transaction
from triage.intake import ingest
from triage.models import QueueItem, utcnow

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    form = client.get("/login")
    assert form.status_code == 200
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_from(form.get_data(as_text=True)),
        },
    )


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("triage_session")
    return cookie.value if cookie else None


def post_message(client: FlaskClient, item_id: int, text: str) -> TestResponse:
    """Ask the reporter something from the item page, as an officer's browser would."""
    page = client.get(f"/items/{item_id}")
    assert page.status_code == 200
    return client.post(
        f"/items/{item_id}/messages",
        data={"text": text, "csrf_token": csrf_from(page.get_data(as_text=True))},
    )


def table_dump(url: str) -> list[bytes]:
    """Every value of every row of every table, as bytes (for canary searches)."""
    engine = create_engine(url)
    values: list[bytes] = []
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        if isinstance(value, bytes | bytearray | memoryview):
                            values.append(bytes(value))
                        elif value is not None:
                            values.append(json.dumps(value, default=str).encode())
                            values.append(str(value).encode())
    finally:
        engine.dispose()
    return values


def redis_dump(conn: Redis) -> list[bytes]:
    """Every key, string, hash field and value, list and set member in this Redis database;
    RQ's zlib-compressed job data is also given decompressed."""
    values: list[bytes] = []
    for key in conn.scan_iter():
        values.append(key)
        kind = conn.type(key)
        if kind == b"string":
            values.append(conn.get(key) or b"")
        elif kind == b"hash":
            for field, value in conn.hgetall(key).items():
                values += [field, value]
        elif kind == b"list":
            values += conn.lrange(key, 0, -1)
        elif kind == b"set":
            values += list(conn.smembers(key))
        elif kind == b"zset":
            values += conn.zrange(key, 0, -1)
    for value in list(values):
        with contextlib.suppress(zlib.error):
            values.append(zlib.decompress(value))
    return values


def ingest_envelope(
    sessions: sessionmaker[Session],
    keyring,
    rules,
    envelope_id: str,
    envelope: bytes,
    blind_key: bytes | None = None,
) -> str:
    """Ingest as the worker does; with ``blind_key``, related items are linked too."""
    with transaction(sessions) as session:
        return ingest(session, keyring, rules, envelope_id, envelope, utcnow(), blind_key=blind_key)


def item_id_of(sessions: sessionmaker[Session], envelope_id: str) -> int:
    with sessions() as session:
        return session.scalars(
            select(QueueItem.id).where(QueueItem.envelope_id == envelope_id)
        ).one()
