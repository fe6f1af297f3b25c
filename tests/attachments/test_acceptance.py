"""The issue's acceptance, through the public API: photos registered with a ticket in one multipart
request, read back only by those who may read the ticket, without their GPS position; refused
files change nothing; a crash between the files and the commit leaves nothing the cleanup misses."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from typing import Any

from PIL import Image

from server.settings import settings
from tests.attachments.helpers import gps_of, jpeg, multipart, png, stored_files
from tests.helpers import data
from tests.tickets.workflow_helpers import ids

REGISTER = """mutation($i: RegisterTicketInput!, $photos: [Upload!]) {
  registerTicket(input: $i, photos: $photos) { __typename
    ... on RegisterTicketPayload { ticket { id number attachments { id stage stageLabel contentType fileName
          width height capturedAt uploadedBy url thumbnailUrl } } }
    ... on ValidationError { code message fields { field code message } } } }"""

ATTACHMENTS = (
    """query($id: ID!) { node(id: $id) { ... on Ticket { number attachments { id url thumbnailUrl } } } }"""
)


def _input(ident: dict[str, str], description: str) -> dict[str, Any]:
    return {
        "source": "WALK_IN",
        "categoryId": ident["category"],
        "description": description,
        "reporterName": "王先生",
        "reporterPhone": "13800000000",
        "stationId": ident["station"],
    }


async def _count_tickets(gql: Any) -> int:
    return int(data(await gql("{ tickets { totalCount } }"))["tickets"]["totalCount"])


async def test_photos_registered_with_the_ticket_are_read_only_by_its_readers(client: Any, gql: Any) -> None:
    ident = await ids(gql)
    token = await gql.token("worker-xiagang")
    first, second = jpeg((200, 40, 40)), jpeg((40, 200, 40), orientation=6)
    assert gps_of(first), "the uploaded photo carries a GPS position"
    result = await multipart(
        client,
        REGISTER,
        {"i": _input(ident, "占道经营，附照片两张"), "photos": [None, None]},
        {
            "variables.photos.0": ("IMG_0001.JPG", first, "image/jpeg"),
            "variables.photos.1": ("../../etc/IMG 0002.jpeg", second, "image/jpeg"),
        },
        token,
    )
    payload = data(result)["registerTicket"]
    assert payload["__typename"] == "RegisterTicketPayload", payload
    ticket = payload["ticket"]
    photos = ticket["attachments"]
    assert [p["stage"] for p in photos] == ["INTAKE", "INTAKE"]
    assert photos[0]["stageLabel"] == "受理时"
    assert [p["contentType"] for p in photos] == ["image/jpeg", "image/jpeg"]
    assert photos[1]["fileName"] == "IMG 0002.jpg"  # no directories
    assert (photos[1]["width"], photos[1]["height"]) == (480, 640)  # orientation 6 applied
    assert photos[0]["capturedAt"].startswith("2026-11-20T09:15:00")
    assert photos[0]["uploadedBy"] == "worker-xiagang"

    # The uploader downloads it by the signed link alone (as an <img> would): no GPS, same time.
    response = await client.get(photos[0]["url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert gps_of(response.content) == {}
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (640, 480)
        assert image.getexif().get(0x0132) == "2026:11:20 09:15:00"
    thumbnail = await client.get(photos[0]["thumbnailUrl"])
    assert thumbnail.status_code == 200
    with Image.open(io.BytesIO(thumbnail.content)) as image:
        assert max(image.size) <= 320

    # Another community's worker: the ticket and its photos do not exist for it.
    shatou = await gql.token("worker-shatou")
    hidden = await gql(ATTACHMENTS, {"id": ticket["id"]}, as_user="worker-shatou")
    assert hidden["data"]["node"] is None
    path = photos[0]["url"].split("?")[0]
    refused = await client.get(path, headers={"Authorization": f"Bearer {shatou}"})
    assert refused.status_code == 404
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # A link made for someone else does not work for it either, nor does a tampered one.
    stolen = await client.get(photos[0]["url"], headers={"Authorization": f"Bearer {shatou}"})
    assert stolen.status_code == 404
    tampered = await client.get(photos[0]["url"].replace("/file?", "/thumbnail?"))
    assert tampered.status_code == 401

    # The town's area chief reads the ticket, so the photos, and the read is logged.
    seen = data(await gql(ATTACHMENTS, {"id": ticket["id"]}, as_user="chief-changan"))["node"]
    assert len(seen["attachments"]) == 2
    response = await client.get(seen["attachments"][1]["url"])
    assert response.status_code == 200
    assert gps_of(response.content) == {}
    reads = data(
        await gql(
            "query($n: String!) { personalDataReads(ticketNumber: $n) { nodes { actor fieldsRead } } }",
            {"n": ticket["number"]},
            as_user="admin",
        )
    )["personalDataReads"]["nodes"]
    assert {"actor": "chief-changan", "fieldsRead": "photo"} in reads


async def test_a_png_named_jpg_and_a_30_mb_file_are_refused_and_nothing_is_written(
    client: Any, gql: Any
) -> None:
    ident = await ids(gql)
    token = await gql.token("worker-xiagang")
    before, tickets = stored_files(), await _count_tickets(gql)
    description = "拒收的照片不留痕迹"
    huge = jpeg()[:-2] + os.urandom(30 * 1024 * 1024)
    result = await multipart(
        client,
        REGISTER,
        {"i": _input(ident, description), "photos": [None, None, None]},
        {
            "variables.photos.0": ("ok.jpg", jpeg(), "image/jpeg"),
            "variables.photos.1": ("photo.jpg", png(), "image/jpeg"),
            "variables.photos.2": ("big.jpg", huge, "image/jpeg"),
        },
        token,
    )
    payload = data(result)["registerTicket"]
    assert payload["__typename"] == "ValidationError", payload
    fields = {f["field"]: f["code"] for f in payload["fields"]}
    assert fields == {"photos[1]": "TYPE_MISMATCH", "photos[2]": "TOO_LARGE"}
    assert await _count_tickets(gql) == tickets
    assert stored_files() == before


async def test_a_crash_between_the_files_and_the_commit_leaves_no_ticket_and_the_cleanup_no_file(
    client: Any, gql: Any, database_url: str, monkeypatch: Any
) -> None:
    ident = await ids(gql)
    token = await gql.token("worker-xiagang")
    description = "写入照片后进程中断"
    before, tickets = stored_files(), await _count_tickets(gql)

    async def crash(*_args: Any, **_kwargs: Any) -> None:
        raise SystemError("the process dies here: files written, transaction not committed")

    # The rows are written last inside the ticket's transaction: failing there is the latest a
    # crash can come before the commit.
    monkeypatch.setattr("server.attachments.service.Pending.write", crash)
    result = await multipart(
        client,
        REGISTER,
        {"i": _input(ident, description), "photos": [None]},
        {"variables.photos.0": ("crash.jpg", jpeg((1, 2, 3)), "image/jpeg")},
        token,
    )
    assert result["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    monkeypatch.undo()
    assert await _count_tickets(gql) == tickets
    orphans = stored_files() - before
    assert len(orphans) == 2  # the photo and its thumbnail, with no row

    env = {**os.environ, "LIANXIN_DATABASE_URL": database_url, "LIANXIN_SECRET_KEY": settings.secret_key}
    command = [sys.executable, "-m", "lianxin.cli", "attachments", "cleanup"]
    kept = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert "0 orphans removed" in kept.stdout  # within the grace period an upload may still commit
    assert orphans <= stored_files()
    done = subprocess.run(
        [*command, "--grace-seconds", "0"], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert "0 orphans removed" not in done.stdout, done.stdout  # (earlier tests' rows were rolled back too)
    assert not stored_files() & orphans
