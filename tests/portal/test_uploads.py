"""Checking and cleaning attachments: type from content, limits, metadata removed."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from portal import uploads
from portal.uploads import UploadLimits, check_uploads, safe_name, sniff
from tests.portal.media import (
    EXE,
    HEIC,
    PDF,
    jpeg_with_gps,
    metadata_left,
    pixel,
    png_with_text,
    webp_with_gps,
)

LIMITS = UploadLimits(max_files=3, max_bytes=200_000)


@dataclass
class FakeUpload:
    """The two attributes of werkzeug's FileStorage the checks use (a plain value object)."""

    filename: str | None
    stream: io.BytesIO


def check(*files: tuple[bytes, str], limits: UploadLimits = LIMITS):
    return check_uploads([FakeUpload(name, io.BytesIO(data)) for data, name in files], limits)


def test_type_comes_from_content_not_the_name():
    with check((png_with_text(), "evidence.pdf"), (PDF, "notes.txt")) as result:
        png, pdf = result.accepted
        assert png.media_type == "image/png"
        assert png.name == "evidence.png" and png.original_name == "evidence.pdf"
        assert png.renamed
        assert pdf.media_type == "application/pdf" and pdf.name == "notes.pdf"
        assert result.refused == []


def test_a_program_named_like_a_photo_is_refused_with_a_reason():
    with check((EXE, "cute_cat.jpg"), (jpeg_with_gps(), "real.jpg")) as result:
        [refused] = result.refused
        assert refused.name == "cute_cat.jpg"
        assert "only take photos" in refused.reason
        assert [f.name for f in result.accepted] == ["real.jpg"]


def test_text_must_be_utf8_without_nul():
    text = "Il a dit « demain » 🙁\n".encode()
    with check(
        (text, "chat.txt"), (b"abc\x00def", "nul.txt"), (b"caf\xe9 latin-1", "old.txt")
    ) as result:
        assert [(f.name, f.media_type) for f in result.accepted] == [("chat.txt", "text/plain")]
        assert result.accepted[0].path.read_bytes() == text  # text is passed on unchanged
        assert [r.name for r in result.refused] == ["nul.txt", "old.txt"]


def test_too_big_and_too_many_are_refused_one_by_one():
    small = png_with_text()
    big = b"%PDF-1.7\n" + b"0" * LIMITS.max_bytes
    files = [(big, "big.pdf")] + [(small, f"{n}.png") for n in range(4)]
    with check(*files) as result:
        assert [f.name for f in result.accepted] == ["0.png", "1.png", "2.png"]
        reasons = {r.name: r.reason for r in result.refused}
        assert "up to 3 files" in reasons["3.png"]
        assert "bigger than" in reasons["big.pdf"]
    # One file too big does not use up a place: the next one still fits.
    with check((big, "big.pdf"), (small, "a.png"), limits=UploadLimits(1, LIMITS.max_bytes)) as r:
        assert [f.name for f in r.accepted] == ["a.png"]
        assert "bigger than 195 KB" in r.refused[0].reason


def test_empty_and_unchosen_inputs():
    with check((b"", ""), (b"", "empty.txt")) as result:
        assert result.accepted == []
        assert [r.name for r in result.refused] == ["empty.txt"]  # the nameless part is skipped


def test_jpeg_loses_exif_gps_xmp_icc_and_comment_and_is_turned_upright():
    photo = jpeg_with_gps(width=40, height=20, orientation=6)
    assert metadata_left(photo)["gps"]  # the test photo really carries a position
    with check((photo, "IMG_0001.JPG")) as result:
        [clean] = result.accepted
        data = clean.path.read_bytes()
    left = metadata_left(data)
    assert left["format"] == "JPEG" and clean.cleaned
    assert left["exif"] == {} and left["gps"] == {}
    assert left["info"] == {}  # no exif, xmp, icc_profile or comment
    for marker in (b"PhoneMaker", b"Phone 15", b"xmpmeta", b"Exif", b"home", b"2026:03:01"):
        assert marker not in data
    # Orientation 6 means "rotate 90° clockwise to view": the stored copy is upright.
    assert left["size"] == (20, 40)
    assert pixel(data, (10, 2))[2] > 150  # the blue (left) half is now on top


@pytest.mark.parametrize(
    ("make", "name", "expected"),
    [(png_with_text, "shot.png", "PNG"), (webp_with_gps, "shot.webp", "WEBP")],
)
def test_png_and_webp_lose_their_metadata(make, name, expected):
    with check((make(), name)) as result:
        [clean] = result.accepted
        data = clean.path.read_bytes()
    left = metadata_left(data)
    assert left["format"] == expected
    assert left["exif"] == {} and left["gps"] == {} and left["info"] == {}
    for marker in (b"Jordan", b"40.446", b"Phone 15", b"xmpmeta"):
        assert marker not in data


def test_png_transparency_is_kept():
    with check((png_with_text(), "a.png")) as result:
        data = result.accepted[0].path.read_bytes()
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 128


def test_damaged_picture_is_refused_with_a_reason():
    photo = jpeg_with_gps()
    with check((photo[:200], "cut.jpg"), (b"\x89PNG\r\n\x1a\n" + b"junk" * 10, "bad.png")) as r:
        assert r.accepted == []
        assert all("could not open this picture" in x.reason for x in r.refused)


@pytest.mark.skipif(uploads.HEIC_SUPPORTED, reason="pillow_heif is installed here")
def test_heic_without_support_asks_for_a_screenshot():
    assert sniff(HEIC) == "image/heic"
    with check((HEIC, "IMG_4410.HEIC")) as result:
        [refused] = result.refused
        assert "screenshot" in refused.reason and "HEIC" in refused.reason


def test_sha256_and_size_describe_what_is_sent():
    import hashlib

    with check((PDF, "a.pdf")) as result:
        [clean] = result.accepted
        assert clean.size == len(PDF) and clean.sha256 == hashlib.sha256(PDF).hexdigest()


def test_temporary_files_are_removed_on_close():
    result = check((PDF, "a.pdf"))
    folder = result.folder
    assert any(folder.iterdir())
    result.close()
    assert not folder.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C:\\Users\\sam\\Desktop\\chat.png", "chat.png"),
        ("../../etc/passwd", "passwd"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override removed
        ("  .hidden  ", "hidden"),
        ("", "file"),
        (None, "file"),
        ('a<b>:"c".txt', "a_b___c_.txt"),
        ("x" * 300 + ".jpeg", "x" * 195 + ".jpeg"),
    ],
)
def test_safe_names(raw, expected):
    assert safe_name(raw) == expected
