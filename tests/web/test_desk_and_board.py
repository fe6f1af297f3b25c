"""The desk's and the board's forms, in process: registration with a photo, duplicate candidates
while typing, and bulk dispatch."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image

from tests.helpers import data
from tests.web.test_sign_in import _csrf, _sign_in


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


async def _desk_choices(client: Any) -> tuple[str, str, str]:
    desk = await client.get("/app/desk")
    assert desk.status_code == 200
    category = re.search(r'<option value="([^"]+)">占道经营</option>', desk.text)
    station = re.search(r'<select id="station" name="station">\s*<option value="([^"]+)"', desk.text)
    assert category and station
    return _csrf(desk.text), category.group(1), station.group(1)


async def test_register_with_a_photo_then_it_shows_as_a_duplicate_candidate(client: Any) -> None:
    await _sign_in(client, "worker-xiagang")
    token, category, station = await _desk_choices(client)
    registered = await client.post(
        "/app/desk/tickets",
        data={
            "csrf_token": token,
            "category": category,
            "station": station,
            "description": "商铺占道经营",
            "reporter_name": "王先生",
            "reporter_phone": "13800138000",
        },
        files={"photos": ("scene.png", _png(), "image/png")},
    )
    assert registered.status_code == 303, registered.text[:500]
    page = await client.get(registered.headers["location"])
    assert "已登记" in page.text and "scene" in page.text
    number = registered.headers["location"].split("/app/tickets/")[1].split("?")[0]
    candidates = await client.get("/app/desk/duplicates", params={"category": category, "station": station})
    assert number in candidates.text and "可能重复" in candidates.text


async def test_registration_with_bad_input_says_why_and_registers_nothing(client: Any, gql: Any) -> None:
    await _sign_in(client, "worker-xiagang")
    token, category, station = await _desk_choices(client)
    before = data(await gql("{ tickets { totalCount } }"))["tickets"]["totalCount"]
    refused = await client.post(
        "/app/desk/tickets",
        data={"csrf_token": token, "category": category, "station": station, "description": "  "},
    )
    assert refused.status_code == 400
    assert 'id="form-error"' in refused.text
    assert data(await gql("{ tickets { totalCount } }"))["tickets"]["totalCount"] == before


async def test_bulk_dispatch_from_the_board(client: Any, gql: Any) -> None:
    await _sign_in(client, "chief-changan")
    board = await client.get("/app/board")
    picks = re.findall(r'name="ticket" value="([^"]+)"', board.text)
    assignee = re.search(r'<select id="bulk-assignee" name="assignee">\s*<option value="([^"]+)"', board.text)
    assert picks and assignee
    answer = await client.post(
        "/app/board/dispatch",
        data={"csrf_token": _csrf(board.text), "ticket": picks, "assignee": assignee.group(1)},
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/app/board?done={len(picks)}"
    for pick in picks:
        node = data(
            await gql(
                "query($id: ID!) { node(id: $id) { ... on Ticket { status } } }",
                {"id": pick.rsplit(":", 1)[0]},
                as_user="chief-changan",
            )
        )["node"]
        assert node == {"status": "DISPATCHED"}


async def test_the_board_refuses_an_empty_selection(client: Any) -> None:
    await _sign_in(client, "chief-changan")
    board = await client.get("/app/board")
    answer = await client.post("/app/board/dispatch", data={"csrf_token": _csrf(board.text), "assignee": "x"})
    assert answer.status_code == 400 and "请先勾选" in answer.text
