"""Attachments beyond intake: photos with the resolution, on site, removal, proposals' reply
letters, link expiry, Open311 media, and erasure, through the public API."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from pypdf import PdfWriter

from server import clock
from tests.attachments.helpers import gps_of, heic, jpeg, multipart, png
from tests.helpers import data
from tests.sharing.test_open311 import _key
from tests.tickets.workflow_helpers import ids

REGISTER = """mutation($i: RegisterTicketInput!, $photos: [Upload!]) {
  registerTicket(input: $i, photos: $photos) { __typename
    ... on RegisterTicketPayload { ticket { id number version attachments { id url } } }
    ... on ValidationError { fields { field code } } } }"""
ADD_TICKET = """mutation($t: ID!, $s: AttachmentStage!, $f: [Upload!]!) {
  addTicketAttachment(ticketId: $t, stage: $s, files: $f) { __typename
    ... on AttachmentsPayload { attachments { id stage contentType url thumbnailUrl } }
    ... on ValidationError { fields { field code message } }
    ... on ForbiddenError { code } ... on NotFoundError { code } } }"""
ADD_PROPOSAL = """mutation($p: ID!, $s: AttachmentStage!, $f: [Upload!]!) {
  addProposalAttachment(proposalId: $p, stage: $s, files: $f) { __typename
    ... on AttachmentsPayload { attachments { id stage contentType fileName url thumbnailUrl } }
    ... on ValidationError { fields { field code message } }
    ... on ForbiddenError { code } ... on NotFoundError { code } } }"""
REMOVE = """mutation($id: ID!) { removeAttachment(id: $id) { __typename
  ... on RemoveAttachmentPayload { removedId }
  ... on ForbiddenError { code } ... on NotFoundError { code } } }"""
TICKET = "query($id: ID!) { node(id: $id) { ... on Ticket { attachments { id stage url thumbnailUrl } } } }"


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def _register(client: Any, gql: Any, phone: str = "13800000000", photos: int = 1) -> dict[str, Any]:
    ident = await ids(gql)
    variables = {
        "i": {
            "source": "WALK_IN",
            "categoryId": ident["category"],
            "description": "占道经营",
            "reporterName": "王先生",
            "reporterPhone": phone,
            "stationId": ident["station"],
        },
        "photos": [None] * photos,
    }
    files = {f"variables.photos.{i}": (f"p{i}.jpg", jpeg((i, 90, 90)), "image/jpeg") for i in range(photos)}
    result = await multipart(client, REGISTER, variables, files, await gql.token("worker-xiagang"))
    payload = data(result)["registerTicket"]
    assert payload["__typename"] == "RegisterTicketPayload", payload
    return dict(payload["ticket"])


async def test_on_site_and_resolution_photos_and_who_may_remove_them(client: Any, gql: Any) -> None:
    ticket = await _register(client, gql)
    chief = await gql.token("chief-changan")
    # The community worker may not add on-site photos (ticket:arrive is the area chief's).
    refused = await multipart(
        client,
        ADD_TICKET,
        {"t": ticket["id"], "s": "ON_SITE", "f": [None]},
        {"variables.f.0": ("site.jpg", jpeg(), "image/jpeg")},
        await gql.token("worker-xiagang"),
    )
    assert data(refused)["addTicketAttachment"]["__typename"] == "ForbiddenError"
    added = data(
        await multipart(
            client,
            ADD_TICKET,
            {"t": ticket["id"], "s": "ON_SITE", "f": [None]},
            {"variables.f.0": ("site.png", png(), "image/png")},
            chief,
        )
    )["addTicketAttachment"]
    assert added["__typename"] == "AttachmentsPayload", added
    [site] = added["attachments"]
    assert (site["stage"], site["contentType"]) == ("ON_SITE", "image/png")
    # A file that is none of the kinds kept, and one that only starts like a JPEG.
    bad = data(
        await multipart(
            client,
            ADD_TICKET,
            {"t": ticket["id"], "s": "ON_SITE", "f": [None, None]},
            {
                "variables.f.0": ("notes.txt", b"just text", "text/plain"),
                "variables.f.1": ("broken.jpg", jpeg()[:200], "image/jpeg"),
            },
            chief,
        )
    )["addTicketAttachment"]
    assert {f["field"]: f["code"] for f in bad["fields"]} == {
        "files[0]": "UNSUPPORTED_TYPE",
        "files[1]": "UNREADABLE",
    }

    # Resolution with its photos in the same request.
    dispatched = data(
        await gql(
            "mutation($t: TicketVersion!, $a: ID!) { dispatchTicket(ticket: $t, assigneeId: $a) {"
            " ... on TicketPayload { ticket { version } } } }",
            {"t": {"id": ticket["id"], "version": ticket["version"]}, "a": (await ids(gql))["chief"]},
            as_user="chief-changan",
        )
    )["dispatchTicket"]["ticket"]
    dispatched = data(
        await gql(
            "mutation($t: TicketVersion!) { markTicketOnSite(ticket: $t) {"
            " ... on TicketPayload { ticket { version } } } }",
            {"t": {"id": ticket["id"], "version": dispatched["version"]}},
            as_user="chief-changan",
        )
    )["markTicketOnSite"]["ticket"]
    resolve = """mutation($t: TicketVersion!, $p: [Upload!]) { resolveTicket(ticket: $t, method: SERVICE,
      note: "劝导后已整改", photos: $p) { __typename ... on TicketPayload { ticket { status
      attachments { stage } } } ... on ValidationError { fields { field code } }
      ... on ConflictError { currentVersion } } }"""
    stale = {"id": ticket["id"], "version": dispatched["version"] - 1}
    conflict = data(
        await multipart(
            client,
            resolve,
            {"t": stale, "p": [None]},
            {"variables.p.0": ("after.jpg", jpeg(), "image/jpeg")},
            chief,
        )
    )["resolveTicket"]
    assert conflict["__typename"] == "ConflictError"
    current = {"id": ticket["id"], "version": dispatched["version"]}
    resolved = data(
        await multipart(
            client,
            resolve,
            {"t": current, "p": [None]},
            {"variables.p.0": ("after.jpg", jpeg(), "image/jpeg")},
            chief,
        )
    )["resolveTicket"]
    assert resolved["__typename"] == "TicketPayload", resolved
    assert [a["stage"] for a in resolved["ticket"]["attachments"]] == ["INTAKE", "ON_SITE", "RESOLUTION"]

    # Only the uploader or an administrator removes one.
    assert data(await gql(REMOVE, {"id": site["id"]}, as_user="worker-xiagang"))["removeAttachment"] == {
        "__typename": "ForbiddenError",
        "code": "FORBIDDEN",
    }
    assert (
        data(await gql(REMOVE, {"id": site["id"]}, as_user="worker-shatou"))["removeAttachment"]["__typename"]
        == "NotFoundError"
    )
    removed = data(await gql(REMOVE, {"id": site["id"]}, as_user="chief-changan"))["removeAttachment"]
    assert removed == {"__typename": "RemoveAttachmentPayload", "removedId": site["id"]}
    intake = ticket["attachments"][0]["id"]
    assert data(await gql(REMOVE, {"id": intake}, as_user="admin"))["removeAttachment"]["__typename"] == (
        "RemoveAttachmentPayload"
    )
    left = data(await gql(TICKET, {"id": ticket["id"]}))["node"]["attachments"]
    assert [a["stage"] for a in left] == ["RESOLUTION"]
    assert (await client.get(site["url"])).status_code == 404


async def test_a_photo_that_is_not_a_file_is_a_typed_error(gql: Any) -> None:
    ident = await ids(gql)
    variables = {
        "i": {
            "source": "WALK_IN",
            "categoryId": ident["category"],
            "description": "x",
            "stationId": ident["station"],
        },
        "photos": ["aGVsbG8="],  # base64 in JSON variables: files travel as multipart parts only
    }
    answer = data(await gql(REGISTER, variables, as_user="worker-xiagang"))["registerTicket"]
    assert answer == {
        "__typename": "ValidationError",
        "fields": [{"field": "photos[0]", "code": "NOT_A_FILE"}],
    }


async def test_an_iphone_heic_photo_is_kept_as_jpeg_without_its_position(client: Any, gql: Any) -> None:
    ticket = await _register(client, gql)
    photo = heic()
    assert gps_of(photo)
    added = data(
        await multipart(
            client,
            ADD_TICKET,
            {"t": ticket["id"], "s": "INTAKE", "f": [None]},
            {"variables.f.0": ("IMG_4032.HEIC", photo, "image/heic")},
            await gql.token("worker-xiagang"),
        )
    )["addTicketAttachment"]
    [kept] = added["attachments"]
    assert kept["contentType"] == "image/jpeg"
    response = await client.get(kept["url"])
    assert response.headers["content-type"] == "image/jpeg" and gps_of(response.content) == {}


async def test_a_citizens_photo_needs_personal_data_permission_and_links_expire(
    client: Any, gql: Any, monkeypatch: Any
) -> None:
    ticket = await _register(client, gql)
    # A deputy reads tickets without citizens' personal data: the photo is listed without a link.
    [listed] = data(await gql(TICKET, {"id": ticket["id"]}, as_user="deputy"))["node"]["attachments"]
    assert listed["url"] is None and listed["thumbnailUrl"] is None
    deputy = await gql.token("deputy")
    path = ticket["attachments"][0]["url"].split("?")[0]
    refused = await client.get(path, headers={"Authorization": f"Bearer {deputy}"})
    assert refused.status_code == 403
    # A link lives for minutes.
    url = ticket["attachments"][0]["url"]
    assert (await client.get(url)).status_code == 200
    later = clock.now() + timedelta(minutes=6)
    monkeypatch.setattr("server.clock.now", lambda: later)
    expired = await client.get(url)
    assert expired.status_code == 401 and "expired" in expired.json()["errors"][0]["message"]
    # After logging out, the session's links die with it.
    monkeypatch.undo()
    assert data(await gql("mutation { logout { __typename } }", as_user="worker-xiagang"))
    assert (await client.get(url)).status_code == 401


async def test_reply_letters_on_a_proposal(client: Any, gql: Any) -> None:
    proposal = data(await gql('{ proposals(filter: {search: "16-7-0001"}) { nodes { id } } }'))["proposals"][
        "nodes"
    ][0]
    bureau = await gql.token("bureau")
    fake = data(
        await multipart(
            client,
            ADD_PROPOSAL,
            {"p": proposal["id"], "s": "REPLY", "f": [None]},
            {"variables.f.0": ("reply.pdf", b"%PDF-1.7\nnot really a pdf", "application/pdf")},
            bureau,
        )
    )["addProposalAttachment"]
    assert fake["fields"][0]["code"] == "UNREADABLE"
    wrong_stage = data(
        await multipart(
            client,
            ADD_PROPOSAL,
            {"p": proposal["id"], "s": "ON_SITE", "f": [None]},
            {"variables.f.0": ("reply.pdf", _pdf(), "application/pdf")},
            bureau,
        )
    )["addProposalAttachment"]
    assert wrong_stage["fields"][0]["field"] == "stage"
    added = data(
        await multipart(
            client,
            ADD_PROPOSAL,
            {"p": proposal["id"], "s": "REPLY", "f": [None]},
            {"variables.f.0": ("答复函 2022.pdf", _pdf(), "application/pdf")},
            bureau,
        )
    )["addProposalAttachment"]
    [letter] = added["attachments"]
    assert (letter["contentType"], letter["fileName"], letter["thumbnailUrl"]) == (
        "application/pdf",
        "答复函 2022.pdf",
        None,
    )
    response = await client.get(letter["url"])
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["content-security-policy"]
    # Congress staff read the correspondence; a data-sharing key reading proposals does not.
    query = "query($id: ID!) { node(id: $id) { ... on Proposal { attachments { stage } } } }"
    staff = data(await gql(query, {"id": proposal["id"]}, as_user="congress"))["node"]["attachments"]
    assert staff == [{"stage": "REPLY"}]


async def test_open311_media_url_and_a_post_with_media(client: Any, gql: Any) -> None:
    ticket = await _register(client, gql)
    key = await _key(gql, ["ticket", "ticket_personal", "ticket_submit"])
    [listed] = (
        await client.get(
            "/open311/v2/requests.json", params={"api_key": key, "service_request_id": ticket["number"]}
        )
    ).json()
    assert listed["media_url"].startswith("http://testserver/attachments/")
    photo = await client.get(listed["media_url"])  # no key on the GET: the link is the key's
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert gps_of(photo.content) == {}

    place = data(
        await gql('{ stations(filter: {search: "厦岗社区城市服务驿站"}) { nodes { latitude longitude } } }')
    )
    station = place["stations"]["nodes"][0]
    form = {
        "api_key": key,
        "service_code": "occupying_road",
        "lat": str(station["latitude"]),
        "long": str(station["longitude"]),
        "description": "附照片",
    }
    bad = await client.post(
        "/open311/v2/requests.json", data=form, files={"media": ("x.jpg", png(), "image/jpeg")}
    )
    assert bad.status_code == 400 and "media" in bad.json()[0]["description"]
    unplaced = await client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "occupying_road"},
        files={"media": ("street.jpg", jpeg(), "image/jpeg")},
    )
    assert unplaced.status_code == 400  # refused before the photo is read; its temporary file closed
    created = await client.post(
        "/open311/v2/requests.json", data=form, files={"media": ("street.jpg", jpeg(), "image/jpeg")}
    )
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]
    [read] = (
        await client.get("/open311/v2/requests.json", params={"api_key": key, "service_request_id": number})
    ).json()
    assert read["media_url"]


async def test_erasing_a_citizens_data_removes_their_photos(client: Any, gql: Any) -> None:
    ticket = await _register(client, gql, phone="13912345678", photos=2)
    erased = data(
        await gql(
            'mutation { erasePersonalData(phone: "13912345678", reason: "本人申请删除", force: true) {'
            " __typename } }"
        )
    )["erasePersonalData"]
    assert erased["__typename"] == "ErasePersonalDataPayload", erased
    assert data(await gql(TICKET, {"id": ticket["id"]}))["node"]["attachments"] == []
    bureau = await gql.token("bureau")
    gone = await client.get(
        ticket["attachments"][0]["url"].split("?")[0], headers={"Authorization": f"Bearer {bureau}"}
    )
    assert gone.status_code == 404
