"""Attached files for officers: listed on the item, downloaded whole and checked, never inline,
every download audited, and only files the item's own documents name."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.triage.conftest import sealed_file
from tests.triage.helpers import ingest_envelope, item_id_of
from tipline.db import transaction
from triage import files
from triage.models import AuditEvent

CHUNK = 1024  # the smallest chunk size, so small test files span several chunks


def store_file(sessions, descriptor: dict, sealed: bytes) -> None:
    with transaction(sessions) as session:
        files.store(session, descriptor["id"], sealed, datetime.now(UTC), 10**8)


def report_with_files(sessions, keyring, rules, sealed_report, *descriptors: dict) -> int:
    envelope_id, envelope, _ = sealed_report(attachments=list(descriptors))
    ingest_envelope(sessions, keyring, rules, envelope_id, envelope)
    return item_id_of(sessions, envelope_id)


def events(sessions, action: str) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def download_links(page: str) -> list[str]:
    return re.findall(r'href="(/items/\d+/attachments/[0-9a-f]{32})"', page)


def test_an_officer_downloads_the_exact_file_as_an_attachment(
    logged_in, sessions, keyring, rules, sealed_report
) -> None:
    content = os.urandom(150_000)
    descriptor, sealed = sealed_file(content, name='../../etc/"bus photo".jpg')
    item_id = report_with_files(sessions, keyring, rules, sealed_report, descriptor)
    store_file(sessions, descriptor, sealed)

    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert "Files attached to the report" in page
    assert "JPEG image, 146.5 KB" in page
    (link,) = download_links(page)
    assert link == f"/items/{item_id}/attachments/{descriptor['id']}"

    response = logged_in.get(link)
    assert response.status_code == 200
    assert response.data == content
    assert response.headers["Content-Disposition"] == 'attachment; filename="etc_bus photo_.jpg"'
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]

    (event,) = events(sessions, "attachment-downloaded")
    assert event.item_id == item_id and event.officer_id is not None
    assert event.detail == {"attachment": descriptor["id"], "size": len(content)}
    logged_in.get(link)
    assert len(events(sessions, "attachment-downloaded")) == 2  # every download


def test_a_file_named_by_a_reply_can_arrive_after_it(
    logged_in, sessions, keyring, rules, sealed_report, sealed_reply
) -> None:
    report_id, report, _ = sealed_report()
    ingest_envelope(sessions, keyring, rules, report_id, report)
    item_id = item_id_of(sessions, report_id)
    descriptor, sealed = sealed_file(
        b"%PDF-1.4 minutes", name="minutes.pdf", media_type="application/pdf"
    )
    reply_id, reply, _ = sealed_reply(report_id, text="", attachments=[descriptor])
    ingest_envelope(sessions, keyring, rules, reply_id, reply)

    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert "minutes.pdf" in page and "PDF document, 16 bytes" in page
    assert "still arriving" in page and download_links(page) == []
    early = logged_in.get(f"/items/{item_id}/attachments/{descriptor['id']}")
    assert early.status_code == 404 and "Still arriving" in early.get_data(as_text=True)

    store_file(sessions, descriptor, sealed)
    page = logged_in.get(f"/items/{item_id}").get_data(as_text=True)
    assert "still arriving" not in page
    (link,) = download_links(page)
    assert logged_in.get(link).data == b"%PDF-1.4 minutes"


def test_only_files_named_by_the_item_and_only_for_its_unit(
    logged_in, stranger, sessions, keyring, rules, sealed_report
) -> None:
    mine, mine_sealed = sealed_file(b"mine")
    other, other_sealed = sealed_file(b"someone else's")
    item_id = report_with_files(sessions, keyring, rules, sealed_report, mine)
    report_with_files(sessions, keyring, rules, sealed_report, other)
    store_file(sessions, mine, mine_sealed)
    store_file(sessions, other, other_sealed)

    # Held here, but named by another item's report.
    not_named = logged_in.get(f"/items/{item_id}/attachments/{other['id']}")
    assert not_named.status_code == 404 and not_named.data != b"someone else's"
    # An officer of another unit, asking for the right file of the right item.
    other_unit = stranger.get(f"/items/{item_id}/attachments/{mine['id']}")
    assert other_unit.status_code == 404 and other_unit.data != b"mine"

    denied = events(sessions, "access-denied")
    assert [(e.item_id, e.detail.get("reason")) for e in denied] == [
        (item_id, "not-named-by-item"),
        (item_id, None),  # the item itself is not theirs
    ]
    assert events(sessions, "attachment-downloaded") == []


def damage(case: str, sealed: bytes, descriptor: dict) -> tuple[bytes, dict]:
    if case == "flipped-byte":
        broken = bytearray(sealed)
        broken[-20] ^= 0x01  # in the last chunk: the first chunks still open
        return bytes(broken), descriptor
    if case == "truncated":
        return sealed[: len(sealed) - (CHUNK + 16) // 2], descriptor
    return sealed, descriptor | {"sha256": "0" * 64}  # opens, but is not what was sent


@pytest.mark.parametrize("case", ["flipped-byte", "truncated", "wrong-hash"])
def test_a_damaged_file_is_an_error_page_never_part_of_a_download(
    logged_in, sessions, keyring, rules, sealed_report, case
) -> None:
    content = b"FIRSTCHUNK" * 300 + b"the rest"
    descriptor, sealed = sealed_file(content, chunk_size=CHUNK)
    sealed, named = damage(case, sealed, descriptor)
    item_id = report_with_files(sessions, keyring, rules, sealed_report, named)
    store_file(sessions, descriptor, sealed)

    response = logged_in.get(f"/items/{item_id}/attachments/{descriptor['id']}")
    assert response.status_code == 500
    assert "Content-Disposition" not in response.headers
    assert b"FIRSTCHUNK" not in response.data
    assert "File cannot be opened" in response.get_data(as_text=True)
    assert events(sessions, "attachment-downloaded") == []
    (event,) = events(sessions, "attachment-damaged")
    assert event.detail["attachment"] == descriptor["id"]


def test_download_names_are_safe_and_match_the_checked_type() -> None:
    def name(raw: str, media_type: str = "image/png") -> str:
        return files.download_name({"id": "ab" * 16, "name": raw, "media_type": media_type})

    assert name("Screenshot 2030-01-06.png") == "Screenshot 2030-01-06.png"
    assert name("café\r\nSet-Cookie: x.png") == "cafe_Set-Cookie_ x.png"
    assert name("invoice.pdf.exe", "application/pdf") == "invoice.pdf.pdf"
    assert name("🚌", "text/plain") == "attachment-abababab.txt"
    assert name("....") == "attachment-abababab.png"
