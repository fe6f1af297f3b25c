"""Pagination by cursor: keyset cursors on orders with a key, offsets elsewhere, old offset
cursors everywhere, and foreign or forged cursors refused as BAD_USER_INPUT."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.helpers import data, error_codes
from tests.tickets.workflow_helpers import Clock, at, ids, register

TICKETS = """query($order: TicketOrder, $n: Int, $after: String) {
  tickets(order: $order, first: $n, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id registeredAt resolutionDue } } } }"""

STATIONS = """query($order: StationOrder, $n: Int, $after: String) {
  stations(order: $order, first: $n, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id name openedOn floorArea } } } }"""

TICKET_ORDERS = ["NEWEST_FIRST", "OLDEST_FIRST", "DUE_FIRST"]
STATION_ORDERS = [
    "ID_ASC",
    "ID_DESC",
    "NAME_ASC",
    "NAME_DESC",
    "OPENED_ON_ASC",
    "OPENED_ON_DESC",
    "FLOOR_AREA_DESC",
]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _page(gql: Any, query: str, field: str, order: str, n: int, after: str | None) -> dict[str, Any]:
    return dict(data(await gql(query, {"order": order, "n": n, "after": after}))[field])


async def _walk(gql: Any, query: str, field: str, order: str, n: int) -> list[str]:
    """Every node's id, page by page, following endCursor."""
    seen: list[str] = []
    after = None
    while True:
        page = await _page(gql, query, field, order, n, after)
        assert len(page["edges"]) <= n
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]


async def _tied_tickets(gql: Any, monkeypatch: Any) -> None:
    """Three tickets registered in the same microsecond, so that pages split inside a tie."""
    Clock(monkeypatch, at(2026, 11, 1, 9))
    refs = await ids(gql)
    for _ in range(3):
        assert (await register(gql, refs))["__typename"] == "RegisterTicketPayload"
    monkeypatch.undo()


@pytest.mark.parametrize("order", TICKET_ORDERS)
async def test_walking_ticket_pages_returns_every_row_once_in_order(
    gql: Any, monkeypatch: Any, order: str
) -> None:
    await _tied_tickets(gql, monkeypatch)
    whole = await _page(gql, TICKETS, "tickets", order, 500, None)
    expected = [edge["node"]["id"] for edge in whole["edges"]]
    assert len(expected) == whole["totalCount"] > 30
    for n in (1, 2, 7):
        assert await _walk(gql, TICKETS, "tickets", order, n) == expected


@pytest.mark.parametrize("order", STATION_ORDERS)
async def test_walking_station_pages_returns_every_row_once_in_order(gql: Any, order: str) -> None:
    whole = await _page(gql, STATIONS, "stations", order, 500, None)
    expected = [edge["node"]["id"] for edge in whole["edges"]]
    assert len(expected) == len(set(expected)) == whole["totalCount"] > 100
    assert await _walk(gql, STATIONS, "stations", order, 37) == expected


async def test_a_ticket_registered_before_the_cursor_does_not_shift_the_next_page(gql: Any) -> None:
    first = await _page(gql, TICKETS, "tickets", "NEWEST_FIRST", 5, None)
    cursor = first["pageInfo"]["endCursor"]
    before = await _page(gql, TICKETS, "tickets", "NEWEST_FIRST", 5, cursor)
    new = await register(gql, await ids(gql))  # registered now: the newest ticket of all
    assert new["__typename"] == "RegisterTicketPayload"
    assert (await _page(gql, TICKETS, "tickets", "NEWEST_FIRST", 1, None))["edges"][0]["node"]["id"] == new[
        "ticket"
    ]["id"]
    after = await _page(gql, TICKETS, "tickets", "NEWEST_FIRST", 5, cursor)
    assert [e["node"]["id"] for e in after["edges"]] == [e["node"]["id"] for e in before["edges"]]
    assert after["totalCount"] == before["totalCount"] + 1


@pytest.mark.parametrize(
    ("query", "field", "order"), [(TICKETS, "tickets", "DUE_FIRST"), (STATIONS, "stations", "NAME_ASC")]
)
async def test_old_offset_cursors_still_work(gql: Any, query: str, field: str, order: str) -> None:
    whole = [e["node"]["id"] for e in (await _page(gql, query, field, order, 500, None))["edges"]]
    page = await _page(gql, query, field, order, 5, _b64("offset:9"))
    assert [e["node"]["id"] for e in page["edges"]] == whole[10:15]
    assert page["pageInfo"]["hasPreviousPage"] is True
    # and the page's own cursors carry on from there
    following = await _page(gql, query, field, order, 5, page["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in following["edges"]] == whole[15:20]


async def _cursor(gql: Any, query: str, field: str, order: str) -> str:
    return str((await _page(gql, query, field, order, 2, None))["pageInfo"]["endCursor"])


async def test_a_cursor_of_another_order_or_list_is_bad_input(gql: Any) -> None:
    newest = await _cursor(gql, TICKETS, "tickets", "NEWEST_FIRST")
    for order in ("OLDEST_FIRST", "DUE_FIRST"):
        result = await gql(TICKETS, {"order": order, "n": 2, "after": newest})
        assert error_codes(result) == ["BAD_USER_INPUT"], result
        assert "another list or order" in result["errors"][0]["message"]
    station = await _cursor(gql, STATIONS, "stations", "ID_ASC")
    for query, variables in [
        (TICKETS, {"order": "NEWEST_FIRST", "n": 2, "after": station}),
        (STATIONS, {"order": "ID_DESC", "n": 2, "after": station}),
        (STATIONS, {"order": "NAME_ASC", "n": 2, "after": station}),  # pages by offset
        (STATIONS, {"order": "ID_ASC", "n": 2, "after": newest}),
    ]:
        result = await gql(query, variables)
        assert error_codes(result) == ["BAD_USER_INPUT"], (variables, result)
        assert "another list or order" in result["errors"][0]["message"]


def _forged(body: dict[str, Any] | str) -> str:
    return _b64(body if isinstance(body, str) else json.dumps(body))


NEWEST = "ticket:-registered_at,-id"


@pytest.mark.parametrize(
    "cursor",
    [
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00"]}),  # a value missing
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00", 1, 2]}),
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00", 1]}),  # no offset
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10", 1]}),
        _forged({"v": 1, "o": NEWEST, "k": ["0001-01-01T00:00:00+08:00", 1]}),
        _forged({"v": 1, "o": NEWEST, "k": ["tomorrow", 1]}),
        _forged({"v": 1, "o": NEWEST, "k": [1641776400, 1]}),
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00", "1"]}),
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00", 1.5]}),
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00", True]}),
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00", 2**63]}),
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00", None]}),
        _forged('{"v":1,"o":"' + NEWEST + '","k":["2022-01-10T09:00:00+08:00",NaN]}'),
        _forged({"v": 2, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00", 1]}),
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00", 1], "x": 0}),
        _forged({"v": 1, "o": NEWEST, "k": {"id": 1}}),
        _forged({"v": 1, "o": NEWEST + " OR 1=1", "k": ["2022-01-10T09:00:00+08:00", 1]}),
        _forged([1, NEWEST, "2022-01-10T09:00:00+08:00", 1]),
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00", 1]})[:-4],
        _forged({"v": 1, "o": NEWEST, "k": ["2022-01-10T09:00:00+08:00" + " " * 200, 1]}),
    ],
)
async def test_forged_keyset_cursors_are_bad_input(gql: Any, cursor: str) -> None:
    result = await gql(TICKETS, {"order": "NEWEST_FIRST", "n": 2, "after": cursor})
    assert error_codes(result) == ["BAD_USER_INPUT"], result


async def test_a_cursor_made_from_a_row_key_seeks_after_that_row(gql: Any) -> None:
    """The cursor is opaque, but a well-formed one for a key that no row has is a position, not
    an error: the page holds the rows after it."""
    whole = (await _page(gql, TICKETS, "tickets", "NEWEST_FIRST", 500, None))["edges"]
    third = whole[2]["node"]
    cursor = _forged({"v": 1, "o": NEWEST, "k": [third["registeredAt"], 2**62]})
    page = await _page(gql, TICKETS, "tickets", "NEWEST_FIRST", 3, cursor)
    start = next(i for i, e in enumerate(whole) if e["node"]["registeredAt"] == third["registeredAt"])
    assert [e["node"]["id"] for e in page["edges"]] == [e["node"]["id"] for e in whole[start : start + 3]]
