"""SQL statements per request for every operation of the benchmark's mix (bench/mix.py), pinned,
and the same for a page of 1 as for a page of 50: an N+1 cannot come back unnoticed.

The counts include the first statement of every authenticated request, the session lookup. The
benchmark (bench/run) measures the same operations at a million tickets and prints their counts next
to these, so "independent of data size" is checked there.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bench.mix import OPERATIONS, Operation, Params
from schema.schema import schema
from tests.conftest import count_sql
from tests.tickets.workflow_helpers import Clock, at, ids, register, step

# Statements per request, session lookup included. Raise one only with a reason in the commit.
EXPECTED = {
    # Planned (schema/planner): session; the page of stations with their jurisdictions and the
    # count; their postings with the postings' staff
    "stations_page": 3,
    # Planned: session; the page of tickets with station, jurisdiction and latest event joined
    "chief_queue": 2,
    "chief_queue_overdue": 2,
    # Planned: session; the ticket with category, station, jurisdiction, assignee; its history
    "ticket_history": 3,
    # session; proposals; credited stations; ticket counts by station; median times by station
    "deputy_oversight": 5,
    # session; stations by kind and status; targets; targets' progress; rollup sums; overdue count;
    # count of tickets awaiting a late first response (the response rate); replies; ratings; the
    # jurisdiction
    "city_scorecard": 10,
    "town_scorecard": 10,
}

PARAMS = Params(
    ticket_numbers=("DG-20220110-000001",),  # Mr Wang's, in Chang'an
    period_from=date(2022, 1, 1),
    period_to=date(2022, 1, 31),
    proposal_search="16-",
)
SMALL, LARGE = 5, 50
QUERY_FIELDS = set(schema.as_str().split("type Query {", 1)[1].split("\n}", 1)[0].split())


async def seed_dispatched_queue(gql: Any, monkeypatch: Any) -> None:
    """Seven overdue DISPATCHED walk-in tickets at Xiagang, due before any of the demo's, so that
    the area chief's queue (due first) has a full small page of tickets that all have a station,
    and more behind it. Each test makes them (each starts from the demo data)."""
    clock = Clock(monkeypatch, at(2021, 12, 1, 9, 0))
    refs = await ids(gql)
    for minute in range(7):
        clock.set(9, minute)
        registered = await register(gql, refs)
        assert registered["__typename"] == "RegisterTicketPayload", registered
        ticket = {"id": registered["ticket"]["id"], "version": registered["ticket"]["version"]}
        dispatched = await step(
            gql,
            "dispatchTicket",
            ", assigneeId: $a",
            {"t": ticket, "a": refs["chief"], "_types": ", $a: ID!"},
            "chief-changan",
        )
        assert dispatched["ticket"]["status"] == "DISPATCHED", dispatched
    monkeypatch.undo()


async def statements(gql: Any, op: Operation, page: int | None = None) -> tuple[int, dict[str, Any]]:
    await gql.token(op.user)  # logging in is not part of the request measured
    with count_sql() as counter:
        result = await gql(op.document(page), op.variables(PARAMS, 0), as_user=op.user)
    assert not result.get("errors"), result["errors"]
    return counter.count, result["data"]


def _rows(data: dict[str, Any]) -> int:
    connection = next(iter(data.values()))
    return len(connection["nodes"])


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.name for op in OPERATIONS])
async def test_statements_per_request(gql: Any, monkeypatch: Any, op: Operation) -> None:
    # Every operation of the mix exists: a missing root field fails here rather than being skipped.
    assert op.requires in {f.split("(")[0].rstrip(":") for f in QUERY_FIELDS}, op.requires
    await seed_dispatched_queue(gql, monkeypatch)
    if op.page is None:
        count, _ = await statements(gql, op)
        assert count == EXPECTED[op.name], f"{op.name}: {count} statements"
        return
    small_page = 1 if op.name == "deputy_oversight" else SMALL  # the demo has two proposals it may see
    small, small_data = await statements(gql, op, small_page)
    large, large_data = await statements(gql, op, LARGE)
    assert _rows(small_data) == small_page and _rows(large_data) > small_page, "the two pages must differ"
    assert small == large, (
        f"{op.name}: {small} statements for {small_page} rows, {large} for {_rows(large_data)}"
    )
    assert large == EXPECTED[op.name], f"{op.name}: {large} statements"
