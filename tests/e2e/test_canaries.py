"""Nothing that identifies a reporter, and no report text, is stored or logged anywhere.

Reports full of unique marker strings are sent from a marker client address and user agent;
the whole pipeline runs (portal, intake worker, portal worker, an officer opening the item);
then every table of both databases, every Redis key and value, and every captured log line
are searched for the markers.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from redis import Redis

from tests.e2e.harness import all_rows, receipt_code, running_system


def redis_dump(conn: Redis) -> list[bytes]:
    """Every key name and every stored value in the Redis database, as bytes."""
    out: list[bytes] = []
    for key in conn.scan_iter(count=1000):
        out.append(key)
        kind = conn.type(key).decode()
        if kind == "string":
            out.append(conn.get(key) or b"")
        elif kind == "hash":
            for field, value in conn.hgetall(key).items():
                out += [field, value]
        elif kind == "list":
            out += conn.lrange(key, 0, -1)
        elif kind == "set":
            out += list(conn.smembers(key))
        elif kind == "zset":
            out += [member for member, _ in conn.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            for _, entry in conn.xrange(key):
                for field, value in entry.items():
                    out += [field, value]
        else:
            pytest.fail(f"unexpected Redis type {kind} for {key!r}")
    return out


def db_dump(url: str) -> list[bytes]:
    values: list[bytes] = []
    for table, row in all_rows(url):
        for column, value in row.items():
            raw = (
                value if isinstance(value, bytes | bytearray | memoryview) else str(value).encode()
            )
            values.append(table.encode() + b"." + column.encode() + b"=" + bytes(raw))
    return values


def test_markers_appear_nowhere(make_settings, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(TIPLINE_PROXY_HOPS="1")
    tag = uuid.uuid4().hex[:10]
    markers = {
        "narrative": f"narrativecanary{tag}",
        "subject": f"subjectcanary{tag}",
        "location": f"placecanary{tag}",
        "when": f"whencanary{tag}",
        "detail": f"detailcanary{tag}",
        "name": f"Namecanary{tag}",
        "email": f"emailcanary{tag}@example.org",
        "phone": f"+1 555 {int(tag[:6], 16) % 10_000_000:07d}",
        "address": "198.51.100.73",
        "user_agent": f"CanaryBrowser/{tag}",
    }
    with running_system(settings) as system:
        headers = {"X-Forwarded-For": markers["address"], "User-Agent": markers["user_agent"]}
        codes = []
        for identity in ("anonymous", "share"):
            response = system.submit_report(
                headers=headers,
                what_happened=f"I saw {markers['narrative']} near the gym.",
                subject=markers["subject"],
                location=markers["location"],
                when=markers["when"],
                how_known_detail=markers["detail"],
                contact_choice=identity,
                contact_name=markers["name"],
                contact_email=markers["email"],
                contact_phone=markers["phone"],
            )
            assert response.status_code == 200, response.text[:500]
            codes.append(receipt_code(response.text))
        system.run_intake()
        system.run_portal_worker()
        officer = system.officer_session(system.add_officer())
        queue = officer.get(f"{system.triage_url}/queue", timeout=30).text
        first_item = queue.split('href="/items/')[1].split('"')[0]
        page = officer.get(f"{system.triage_url}/items/{first_item}", timeout=30).text
        assert markers["narrative"] in page  # the pipeline really carried the markers

    needles = {name: value.encode() for name, value in markers.items()}
    needles |= {f"code{i}": c.encode() for i, c in enumerate(codes)}
    needles |= {f"digits{i}": c.replace("-", "").encode() for i, c in enumerate(codes)}
    haystacks = {
        "portal database": db_dump(settings.portal_database_url or ""),
        "triage database": db_dump(settings.triage_database_url or ""),
        "redis": redis_dump(Redis.from_url(settings.redis_url or "")),
        "logs": [r.getMessage().encode() for r in caplog.records]
        + [line.encode() for line in capfd.readouterr().err.splitlines()],
    }
    assert haystacks["portal database"] and haystacks["redis"]
    found = [
        (where, name)
        for where, values in haystacks.items()
        for name, needle in needles.items()
        for value in values
        if needle.lower() in value.lower()
    ]
    assert found == []
