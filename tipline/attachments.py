"""Sealed attachments: files encrypted in fixed-size chunks, so memory stays bounded.

Each file gets a fresh random 256-bit key. That key travels only *inside* the sealed report or
reply document (``attachments[].key``), so only the unit can read the file; the sealed file
itself travels and rests separately.

Format (a STREAM-style construction over AES-256-GCM)::

    magic "TLA" | version (1) | chunk size (4 bytes, big-endian) | chunk 0 | chunk 1 | ...

Every chunk but the last holds exactly ``chunk size`` bytes of plaintext (+16 bytes of tag).
The nonce of chunk *i* is ``i`` as 11 big-endian bytes followed by 1 if it is the last chunk,
else 0; the associated data is the header plus the attachment id. Reordered, dropped, repeated
or truncated chunks, or a file presented under another attachment id, fail to open
(``AttachmentTampered``). A per-file key makes counter nonces safe.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"TLA"
VERSION = 1
CHUNK_SIZE = 64 * 1024
_TAG = 16
_HEADER = struct.Struct(">3sBI")


class AttachmentError(Exception):
    """A sealed attachment cannot be opened. Messages never contain content."""


class AttachmentTampered(AttachmentError):
    pass


class AttachmentMalformed(AttachmentError):
    pass


def new_file_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def sealed_size(plain_size: int, chunk_size: int = CHUNK_SIZE) -> int:
    chunks = max(1, -(-plain_size // chunk_size))
    return _HEADER.size + plain_size + chunks * _TAG


def _read_full(src: BinaryIO, size: int) -> bytes:
    parts, want = [], size
    while want:
        part = src.read(want)
        if not part:
            break
        parts.append(part)
        want -= len(part)
    return b"".join(parts)


def seal_stream(
    src: BinaryIO, key: bytes, attachment_id: str, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield the sealed file piece by piece (header, then one sealed chunk at a time)."""
    header = _HEADER.pack(MAGIC, VERSION, chunk_size)
    aad = header + attachment_id.encode()
    aead = AESGCM(key)
    yield header
    index = 0
    current = _read_full(src, chunk_size)
    while True:
        following = _read_full(src, chunk_size) if len(current) == chunk_size else b""
        last = not following
        yield aead.encrypt(_nonce(index, last), current, aad)
        if last:
            return
        index += 1
        current = following


def seal_file(src: BinaryIO, dst: BinaryIO, key: bytes, attachment_id: str) -> int:
    """Seal ``src`` into ``dst``; returns the number of sealed bytes written."""
    written = 0
    for piece in seal_stream(src, key, attachment_id):
        dst.write(piece)
        written += len(piece)
    return written


def open_stream(src: BinaryIO, key: bytes, attachment_id: str) -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk; raises ``AttachmentError`` on any damage.

    A consumer that streams chunks out (a download) must be ready for the error to come after
    some chunks were yielded; ``open_to`` checks everything before returning.
    """
    header = _read_full(src, _HEADER.size)
    if len(header) != _HEADER.size:
        raise AttachmentMalformed("sealed attachment is truncated")
    magic, version, chunk_size = _HEADER.unpack(header)
    if magic != MAGIC:
        raise AttachmentMalformed("not a sealed attachment")
    if version != VERSION:
        raise AttachmentMalformed(f"sealed attachment version {version} is not supported")
    if not 1024 <= chunk_size <= 16 * 1024 * 1024:
        raise AttachmentMalformed("sealed attachment has an impossible chunk size")
    aad = header + attachment_id.encode()
    aead = AESGCM(key)
    index = 0
    current = _read_full(src, chunk_size + _TAG)
    while True:
        if len(current) < _TAG:
            raise AttachmentTampered("sealed attachment is truncated")
        following = _read_full(src, chunk_size + _TAG) if len(current) == chunk_size + _TAG else b""
        last = not following
        try:
            yield aead.decrypt(_nonce(index, last), current, aad)
        except InvalidTag:
            raise AttachmentTampered("sealed attachment failed authentication") from None
        if last:
            return
        index += 1
        current = following


def open_to(src: BinaryIO, dst: BinaryIO, key: bytes, attachment_id: str) -> int:
    """Open into ``dst`` (e.g. a temporary file); returns the plaintext size."""
    size = 0
    for chunk in open_stream(src, key, attachment_id):
        dst.write(chunk)
        size += len(chunk)
    return size


def random_id() -> str:
    """An attachment id: 32 hex characters, opaque."""
    return os.urandom(16).hex()
