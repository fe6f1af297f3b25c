"""The deputy oversight query: proposal → tasks → credited stations → each station's tickets, in
one request and a number of SQL statements that does not grow with the stations."""

from __future__ import annotations

import statistics
import uuid
from typing import Any

from tests.conftest import count_sql
from tests.helpers import data, error_codes
from tests.proposals.flow import pk

DEMO = "16-7-0001"
XIAGANG_STATION = "长安镇厦岗社区城市服务驿站"

OVERSIGHT = """query($id: ID!) { node(id: $id) { ... on Proposal {
  number status progress
  tasks { title progress status responsibleUnit { name } }
  outcomes {
    station { id name status jurisdiction { name } }
    tickets { received resolved medianResolutionMinutes split { method label count share } }
  }
} } }"""


async def _demo_id(gql: Any) -> str:
    d = data(
        await gql(
            "query($s: String) { proposals(filter: {search: $s}) { nodes { id number } } }", {"s": DEMO}
        )
    )
    [node] = [n for n in d["proposals"]["nodes"] if n["number"] == DEMO]
    return str(node["id"])


async def _expected(station_id: int) -> dict[str, Any]:
    """The figures, computed the slow way from the tickets themselves."""
    from server.tickets.models import Ticket

    tickets = await Ticket.filter(station_id=station_id)
    resolved = [t for t in tickets if t.resolved_at is not None]
    minutes = [(t.resolved_at - t.registered_at).total_seconds() / 60 for t in resolved]  # type: ignore[operator]
    split = {
        m: sum(1 for t in resolved if t.resolution_method == m)
        for m in ("SERVICE", "MANAGEMENT", "ENFORCEMENT")
    }
    return {
        "received": len(tickets),
        "resolved": len(resolved),
        "medianResolutionMinutes": round(statistics.median(minutes), 1) if minutes else None,
        "split": split,
    }


async def test_the_oversight_query_walks_to_the_stations_ticket_figures(gql: Any) -> None:
    node = data(await gql(OVERSIGHT, {"id": await _demo_id(gql)}, as_user="deputy"))["node"]
    assert node["number"] == DEMO
    outcomes = node["outcomes"]
    names = [o["station"]["name"] for o in outcomes]
    assert XIAGANG_STATION in names
    for outcome in outcomes:
        expected = await _expected(pk(outcome["station"]["id"]))
        tickets = outcome["tickets"]
        assert tickets["received"] == expected["received"], outcome["station"]["name"]
        assert tickets["resolved"] == expected["resolved"]
        assert tickets["medianResolutionMinutes"] == expected["medianResolutionMinutes"]
        assert [s["method"] for s in tickets["split"]] == ["SERVICE", "MANAGEMENT", "ENFORCEMENT"]
        assert [s["label"] for s in tickets["split"]] == ["服务", "管理", "执法"]
        assert {s["method"]: s["count"] for s in tickets["split"]} == expected["split"]
        for s in tickets["split"]:
            assert s["share"] == (round(s["count"] / tickets["resolved"], 4) if tickets["resolved"] else None)
    xiagang = next(o for o in outcomes if o["station"]["name"] == XIAGANG_STATION)["tickets"]
    # Mr Wang's 30-minute ticket is among Xiagang's, resolved by service
    assert xiagang["received"] >= 1 and xiagang["resolved"] >= 1
    assert {s["method"]: s["count"] for s in xiagang["split"]}["SERVICE"] >= 1


async def test_the_statement_count_does_not_grow_with_the_stations(gql: Any) -> None:
    proposal_id = await _demo_id(gql)
    variables = {"id": proposal_id}
    data(await gql(OVERSIGHT, variables, as_user="deputy"))  # log in and warm up outside the count

    with count_sql() as before:
        first = data(await gql(OVERSIGHT, variables, as_user="deputy"))["node"]
    few = len(first["outcomes"])

    jurisdiction = data(await gql('{ jurisdictions(filter: {search: "Xiagang"}) { nodes { id } } }'))
    for n in range(4):
        created = data(
            await gql(
                """mutation($input: CreateStationInput!) { createStation(input: $input) {
                     __typename ... on StationPayload { station { id } } } }""",
                {
                    "input": {
                        "code": f"oversight-{uuid.uuid4().hex[:10]}",
                        "name": f"建议成果测试驿站{n}",
                        "kind": "SERVICE_STATION",
                        "level": "TOWN",
                        "floorArea": 50.0,
                        "restArea": 35.0,
                        "address": "长安镇厦岗社区测试路2号",
                        "jurisdictionId": jurisdiction["jurisdictions"]["nodes"][0]["id"],
                        "proposalId": proposal_id,
                    }
                },
            )
        )
        assert created["createStation"]["__typename"] == "StationPayload"

    with count_sql() as after:
        second = data(await gql(OVERSIGHT, variables, as_user="deputy"))["node"]
    assert len(second["outcomes"]) == few + 4
    new = [o for o in second["outcomes"] if o["station"]["name"].startswith("建议成果测试驿站")]
    assert {(o["tickets"]["received"], o["tickets"]["medianResolutionMinutes"]) for o in new} == {(0, None)}
    assert after.count == before.count, (before.statements, after.statements)
    assert after.count <= 10, after.statements


async def test_ticket_figures_need_statistics(gql: Any) -> None:
    """Ticket figures are statistics: without stats:read they are null with FORBIDDEN at that path,
    while the stations themselves still show."""
    line = {"role": "congress-staff", "object": "stats", "action": "read"}
    policy = """mutation($i: PolicyLineInput!) { %s(input: $i) { __typename } }"""
    query = """query($id: ID!) { node(id: $id) { ... on Proposal {
      outcomes { station { name } tickets { received } } } } }"""
    removed = data(await gql(policy % "removePolicyLine", {"i": line}, as_user="admin"))
    assert removed["removePolicyLine"]["__typename"] == "PolicyLinePayload"
    try:
        result = await gql(query, {"id": await _demo_id(gql)}, as_user="congress")
        outcomes = result["data"]["node"]["outcomes"]
        assert outcomes and all(o["station"]["name"] and o["tickets"] is None for o in outcomes)
        assert set(error_codes(result)) == {"FORBIDDEN"}
        assert result["errors"][0]["path"][-1] == "tickets"
    finally:
        added = data(await gql(policy % "addPolicyLine", {"i": line}, as_user="admin"))
        assert added["addPolicyLine"]["__typename"] == "PolicyLinePayload"
    again = data(await gql(query, {"id": await _demo_id(gql)}, as_user="congress"))
    assert all(o["tickets"] is not None for o in again["node"]["outcomes"])
