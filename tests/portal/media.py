"""Files for attachment tests, made with Pillow: photos with GPS, PNGs with text chunks, etc."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION, DATETIME_ORIGINAL = 0x010F, 0x0110, 0x0112, 0x9003
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="40,26.767N"/></rdf:RDF></x:xmpmeta>'
)


def jpeg_with_gps(width: int = 40, height: int = 20, orientation: int = 6) -> bytes:
    """A JPEG as a phone makes it: camera make/model, GPS position, rotation tag, XMP, ICC."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    # The left half is blue, so that orientation can be checked on the cleaned copy.
    image.paste((30, 30, 200), (0, 0, width // 2, height))
    exif = image.getexif()
    exif[MAKE] = "PhoneMaker"
    exif[MODEL] = "Phone 15 Pro"
    exif[ORIENTATION] = orientation
    exif.get_ifd(0x8769)[DATETIME_ORIGINAL] = "2026:03:01 02:14:00"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (40.0, 26.0, 46.0)
    gps[3] = "W"
    gps[4] = (79.0, 58.0, 56.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=XMP, icc_profile=b"\x00" * 128, comment=b"home")
    return out.getvalue()


def png_with_text(width: int = 8, height: int = 8) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jordan Example")
    info.add_text("Location", "40.446,-79.982")
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 0, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp_with_gps() -> bytes:
    image = Image.new("RGB", (8, 8), (1, 2, 3))
    exif = image.getexif()
    exif[MODEL] = "Phone 15 Pro"
    exif.get_ifd(GPS_IFD)[1] = "N"
    out = io.BytesIO()
    image.save(out, "WEBP", exif=exif, xmp=XMP)
    return out.getvalue()


# Enough of a Windows program's header to be one: "MZ", NULs, the PE stub text.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"This program cannot be run in DOS mode.\r\n"
    + b"\x00" * 64
)
PDF = b"%PDF-1.4\n1 0 obj << /Author (Jordan Example) >> endobj\ntrailer << >>\n%%EOF\n"
# An HEIC file starts with an ISO-BMFF "ftyp" box naming the heic brand.
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


# Format bookkeeping Pillow reports in ``info``: not metadata about the picture's origin.
HARMLESS_INFO = {
    "jfif",
    "jfif_version",
    "jfif_unit",
    "jfif_density",
    "dpi",
    "transparency",
    "loop",
    "background",
    "progressive",
    "progression",
}


def metadata_left(image_bytes: bytes) -> dict:
    """What metadata a picture still carries, as Pillow sees it."""
    with Image.open(io.BytesIO(image_bytes)) as image:
        exif = image.getexif()
        return {
            "exif": dict(exif),
            "gps": dict(exif.get_ifd(GPS_IFD)),
            "info": {k: v for k, v in image.info.items() if k not in HARMLESS_INFO},
            "size": image.size,
            "format": image.format,
        }


def pixel(image_bytes: bytes, xy: tuple[int, int]) -> tuple[int, ...]:
    with Image.open(io.BytesIO(image_bytes)) as image:
        return image.convert("RGB").getpixel(xy)
