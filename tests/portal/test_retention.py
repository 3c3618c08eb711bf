"""Delivered sealed data leaves the portal after the retention time; nothing else does."""

from __future__ import annotations

from datetime import timedelta

from portal.models import OutboxAttachment, utcnow
from portal.outbox import record_acknowledgement
from portal.retention import drop_delivered
from tests.portal.media import png_with_text
from tipline.db import transaction


def test_acknowledged_data_is_dropped_after_retention(reporter, rows, sessions) -> None:
    for _ in range(2):
        response = reporter.submit(files=[(png_with_text(), "screen.png")])
        assert response.status_code == 200
    first, second = rows.outbox()
    (file_of_first,) = [a for a in rows.attachments() if a.envelope_id == first.id]
    long_ago = utcnow() - timedelta(hours=30)
    with transaction(sessions) as session:
        record_acknowledgement(session, first.id, "stored", now=long_ago)
        session.get(OutboxAttachment, file_of_first.id).acked_at = long_ago

    with transaction(sessions) as session:
        assert drop_delivered(session, retention_hours=24) == 2
    with transaction(sessions) as session:
        assert drop_delivered(session, retention_hours=24) == 0

    by_id = {row.id: row for row in rows.outbox()}
    assert by_id[first.id].envelope == b""  # the row (and its receipt) stays; the bytes go
    assert len(by_id[second.id].envelope) > 100  # not acknowledged: kept for the relay
    assert [a.envelope_id for a in rows.attachments()] == [second.id]
    assert len(rows.receipts()) == 2


def test_recently_acknowledged_data_is_kept(reporter, rows, sessions) -> None:
    assert reporter.submit().status_code == 200
    (row,) = rows.outbox()
    with transaction(sessions) as session:
        record_acknowledgement(session, row.id, "stored")
    with transaction(sessions) as session:
        assert drop_delivered(session, retention_hours=24) == 0
    assert len(rows.outbox()[0].envelope) > 100
