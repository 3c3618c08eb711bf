"""ReportSealer: seals to the newest unit key, follows rotation, fails closed without a key."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from portal.sealing import NoPublicKey, ReportSealer
from tipline import keys
from tipline.envelope import Purpose, open_envelope, read_header
from tipline.report_schema import SCHEMA_ID, ReportInvalid, decode


def document() -> dict:
    return {
        "schema": SCHEMA_ID,
        "kind": "report",
        "envelope_id": "0b6f2f4e-8a9c-4f7e-9a51-3f1f1d2e4c5a",
        "submitted_at": "2026-01-01T02:00:00+00:00",
        "channel": "web",
        "report": {
            "what_happened": "A post said there would be a shooting.",
            "category": "online_posts",
            "danger_now": "unsure",
            "weapons_access": "unsure",
        },
        "contact": None,
    }


def test_sealed_report_opens_only_with_the_unit_key(unit_key_dirs):
    sealer = ReportSealer(unit_key_dirs["public"])
    sealed = sealer.seal_report(document())
    assert b"shooting" not in sealed
    keyring = keys.load_private_keys(unit_key_dirs["private"])
    assert decode(open_envelope(sealed, keyring, Purpose.REPORT)) == document()
    assert read_header(sealed).key_id == sealer.key_id()


def test_invalid_document_is_not_sealed(unit_key_dirs):
    bad = document() | {"channel": "carrier-pigeon"}
    with pytest.raises(ReportInvalid):
        ReportSealer(unit_key_dirs["public"]).seal_report(bad)


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_no_public_key_means_not_ready_and_no_sealing(tmp_path, folder):
    path = tmp_path / folder
    if folder == "empty":
        path.mkdir()
    sealer = ReportSealer(path)
    assert not sealer.ready()
    with pytest.raises(NoPublicKey):
        sealer.seal_report(document())
    assert not ReportSealer(None).ready()


def test_a_newer_key_is_used_without_restart(tmp_path, unit_key_dirs):
    public, private = tmp_path / "public", tmp_path / "private"
    shutil.copytree(unit_key_dirs["public"], public)
    sealer = ReportSealer(public)
    old_id = sealer.key_id()
    newer = keys.generate(keys.SuiteId.X25519, now=datetime.now(UTC) + timedelta(days=1))
    keys.save(newer, public, private)
    # Make sure the folder's modification time moves even on coarse file systems.
    stat = public.stat()
    os.utime(public, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert sealer.key_id() == newer.key_id != old_id
    sealed = sealer.seal_report(document())
    assert decode(open_envelope(sealed, {newer.key_id: newer}, Purpose.REPORT))
