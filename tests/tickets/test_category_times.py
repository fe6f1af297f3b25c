"""Bureau staff change a category's times: tickets registered afterwards are due by them, the change
is audited, and a stale version, bad amounts or another role change nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.helpers import data, gid
from tests.tickets.workflow_helpers import REGISTER, Clock, at, ids

CATEGORIES = """{ ticketCategories { id code version responseAmount responseUnit responseMinutes
  resolutionAmount resolutionUnit resolutionMinutes resolutionTimeLabel } }"""

UPDATE = """mutation($id: ID!, $v: Int!, $response: WorkTimeInput, $resolution: WorkTimeInput) {
  updateTicketCategoryTimes(id: $id, version: $v, response: $response, resolution: $resolution) {
    __typename
    ... on TicketCategoryPayload { category { version resolutionAmount resolutionUnit resolutionMinutes
        resolutionTimeLabel responseAmount responseUnit } }
    ... on ValidationError { fields { field code } }
    ... on ConflictError { currentVersion }
    ... on ForbiddenError { code }
    ... on NotFoundError { code } } }"""


async def _category(gql: Any, code: str) -> dict[str, Any]:
    return next(c for c in data(await gql(CATEGORIES))["ticketCategories"] if c["code"] == code)


async def test_new_times_apply_to_tickets_registered_afterwards(gql: Any, monkeypatch: Any) -> None:
    Clock(monkeypatch, at(2026, 9, 30, 10, 0))
    occupying = await _category(gql, "occupying_road")
    assert occupying["resolutionUnit"] == "NATURAL_HOURS"
    changed = data(
        await gql(
            UPDATE,
            {
                "id": occupying["id"],
                "v": occupying["version"],
                "resolution": {"amount": 2, "unit": "WORKING_DAYS"},
            },
        )
    )["updateTicketCategoryTimes"]
    assert changed["__typename"] == "TicketCategoryPayload", changed
    category = changed["category"]
    assert category["version"] == occupying["version"] + 1
    assert (category["resolutionAmount"], category["resolutionUnit"]) == (2, "WORKING_DAYS")
    assert category["resolutionTimeLabel"] == "2个工作日"
    assert category["resolutionMinutes"] == 2 * 450  # office days of 7.5 hours, for older clients
    # the response time was not given: it stays
    assert (category["responseAmount"], category["responseUnit"]) == (
        occupying["responseAmount"],
        occupying["responseUnit"],
    )

    refs = await ids(gql)
    registered = data(
        await gql(
            REGISTER,
            {
                "i": {
                    "source": "WALK_IN",
                    "categoryId": occupying["id"],
                    "description": "商铺占道经营",
                    "stationId": refs["station"],
                }
            },
            as_user="worker-xiagang",
        )
    )["registerTicket"]
    ticket = data(
        await gql(
            "query($n: String!) { ticket(number: $n) { resolutionDue } }",
            {"n": registered["ticket"]["number"]},
        )
    )["ticket"]
    # Wednesday 30 September 10:00 + 2 working days: 1-7 October is the holiday; the 8th and 9th
    assert datetime.fromisoformat(ticket["resolutionDue"]) == at(2026, 10, 9, 18, 0)

    trail = data(
        await gql(
            '{ auditTrail(objectType: "TicketCategory") { nodes { actor operation before after } } }',
            as_user="admin",
        )
    )["auditTrail"]["nodes"]
    entry = next(e for e in trail if e["operation"] == "ticket_category.update")
    assert entry["actor"] == "bureau"
    assert entry["before"]["resolution_unit"] == "NATURAL_HOURS"
    assert entry["after"]["resolution_unit"] == "WORKING_DAYS"


async def test_bad_changes_are_typed_errors_and_change_nothing(gql: Any) -> None:
    occupying = await _category(gql, "occupying_road")
    at_version = {"id": occupying["id"], "v": occupying["version"]}
    too_big = (await gql(UPDATE, {**at_version, "resolution": {"amount": 1001, "unit": "NATURAL_HOURS"}}))[
        "data"
    ]["updateTicketCategoryTimes"]
    assert too_big["fields"] == [{"field": "resolution.amount", "code": "OUT_OF_RANGE"}]
    backwards = (await gql(UPDATE, {**at_version, "response": {"amount": 3, "unit": "WORKING_DAYS"}}))[
        "data"
    ]["updateTicketCategoryTimes"]
    assert backwards["fields"] == [{"field": "response", "code": "INVALID"}]
    nothing = (await gql(UPDATE, at_version))["data"]["updateTicketCategoryTimes"]
    assert nothing["fields"] == [{"field": "response", "code": "REQUIRED"}]
    stale = (
        await gql(
            UPDATE,
            {
                "id": occupying["id"],
                "v": occupying["version"] + 5,
                "resolution": {"amount": 5, "unit": "NATURAL_HOURS"},
            },
        )
    )["data"]["updateTicketCategoryTimes"]
    assert stale == {"__typename": "ConflictError", "currentVersion": occupying["version"]}
    chief = (
        await gql(
            UPDATE,
            {**at_version, "resolution": {"amount": 5, "unit": "NATURAL_HOURS"}},
            as_user="chief-changan",
        )
    )["data"]["updateTicketCategoryTimes"]
    assert chief == {"__typename": "ForbiddenError", "code": "FORBIDDEN"}
    missing = (
        await gql(
            UPDATE,
            {
                "id": gid("TicketCategory", 999_999),
                "v": 1,
                "resolution": {"amount": 5, "unit": "NATURAL_HOURS"},
            },
        )
    )["data"]["updateTicketCategoryTimes"]
    assert missing == {"__typename": "NotFoundError", "code": "NOT_FOUND"}
    wrong_type = (
        await gql(
            UPDATE, {"id": gid("Station", 1), "v": 1, "resolution": {"amount": 5, "unit": "NATURAL_HOURS"}}
        )
    )["data"]["updateTicketCategoryTimes"]
    assert wrong_type == {"__typename": "ValidationError", "fields": [{"field": "id", "code": "INVALID_ID"}]}
    assert await _category(gql, "occupying_road") == occupying
