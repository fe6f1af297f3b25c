"""Shared by the personal-data tests: the figures that must not move, and a scan of every table."""

from __future__ import annotations

from typing import Any

from tests.helpers import data

CARD = """query($f: Date!, $t: Date!) { scorecard(periodFrom: $f, periodTo: $t) {
  ticketsReceived ticketsResolved ticketsOverdue
  responseTime { count medianMinutes p90Minutes } resolutionTime { count medianMinutes p90Minutes }
  methodSplit { service management enforcement serviceShare } } }"""
FIGURES = """query($g: FigureGrouping!) { ticketFigures(groupBy: $g) { label received resolved service
  management enforcement serviceShare deviationFromTarget } }"""
TICKET = """query($n: String!) { ticket(number: $n) { status version reporterName reporterPhone description
  resolutionNote rejectReason citizenFeedback resolutionMethod registeredAt resolvedAt closedAt } }"""


async def statistics(gql: Any, period_from: str, period_to: str) -> dict[str, Any]:
    """The scorecard for the period and the 721 figures by town, community and station."""
    out: dict[str, Any] = {
        "scorecard": data(await gql(CARD, {"f": period_from, "t": period_to}))["scorecard"]
    }
    for grouping in ("CITY", "TOWN", "COMMUNITY", "STATION"):
        out[grouping] = data(await gql(FIGURES, {"g": grouping}))["ticketFigures"]
    return out


async def ticket(gql: Any, number: str) -> dict[str, Any]:
    return dict(data(await gql(TICKET, {"n": number}))["ticket"])


async def tables_holding(*needles: str) -> set[str]:
    """Every table of the database with a row holding one of the strings in any column."""
    from tortoise import connections

    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    if postgres:
        rows = await conn.execute_query_dict(
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1"
        )
        columns: dict[str, list[str]] = {}
        for r in rows:
            columns.setdefault(r["t"], []).append(r["c"])
    else:
        tables = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")
        columns = {}
        for t in tables:
            info = await conn.execute_query_dict(f'PRAGMA table_info("{t["name"]}")')
            columns[t["name"]] = [c["name"] for c in info]
    holding = set()
    for table, names in columns.items():
        conditions = " OR ".join(
            f'CAST("{c}" AS TEXT) LIKE {"$" + str(i + 1) if postgres else "?"}'
            for c in names
            for i in range(len(needles))
        )
        params = [f"%{n}%" for _c in names for n in needles]
        if postgres:  # numbered placeholders: one per needle, reused by every column
            params = [f"%{n}%" for n in needles]
        found = await conn.execute_query_dict(
            f'SELECT COUNT(*) AS n FROM "{table}" WHERE {conditions}', params
        )
        if int(found[0]["n"]):
            holding.add(table)
    return holding
