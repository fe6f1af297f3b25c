"""The 721 figures: counted in the database, per grouping, within the caller's statistics scope."""

from __future__ import annotations

from typing import Any

from tests.helpers import data, error_codes

FIGURES = """query($g: FigureGrouping!) { ticketFigures(groupBy: $g) {
  label received resolved service management
  enforcement serviceShare managementShare enforcementShare deviationFromTarget targetServiceShare } }"""


async def _rows(gql: Any, grouping: str, user: str = "bureau") -> list[dict[str, Any]]:
    return list(data(await gql(FIGURES, {"g": grouping}, as_user=user))["ticketFigures"])


async def test_city_figures_match_the_tickets_and_groupings_add_up(gql: Any) -> None:
    from server.tickets.models import Ticket

    [city] = await _rows(gql, "CITY")
    assert city["received"] == await Ticket.all().count()
    assert city["service"] == await Ticket.filter(resolution_method="SERVICE").count()
    assert city["enforcement"] == await Ticket.filter(resolution_method="ENFORCEMENT").count()
    done = city["service"] + city["management"] + city["enforcement"]
    assert abs(city["serviceShare"] - city["service"] / done) < 1e-3 and city["targetServiceShare"] == 0.7
    assert city["deviationFromTarget"] == round(
        max(
            abs(city["serviceShare"] - 0.7),
            abs(city["managementShare"] - 0.2),
            abs(city["enforcementShare"] - 0.1),
        ),
        4,
    )
    for grouping in ("TOWN", "COMMUNITY", "STATION", "AREA_CHIEF"):
        rows = await _rows(gql, grouping)
        assert sum(r["received"] for r in rows) == city["received"], grouping
        assert sum(r["service"] for r in rows) == city["service"], grouping
    towns = {r["label"]: r for r in await _rows(gql, "TOWN")}
    assert "长安镇" in towns and towns["长安镇"]["received"] > 0


async def test_a_community_workers_figures_cover_its_community(gql: Any) -> None:
    rows = await _rows(gql, "COMMUNITY", user="worker-xiagang")
    assert [r["label"] for r in rows] == ["厦岗社区"]
    xiagang_tickets = data(await gql("{ tickets { totalCount } }", as_user="worker-xiagang"))["tickets"][
        "totalCount"
    ]
    assert rows[0]["received"] == xiagang_tickets
    assert error_codes(await gql(FIGURES, {"g": "CITY"}, as_user="admin")) == ["FORBIDDEN"]
