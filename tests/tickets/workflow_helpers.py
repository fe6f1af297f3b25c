"""Shared steps for the ticket workflow tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.clock import CITY_TZ
from tests.helpers import data

RESULT = """__typename
  ... on TicketPayload { ticket { id number version status statusLabel resolutionMethod resolutionMinutes
        reopenCount departmentStatus escalationLevel } }
  ... on ValidationError { code message fields { field code message } }
  ... on NotFoundError { code objectType }
  ... on ConflictError { code currentVersion }
  ... on ForbiddenError { code message }
  ... on TransitionError { code message objectId action currentTicketStatus currentStatusLabel
        allowedActions }"""

# recordReturnVisit answers with the visit beside the ticket; the errors are the same.
VISIT_RESULT = RESULT.replace(
    "... on TicketPayload {",
    "... on ReturnVisitPayload { visit { attempt channel reached rating comment } ",
).replace("escalationLevel }", "escalationLevel closeReason }", 1)

REGISTER = """mutation($i: RegisterTicketInput!) { registerTicket(input: $i) { __typename
  ... on RegisterTicketPayload { ticket { id number version status registeredAt jurisdiction { code }
        station { name } reporterName } possibleDuplicates { number } }
  ... on ValidationError { code fields { field code message } }
  ... on NotFoundError { code objectType }
  ... on ForbiddenError { code message } } }"""


class Clock:
    """Sets server.clock.now for the test (Dongguan time)."""

    def __init__(self, monkeypatch: Any, start: datetime) -> None:
        self.value = start
        monkeypatch.setattr("server.clock.now", lambda: self.value)

    def set(self, hour: int, minute: int = 0) -> None:
        self.value = self.value.replace(hour=hour, minute=minute)


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CITY_TZ)


async def ids(gql: Any) -> dict[str, str]:
    """Global IDs the stories need, looked up as bureau."""
    d = data(
        await gql("""{
      xiagang: stations(filter: {search: "长安镇厦岗社区城市服务驿站"}) { nodes { id } }
      occupying: ticketCategories { id code }
      chief: staff(filter: {search: "长安镇城管片长"}) { nodes { id name } }
      humen: staff(filter: {search: "虎门镇城管片长"}) { nodes { id name } }
      market: departments(filter: {search: "市场监督"}) { nodes { id code } }
      shatou: jurisdictions(filter: {search: "Shatou"}) { nodes { id } }
      xiagangCommunity: jurisdictions(filter: {search: "Xiagang"}) { nodes { id } }
    }""")
    )
    return {
        "station": d["xiagang"]["nodes"][0]["id"],
        "category": next(c["id"] for c in d["occupying"] if c["code"] == "occupying_road"),
        "chief": next(s["id"] for s in d["chief"]["nodes"] if s["name"] == "长安镇城管片长"),
        "chief_humen": next(s["id"] for s in d["humen"]["nodes"] if s["name"] == "虎门镇城管片长"),
        "market": next(x["id"] for x in d["market"]["nodes"] if x["code"] == "market"),
        "shatou": d["shatou"]["nodes"][0]["id"],
        "xiagang": d["xiagangCommunity"]["nodes"][0]["id"],
    }


async def register(
    gql: Any, refs: dict[str, str], as_user: str = "worker-xiagang", **extra: Any
) -> dict[str, Any]:
    payload = {
        "source": "WALK_IN",
        "categoryId": refs["category"],
        "description": "商铺占道经营 (shops occupying the road for business)",
        "stationId": refs["station"],
        "reporterName": "王先生",
        "reporterPhone": "13800000001",
        **extra,
    }
    return dict(data(await gql(REGISTER, {"i": payload}, as_user=as_user))["registerTicket"])


async def step(gql: Any, mutation: str, args: str, variables: dict[str, Any], as_user: str) -> dict[str, Any]:
    types = variables.pop("_types", "")
    result = VISIT_RESULT if mutation == "recordReturnVisit" else RESULT
    query = f"mutation($t: TicketVersion!{types}) {{ {mutation}(ticket: $t{args}) {{ {result} }} }}"
    return dict(data(await gql(query, variables, as_user=as_user))[mutation])
