"""Figure groups carry their jurisdiction, and tallies their values as enums."""

from __future__ import annotations

from typing import Any

from tests.helpers import data
from tests.proposals import flow

FIGURES = """query($g: FigureGrouping!) { ticketFigures(groupBy: $g) {
  label received jurisdiction { id code name level } } }"""


async def _groups(gql: Any, grouping: str) -> list[dict[str, Any]]:
    return list(data(await gql(FIGURES, {"g": grouping}))["ticketFigures"])


async def test_jurisdiction_groups_carry_their_jurisdiction(gql: Any) -> None:
    [city] = await _groups(gql, "CITY")
    assert (city["jurisdiction"]["code"], city["jurisdiction"]["level"]) == ("dongguan", "CITY")
    towns = await _groups(gql, "TOWN")
    changan = next(t for t in towns if t["label"] == "长安镇")
    assert changan["jurisdiction"]["code"] == "dongguan/changan"
    assert all(
        t["jurisdiction"]["name"] == t["label"] and t["jurisdiction"]["level"] == "TOWN" for t in towns
    )
    communities = await _groups(gql, "COMMUNITY")
    assert communities and all(c["jurisdiction"]["name"] == c["label"] for c in communities)
    node = data(
        await gql(
            "query($id: ID!) { node(id: $id) { ... on Jurisdiction { code } } }",
            {"id": changan["jurisdiction"]["id"]},
        )
    )
    assert node["node"]["code"] == "dongguan/changan"
    for grouping in ("STATION", "AREA_CHIEF"):
        assert all(g["jurisdiction"] is None for g in await _groups(gql, grouping)), grouping


async def test_scorecard_tallies_are_enums(gql: Any) -> None:
    from server import clock

    replied = await flow.replied(gql)
    await flow.step(gql, "rateProposalReply", replied, "deputy", rating="BASICALLY_SATISFIED")
    today = clock.today().isoformat()
    card = data(
        await gql(
            """query($d: Date!) { scorecard(periodFrom: $d, periodTo: $d) {
              stations { kind kindLabel status statusLabel count }
              stationTargets { kind }
              ratings { rating ratingLabel count } } }""",
            {"d": today},
        )
    )["scorecard"]
    types = data(
        await gql(
            """fragment F on __Type { fields { name type { kind ofType { kind name } } } }
            { tally: __type(name: "StationTally") { ...F } rating: __type(name: "RatingCount") { ...F } }"""
        )
    )
    kinds = {
        f["name"]: f["type"]["ofType"]["name"]
        for t in types.values()
        for f in t["fields"]
        if f["type"]["ofType"]
    }
    assert (kinds["kind"], kinds["status"], kinds["rating"]) == ("StationKind", "StationStatus", "Rating")
    assert {"kind": "SERVICE_STATION", "kindLabel": "城市服务驿站"}.items() <= next(
        s for s in card["stations"] if s["kind"] == "SERVICE_STATION"
    ).items()
    basically = next(r for r in card["ratings"] if r["rating"] == "BASICALLY_SATISFIED")
    assert basically["ratingLabel"] == "基本满意" and basically["count"] >= 1
