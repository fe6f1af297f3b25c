"""Photos made in the test with Pillow, and multipart GraphQL requests (the GraphQL multipart
request spec) as a client sends them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from PIL import Image

from server.settings import settings

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003
ORIENTATION = 0x0112


def jpeg(
    color: tuple[int, int, int] = (200, 40, 40),
    *,
    gps: bool = True,
    size: tuple[int, int] = (640, 480),
    taken: str = "2026:11:20 09:15:00",
    orientation: int | None = None,
) -> bytes:
    """A JPEG photo with a capture time and (by default) a GPS position in its EXIF."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (22.0, 48.0, 30.0), 3: "E", 4: (113.0, 48.0, 10.0)})
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def heic() -> bytes:
    """An iPhone-style HEIC photo with a GPS position."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = "2026:11:21 16:05:00"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (22.0, 48.0, 30.0), 3: "E", 4: (113.0, 48.0, 10.0)})
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (10, 200, 30)).save(out, "HEIF", exif=exif.tobytes())
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 255, 128)).save(out, "PNG")
    return out.getvalue()


def gps_of(data: bytes) -> dict[int, Any]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def stored_files() -> set[Path]:
    root = settings.attachment_dir
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def multipart(
    client: Any,
    query: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes, str]],
    token: str | None,
) -> dict[str, Any]:
    """POST a GraphQL multipart request; `files` maps a variable path (variables.photos.0) to
    (name, bytes, content type)."""
    names = list(files)
    form = {
        "operations": json.dumps({"query": query, "variables": variables}),
        "map": json.dumps({str(i): [path] for i, path in enumerate(names)}),
    }
    parts = [(str(i), files[path]) for i, path in enumerate(names)]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", data=form, files=parts, headers=headers)
    assert response.status_code < 500, response.text
    return dict(response.json())
