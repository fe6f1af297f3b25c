"""What an uploaded file really is, decided from its bytes, and the form in which it is kept.

The name and the declared Content-Type are a client's claim: the type comes from the bytes
(JPEG, PNG, WebP, HEIC, PDF), and a file whose claim names another type is refused, as is one
whose bytes do not decode. Images are decoded and encoded again by Pillow, so what is stored is
exactly what Pillow understood: orientation applied, and no metadata carried over but the capture
time. Above all no GPS position: a citizen's photo taken at home must not say where home is. HEIC
(iPhones) is kept as JPEG, which every browser shows. A PDF cannot be re-encoded: it is kept as
sent once pypdf has parsed it, and downloads serve it as an attachment in a sandbox.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from server.clock import CITY_TZ

pillow_heif.register_heif_opener()

JPEG, PNG, WEBP, HEIC, PDF = "image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf"
NAMES = {JPEG: "JPEG", PNG: "PNG", WEBP: "WebP", HEIC: "HEIC", PDF: "PDF"}
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}
CLAIMED_BY_EXTENSION = {
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".jfif": JPEG,
    ".png": PNG,
    ".webp": WEBP,
    ".heic": HEIC,
    ".heif": HEIC,
    ".pdf": PDF,
}
CLAIMED_BY_TYPE = {
    "image/jpeg": JPEG,
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "image/png": PNG,
    "image/webp": WEBP,
    "image/heic": HEIC,
    "image/heif": HEIC,
    "application/pdf": PDF,
}
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; a decompression bomb is far beyond
THUMBNAIL_SIZE = (320, 320)
EXIF_IFD, DATETIME, DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x8769, 0x0132, 0x9003, 0x9011
MAX_NAME = 120
UNSAFE_NAME = re.compile(r"[^\w.\- ()\[\]]+")


class Refused(Exception):
    """A file that cannot be kept, with the reason in words for the uploader."""

    def __init__(self, message: str, code: str = "INVALID") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Prepared:
    """A file as it will be stored."""

    content_type: str
    data: bytes
    file_name: str
    width: int | None = None
    height: int | None = None
    captured_at: datetime | None = None
    thumbnail: bytes | None = None


def sniff(data: bytes) -> str | None:
    """The type the bytes say they are, by their signature."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return HEIC
    if data[:5] == b"%PDF-":
        return PDF
    return None


def safe_name(name: str, content_type: str) -> str:
    """The uploaded name without its directories, control characters or anything a file system or
    a Content-Disposition header would read as syntax; its extension the real type's."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = UNSAFE_NAME.sub("_", "".join(c for c in stem if unicodedata.category(c)[0] != "C")).strip(" ._")
    extension = EXTENSIONS.get(content_type, "")
    return (stem or "file")[: MAX_NAME - len(extension)] + extension


def _claim(name: str, declared_type: str) -> str | None:
    """The type a file's name or declared Content-Type claims, when it claims one we know."""
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    by_name = CLAIMED_BY_EXTENSION.get(extension)
    if by_name is not None:
        return by_name
    return CLAIMED_BY_TYPE.get(declared_type.split(";")[0].strip().lower())


def _capture_time(exif: Image.Exif) -> datetime | None:
    """EXIF DateTimeOriginal (else DateTime), read in its own offset when it has one, else in the
    city's time, as a camera in Dongguan writes it."""
    inner = exif.get_ifd(EXIF_IFD)
    raw = inner.get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = inner.get(OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            return datetime.fromisoformat(moment.isoformat() + offset.strip("\x00 "))
        except ValueError:
            pass
    return moment.replace(tzinfo=CITY_TZ)


def _flattened(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency over white."""
    if image.mode == "RGB":
        return image
    if image.mode in {"RGBA", "LA", "P", "PA"}:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _image(data: bytes, kind: str, name: str) -> Prepared:
    what = NAMES[kind]
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # structure and checksums, before decoding any pixels
        source = Image.open(io.BytesIO(data))  # lazy: the size is known, no pixel decoded yet
        if source.width * source.height > MAX_PIXELS:
            raise Refused(f"the image is larger than {MAX_PIXELS:,} pixels", "TOO_LARGE")
        source.load()
    except Refused:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,  # raised where warnings are errors (the tests)
    ):
        raise Refused(f"the file is not a readable {what} image", "UNREADABLE") from None
    captured_at = _capture_time(source.getexif())
    image = ImageOps.exif_transpose(source)  # the pixels as the camera meant them: no orientation tag needed
    out = io.BytesIO()
    # Only the capture time goes back in: no GPS, no camera serial, no maker notes, no thumbnail.
    kept = Image.Exif()
    if captured_at is not None:
        kept[DATETIME] = captured_at.strftime("%Y:%m:%d %H:%M:%S")
    icc = source.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    if kind in {JPEG, HEIC}:
        stored_type = JPEG
        _flattened(image).save(out, "JPEG", quality=90, exif=kept.tobytes(), **extra)
    elif kind == PNG:
        stored_type = PNG
        image.save(out, "PNG", optimize=False, **extra)  # no text chunks carried over
    else:
        stored_type = WEBP
        if image.mode not in {"RGB", "RGBA"}:
            image = image.convert("RGBA")
        image.save(out, "WEBP", quality=90, exif=kept.tobytes(), **extra)
    thumbnail = _flattened(image.copy())
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    small = io.BytesIO()
    thumbnail.save(small, "JPEG", quality=80)
    return Prepared(
        content_type=stored_type,
        data=out.getvalue(),
        file_name=safe_name(name, stored_type),
        width=image.width,
        height=image.height,
        captured_at=captured_at,
        thumbnail=small.getvalue(),
    )


def _pdf(data: bytes, name: str) -> Prepared:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = len(reader.pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise Refused("the file is not a readable PDF document", "UNREADABLE") from None
    if pages < 1:
        raise Refused("the PDF document has no pages", "UNREADABLE")
    return Prepared(content_type=PDF, data=data, file_name=safe_name(name, PDF))


def prepare(data: bytes, name: str, declared_type: str) -> Prepared:
    """The file as it will be stored, or Refused."""
    kind = sniff(data)
    if kind is None:
        raise Refused("the file is not a JPEG, PNG, WebP or HEIC image or a PDF document", "UNSUPPORTED_TYPE")
    claimed = _claim(name, declared_type)
    if claimed is not None and claimed != kind:
        raise Refused(
            f"the file is a {NAMES[kind]} but its name or type says {NAMES[claimed]}", "TYPE_MISMATCH"
        )
    return _pdf(data, name) if kind == PDF else _image(data, kind, name)
