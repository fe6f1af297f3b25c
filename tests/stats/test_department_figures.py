"""An N department's liaison, and a data-sharing key issued to the department, see statistics of
the tickets transferred to that department, not the city's; the bureau still sees the city."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from server.clock import CITY_TZ
from tests.helpers import data
from tests.tickets.workflow_helpers import ids, register, step

FIGURES = """{ ticketFigures(groupBy: CITY) { label received resolved service management enforcement
  serviceShare managementShare enforcementShare deviationFromTarget } }"""
CARD = """query($f: Date!, $t: Date!) { scorecard(periodFrom: $f, periodTo: $t) {
  ticketsReceived ticketsResolved ticketsOverdue
  responseTime { count } resolutionTime { count medianMinutes }
  methodSplit { service management enforcement } } }"""
PERIOD = {"f": "2022-01-01", "t": "2026-12-31"}
TICKETS = """query($f: DateTime, $t: DateTime) {
  tickets(first: 500, filter: {registeredFrom: $f, registeredTo: $t}) {
    totalCount nodes { registeredAt dispatchedAt resolvedAt resolutionMethod overdue
                       department { code } } } }"""
KEY = """mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { ... on ApiKeyCreated { key } } }"""


async def _market_ticket_resolved_by_enforcement(gql: Any) -> None:
    """One more ticket transferred to 市场监管局 and resolved there, so the split is not all zeros."""
    refs = await ids(gql)
    registered = await register(gql, refs)
    t = {"id": registered["ticket"]["id"], "version": registered["ticket"]["version"]}
    for mutation, args, extra, user in (
        ("dispatchTicket", ", assigneeId: $a", {"a": refs["chief"], "_types": ", $a: ID!"}, "chief-changan"),
        (
            "transferTicket",
            ", departmentId: $d",
            {"d": refs["market"], "_types": ", $d: ID!"},
            "chief-changan",
        ),
        (
            "resolveTicket",
            ", method: ENFORCEMENT, note: $n",
            {"n": "立案查处", "_types": ", $n: String!"},
            "liaison",
        ),
    ):
        done = await step(gql, mutation, args, {"t": dict(t), **extra}, user)
        assert done["__typename"] == "TicketPayload", (mutation, done)
        t["version"] = done["ticket"]["version"]


async def _expected(gql: Any, as_user: str, **period: str) -> dict[str, int]:
    """What the figures must say, counted from the tickets the caller may list."""
    got = data(await gql(TICKETS, period, as_user=as_user))["tickets"]
    nodes = got["nodes"]
    assert got["totalCount"] == len(nodes)
    methods = Counter(n["resolutionMethod"] for n in nodes if n["resolvedAt"])
    return {
        "received": len(nodes),
        "resolved": sum(1 for n in nodes if n["resolvedAt"]),
        "dispatched": sum(1 for n in nodes if n["dispatchedAt"]),
        "overdue": sum(1 for n in nodes if n["overdue"]),
        "service": methods["SERVICE"],
        "management": methods["MANAGEMENT"],
        "enforcement": methods["ENFORCEMENT"],
    }


async def test_a_liaison_sees_figures_of_its_departments_tickets_only(gql: Any) -> None:
    await _market_ticket_resolved_by_enforcement(gql)
    listed = data(await gql(TICKETS, as_user="liaison"))["tickets"]["nodes"]
    assert listed and {n["department"]["code"] for n in listed} == {"market"}
    mine = await _expected(gql, "liaison")
    [figures] = data(await gql(FIGURES, as_user="liaison"))["ticketFigures"]
    assert {k: figures[k] for k in ("received", "resolved", "service", "management", "enforcement")} == {
        k: mine[k] for k in ("received", "resolved", "service", "management", "enforcement")
    }
    assert figures["enforcement"] >= 1
    [city] = data(await gql(FIGURES, as_user="bureau"))["ticketFigures"]
    assert city["received"] == data(await gql("{ tickets { totalCount } }"))["tickets"]["totalCount"]
    assert city["received"] > figures["received"]  # the bureau still gets the city's totals
    assert set(city) == set(figures)  # the same shape


async def test_a_liaisons_scorecard_counts_its_departments_tickets_only(gql: Any) -> None:
    await _market_ticket_resolved_by_enforcement(gql)
    period = {
        "f": datetime.combine(date.fromisoformat(PERIOD["f"]), datetime.min.time(), CITY_TZ).isoformat(),
        "t": datetime(2027, 1, 1, tzinfo=CITY_TZ).isoformat(),
    }
    mine = await _expected(gql, "liaison", **period)
    card = data(await gql(CARD, PERIOD, as_user="liaison"))["scorecard"]
    assert card["ticketsReceived"] == mine["received"] > 0
    assert card["ticketsResolved"] == mine["resolved"] > 0
    assert card["ticketsOverdue"] == mine["overdue"]
    assert card["responseTime"]["count"] == mine["dispatched"]
    assert card["resolutionTime"]["count"] == mine["resolved"]
    assert card["methodSplit"] == {k: mine[k] for k in ("service", "management", "enforcement")}
    city = data(await gql(CARD, PERIOD, as_user="bureau"))["scorecard"]
    assert city["ticketsReceived"] == (await _expected(gql, "bureau", **period))["received"]
    assert city["ticketsReceived"] > card["ticketsReceived"]


async def test_a_key_issued_to_a_department_sees_its_departments_figures(gql: Any) -> None:
    refs = await ids(gql)
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))["jurisdictions"][
        "nodes"
    ][0]
    keys = {}
    for name, department in (("market", refs["market"]), ("citywide", None)):
        created = data(
            await gql(
                KEY,
                {
                    "i": {
                        "name": f"figures {name}",
                        "scopes": ["stats"],
                        "jurisdictionId": city["id"],
                        "departmentId": department,
                    }
                },
                as_user="admin",
            )
        )["createApiKey"]
        keys[name] = created["key"]
    [liaison] = data(await gql(FIGURES, as_user="liaison"))["ticketFigures"]
    [market] = data(await gql(FIGURES, token=keys["market"]))["ticketFigures"]
    [citywide] = data(await gql(FIGURES, token=keys["citywide"]))["ticketFigures"]
    [bureau] = data(await gql(FIGURES, as_user="bureau"))["ticketFigures"]
    assert market == liaison
    assert citywide == bureau != market
    card = data(await gql(CARD, PERIOD, token=keys["market"]))["scorecard"]
    assert card == data(await gql(CARD, PERIOD, as_user="liaison"))["scorecard"]
