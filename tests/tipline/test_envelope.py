"""The sealed envelope: round trips, rotation, and a distinct error for each failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tipline import envelope, keys
from tipline.envelope import Purpose


@pytest.fixture(scope="module")
def hybrid() -> keys.PrivateKey:
    return keys.generate(keys.SuiteId.MLKEM768_X25519)


@pytest.fixture(scope="module")
def classic() -> keys.PrivateKey:
    return keys.generate(keys.SuiteId.X25519)


@pytest.mark.parametrize("suite", list(keys.SuiteId))
def test_round_trip_each_suite(suite: keys.SuiteId) -> None:
    key = keys.generate(suite)
    sealed = envelope.seal("Ein Bericht — ünïcode".encode(), key.public, Purpose.REPORT)
    header = envelope.read_header(sealed)
    assert (header.suite, header.key_id, header.purpose) == (suite, key.key_id, Purpose.REPORT)
    assert b"Bericht" not in sealed
    opened = envelope.open_envelope(sealed, {key.key_id: key}, Purpose.REPORT)
    assert opened.decode() == "Ein Bericht — ünïcode"


def test_sealing_twice_gives_different_bytes(hybrid: keys.PrivateKey) -> None:
    first = envelope.seal(b"same", hybrid.public, Purpose.REPORT)
    assert first != envelope.seal(b"same", hybrid.public, Purpose.REPORT)


def test_rotation_opens_old_and_new(tmp_path) -> None:
    pub, priv = tmp_path / "pub", tmp_path / "priv"
    old = keys.generate(now=datetime.now(UTC) - timedelta(days=30))
    new = keys.generate()
    keys.save(old, pub, priv)
    keys.save(new, pub, priv)
    assert keys.newest_public_key(pub).key_id == new.key_id
    ring = keys.load_private_keys(priv)
    sealed_before = envelope.seal(b"before rotation", old.public, Purpose.REPORT)
    sealed_after = envelope.seal(b"after", keys.newest_public_key(pub), Purpose.REPORT)
    assert envelope.open_envelope(sealed_before, ring, Purpose.REPORT) == b"before rotation"
    assert envelope.open_envelope(sealed_after, ring, Purpose.REPORT) == b"after"


def test_tampered_body_is_detected(hybrid: keys.PrivateKey) -> None:
    sealed = bytearray(envelope.seal(b"original", hybrid.public, Purpose.REPORT))
    sealed[-5] ^= 0x01
    with pytest.raises(envelope.TamperedEnvelope):
        envelope.open_envelope(bytes(sealed), {hybrid.key_id: hybrid}, Purpose.REPORT)


def test_header_is_bound_into_info(hybrid: keys.PrivateKey) -> None:
    """Relabelling a sealed report as a reply does not let it open as a reply."""
    sealed = bytearray(envelope.seal(b"report", hybrid.public, Purpose.REPORT))
    sealed[5] = Purpose.REPORTER_REPLY
    with pytest.raises(envelope.TamperedEnvelope):
        envelope.open_envelope(bytes(sealed), {hybrid.key_id: hybrid}, Purpose.REPORTER_REPLY)


def test_wrong_key_is_named(hybrid: keys.PrivateKey, classic: keys.PrivateKey) -> None:
    sealed = envelope.seal(b"for another unit", hybrid.public, Purpose.REPORT)
    with pytest.raises(envelope.UnknownKey, match=hybrid.key_id):
        envelope.open_envelope(sealed, {classic.key_id: classic}, Purpose.REPORT)


def test_same_key_id_other_private_key_is_tampering(hybrid: keys.PrivateKey) -> None:
    impostor = keys.generate()
    sealed = envelope.seal(b"x", hybrid.public, Purpose.REPORT)
    with pytest.raises(envelope.TamperedEnvelope):
        envelope.open_envelope(sealed, {hybrid.key_id: impostor}, Purpose.REPORT)


def test_unknown_version(hybrid: keys.PrivateKey) -> None:
    sealed = bytearray(envelope.seal(b"x", hybrid.public, Purpose.REPORT))
    sealed[3] = 9
    with pytest.raises(envelope.UnsupportedVersion, match="version 9"):
        envelope.open_envelope(bytes(sealed), {hybrid.key_id: hybrid}, Purpose.REPORT)


def test_unknown_suite(hybrid: keys.PrivateKey) -> None:
    sealed = bytearray(envelope.seal(b"x", hybrid.public, Purpose.REPORT))
    sealed[4] = 77
    with pytest.raises(envelope.UnsupportedSuite):
        envelope.open_envelope(bytes(sealed), {hybrid.key_id: hybrid}, Purpose.REPORT)


def test_wrong_purpose(hybrid: keys.PrivateKey) -> None:
    sealed = envelope.seal(b"x", hybrid.public, Purpose.MESSAGE_TO_REPORTER)
    with pytest.raises(envelope.WrongPurpose):
        envelope.open_envelope(sealed, {hybrid.key_id: hybrid}, Purpose.REPORT)


@pytest.mark.parametrize("data", [b"", b"TLE", b"not an envelope at all", b"TLE\x01\x01\x01\x05ab"])
def test_malformed(data: bytes, hybrid: keys.PrivateKey) -> None:
    with pytest.raises(envelope.MalformedEnvelope):
        envelope.open_envelope(data, {hybrid.key_id: hybrid}, Purpose.REPORT)


def test_errors_have_distinct_kinds() -> None:
    kinds = {
        cls.kind
        for cls in (
            envelope.MalformedEnvelope,
            envelope.UnsupportedVersion,
            envelope.UnsupportedSuite,
            envelope.WrongPurpose,
            envelope.UnknownKey,
            envelope.TamperedEnvelope,
        )
    }
    assert len(kinds) == 6
