"""Files a reporter attaches: checked and cleaned here, before anything is sealed.

- The type is decided from the file's first bytes (and, for text, from all of it), never from
  its name or the browser's Content-Type, against ``ATTACHMENT_MEDIA_TYPES``: JPEG, PNG, WebP,
  PDF, UTF-8 text without NUL bytes, and HEIC only when ``pillow_heif`` is installed.
- Pictures are decoded with Pillow, turned upright (EXIF orientation) and encoded again with no
  metadata at all: no EXIF (so no GPS, camera or time), no XMP, no ICC profile, no comments or
  text chunks. HEIC becomes JPEG. PDFs and text files are passed on unchanged (the form says
  that a PDF may carry its author's name).
- Limits: ``max_files`` per report or reply and ``max_bytes`` per file.
- Every file is copied to a private temporary folder in chunks, so memory stays bounded (a
  picture is decoded in memory, within ``MAX_PIXELS``).

A file that fails a check is *refused* with a plain reason; the other files and the rest of the
report go on. Nothing here logs a file name or content.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import unicodedata
from codecs import getincrementaldecoder
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol

from PIL import Image, ImageOps

from tipline.report_schema import ATTACHMENT_MEDIA_TYPES, ATTACHMENT_NAME_MAX

COPY_CHUNK = 64 * 1024
MAX_PIXELS = 60_000_000  # a 60-megapixel picture is already more than any phone takes
SNIFF_BYTES = 32

JPEG, PNG, WEBP, HEIC = "image/jpeg", "image/png", "image/webp", "image/heic"
PDF, TEXT = "application/pdf", "text/plain"
IMAGE_TYPES = frozenset({JPEG, PNG, WEBP, HEIC})
# HEIF brands of pictures phones take (ISO/IEC 23008-12); AVIF is not among them.
HEIC_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    PNG: (".png",),
    WEBP: (".webp",),
    HEIC: (".heic", ".heif"),
    PDF: (".pdf",),
    TEXT: (".txt", ".text", ".log", ".md", ".csv"),
}
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", HEIC: "HEIF"}
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"/\\|?*]')

assert set(EXTENSIONS) <= set(ATTACHMENT_MEDIA_TYPES)


def _heic_support() -> bool:
    """True when ``pillow_heif`` is installed (then Pillow can open HEIC pictures)."""
    try:
        import pillow_heif  # type: ignore[import-not-found]  # optional
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


HEIC_SUPPORTED = _heic_support()


class Upload(Protocol):
    """What the checks need of an uploaded file (werkzeug's ``FileStorage`` has it)."""

    filename: str | None
    stream: BinaryIO


@dataclass(frozen=True)
class UploadLimits:
    max_files: int
    max_bytes: int

    @property
    def size_words(self) -> str:
        """The size limit as people say it ("10 MB")."""
        megabytes = self.max_bytes / (1024 * 1024)
        if megabytes >= 1:
            return f"{megabytes:g} MB"
        return f"{max(1, round(self.max_bytes / 1024))} KB"


# --- plain-language reasons --------------------------------------------------------------


def reason_wrong_type() -> str:
    return (
        "We can only take photos (JPEG, PNG or WebP), PDF documents and plain text files. "
        "This file is something else, so it was not attached."
    )


def reason_heic() -> str:
    return (
        "This is an iPhone photo in HEIC format, which we cannot take. Take a screenshot of the "
        "photo and attach the screenshot instead."
    )


def reason_too_big(limits: UploadLimits) -> str:
    return (
        f"This file is bigger than {limits.size_words}, so it was not attached. "
        "Try a screenshot or a smaller copy of it."
    )


def reason_too_many(limits: UploadLimits) -> str:
    return (
        f"You can attach up to {limits.max_files} files at a time, so this one was not "
        "attached. You can add it later with your receipt code."
    )


def reason_unreadable_image() -> str:
    return (
        "We could not open this picture (it may be damaged or too large), so it was not "
        "attached. Try a screenshot of it instead."
    )


def reason_empty() -> str:
    return "This file is empty, so it was not attached."


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RefusedFile:
    """A file that was not attached, and why (shown to the reporter)."""

    name: str
    reason: str


@dataclass(frozen=True)
class CleanFile:
    """A checked file ready to seal: ``path`` holds exactly what will be sent."""

    name: str
    media_type: str
    path: Path
    size: int
    sha256: str
    cleaned: bool  # metadata was removed (pictures)
    original_name: str  # as the reporter's device named it (sanitized)

    @property
    def renamed(self) -> bool:
        return self.name != self.original_name

    @property
    def kind(self) -> str:
        return ATTACHMENT_MEDIA_TYPES[self.media_type]

    def __repr__(self) -> str:
        return f"CleanFile(media_type={self.media_type}, size={self.size})"


@dataclass
class CheckedUploads:
    """The outcome of checking one form's files. Owns the temporary folder: close it."""

    limits: UploadLimits
    accepted: list[CleanFile] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)
    _folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="tipline-upload-")
        return Path(self._folder.name)

    def close(self) -> None:
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> CheckedUploads:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__("file refused")
        self.reason = reason


# --- names -------------------------------------------------------------------------------


def safe_name(raw: str | None) -> str:
    """A file name safe to show and to send: no folders, controls or odd characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Drops control and format characters (including right-to-left overrides).
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    name = name or "file"
    if len(name) > ATTACHMENT_NAME_MAX:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            name = stem[: ATTACHMENT_NAME_MAX - len(suffix) - 1] + "." + suffix
        else:
            name = name[:ATTACHMENT_NAME_MAX]
    return name


def name_for(name: str, media_type: str) -> str:
    """``name`` with an extension that matches what the file really is."""
    allowed = EXTENSIONS[media_type]
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and ("." + suffix.lower()) in allowed:
        return name
    base = stem if dot and stem and len(suffix) <= 10 else name
    return safe_name(base[: ATTACHMENT_NAME_MAX - len(allowed[0])] + allowed[0])


# --- content -----------------------------------------------------------------------------


def sniff(head: bytes) -> str | None:
    """The media type announced by a file's first bytes (text is decided separately)."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return HEIC
    return None


def is_plain_text(path: Path) -> bool:
    """UTF-8 throughout, with no NUL byte."""
    decoder = getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(COPY_CHUNK):
                if b"\x00" in chunk:
                    return False
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _copy_limited(src: BinaryIO, dst: Path, max_bytes: int, limits: UploadLimits) -> int:
    size = 0
    with dst.open("wb") as out:
        while chunk := src.read(COPY_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise _Refused(reason_too_big(limits))
            out.write(chunk)
    return size


def _digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def clean_image(src: Path, dst: Path, media_type: str) -> str:
    """Re-encode a picture upright and without metadata; returns the output media type.

    Raises ``_Refused`` for pictures that cannot be decoded (or are too large in pixels).
    """
    pillow_format = _PILLOW_FORMATS[media_type]
    try:
        with Image.open(src, formats=[pillow_format]) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise _Refused(reason_unreadable_image())
            opened.load()
            upright = ImageOps.exif_transpose(opened)
    except _Refused:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _Refused(reason_unreadable_image()) from None
    # A fresh info dict: no EXIF, XMP, ICC profile, comment or text chunk can be carried over.
    # Transparency is pixel data, not metadata, and is kept.
    transparency = upright.info.get("transparency")
    upright.info = {} if transparency is None else {"transparency": transparency}
    out_type = JPEG if media_type == HEIC else media_type
    try:
        if out_type == JPEG:
            if upright.mode not in ("RGB", "L", "CMYK"):
                upright = upright.convert("RGB")
            upright.save(dst, "JPEG", quality=90)
        elif out_type == PNG:
            upright.save(dst, "PNG")
        else:
            if upright.mode not in ("RGB", "RGBA"):
                upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
            upright.save(dst, "WEBP", quality=90)
    except (OSError, ValueError):
        raise _Refused(reason_unreadable_image()) from None
    return out_type


def _check_one(upload: Upload, index: int, folder: Path, limits: UploadLimits) -> CleanFile:
    original = safe_name(upload.filename)
    raw = folder / f"{index}.raw"
    _copy_limited(upload.stream, raw, limits.max_bytes, limits)
    with raw.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise _Refused(reason_empty())
    media_type = sniff(head)
    if media_type is None:
        if not is_plain_text(raw):
            raise _Refused(reason_wrong_type())
        media_type = TEXT
    if media_type == HEIC and not HEIC_SUPPORTED:
        raise _Refused(reason_heic())
    final, cleaned = raw, False
    if media_type in IMAGE_TYPES:
        final = folder / f"{index}.clean"
        media_type = clean_image(raw, final, media_type)
        raw.unlink()
        cleaned = True
    size, sha256 = _digest(final)
    return CleanFile(
        name=name_for(original, media_type),
        media_type=media_type,
        path=final,
        size=size,
        sha256=sha256,
        cleaned=cleaned,
        original_name=original,
    )


def _chosen(upload: Upload) -> bool:
    """Browsers send an empty, nameless part when no file was chosen."""
    return bool(upload.filename)


def check_uploads(uploads: Iterable[Upload], limits: UploadLimits) -> CheckedUploads:
    """Check and clean every chosen file; the result owns a temporary folder (close it)."""
    result = CheckedUploads(limits)
    try:
        for upload in (u for u in uploads if _chosen(u)):
            if len(result.accepted) >= limits.max_files:
                result.refused.append(
                    RefusedFile(safe_name(upload.filename), reason_too_many(limits))
                )
                continue
            index = len(result.accepted) + len(result.refused)
            try:
                result.accepted.append(_check_one(upload, index, result.folder, limits))
            except _Refused as refusal:
                result.refused.append(RefusedFile(safe_name(upload.filename), refusal.reason))
    except BaseException:
        result.close()
        raise
    return result
