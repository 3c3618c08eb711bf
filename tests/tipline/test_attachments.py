"""Chunk-sealed attachments: round trips at chunk boundaries, and every kind of damage."""

from __future__ import annotations

import io
import os

import pytest

from tipline import attachments as att

KEY = att.new_file_key()
SMALL = 1024  # small chunks so tests cross many chunk boundaries cheaply


def seal(data: bytes, attachment_id: str = "a" * 32, key: bytes = KEY) -> bytes:
    return b"".join(att.seal_stream(io.BytesIO(data), key, attachment_id, chunk_size=SMALL))


def reopen(sealed: bytes, attachment_id: str = "a" * 32, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    att.open_to(io.BytesIO(sealed), out, key, attachment_id)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 5 * SMALL + 7])
def test_round_trip(size: int) -> None:
    data = os.urandom(size)
    sealed = seal(data)
    assert len(sealed) == att.sealed_size(size, SMALL)
    assert reopen(sealed) == data


def test_default_chunking_streams_a_large_file(tmp_path) -> None:
    data = os.urandom(3 * att.CHUNK_SIZE + 5)
    src, dst = tmp_path / "plain", tmp_path / "sealed"
    src.write_bytes(data)
    with src.open("rb") as fin, dst.open("wb") as fout:
        att.seal_file(fin, fout, KEY, "b" * 32)
    with dst.open("rb") as fin:
        chunks = list(att.open_stream(fin, KEY, "b" * 32))
    assert len(chunks) == 4 and b"".join(chunks) == data


def test_truncation_is_detected() -> None:
    sealed = seal(os.urandom(3 * SMALL))
    with pytest.raises(att.AttachmentTampered):
        reopen(sealed[: -(SMALL + 16)])  # the whole last chunk dropped


def test_reordered_chunks_are_detected() -> None:
    sealed = seal(os.urandom(3 * SMALL))
    header, body = sealed[:8], sealed[8:]
    c = SMALL + 16
    swapped = header + body[c : 2 * c] + body[:c] + body[2 * c :]
    with pytest.raises(att.AttachmentTampered):
        reopen(swapped)


def test_flipped_bit_wrong_key_and_wrong_id() -> None:
    sealed = bytearray(seal(b"photo bytes" * 300))
    with pytest.raises(att.AttachmentTampered):
        reopen(bytes(sealed), key=att.new_file_key())
    with pytest.raises(att.AttachmentTampered):
        reopen(bytes(sealed), attachment_id="c" * 32)
    sealed[20] ^= 1
    with pytest.raises(att.AttachmentTampered):
        reopen(bytes(sealed))


def test_not_an_attachment() -> None:
    with pytest.raises(att.AttachmentMalformed):
        reopen(b"PK\x03\x04 a zip file")
