"""The scorecard: stations against targets, tickets, the 721 split, proposals; within scope."""

from __future__ import annotations

from typing import Any

from tests.helpers import data, error_codes

CARD = """query($f: Date!, $t: Date!, $j: ID) { scorecard(periodFrom: $f, periodTo: $t, jurisdictionId: $j) {
  jurisdiction { name } stations { kind kindLabel status statusLabel count }
  stationTargets { year kind target planned operating }
  ticketsReceived ticketsResolved ticketsOverdue
  responseTime { count medianMinutes p90Minutes } resolutionTime { count medianMinutes p90Minutes }
  methodSplit { service management enforcement serviceShare managementShare enforcementShare
    targetServiceShare }
  proposalsReplied proposalsRepliedOnTime ratings { rating count } } }"""
PERIOD = {"f": "2021-01-01", "t": "2022-12-31"}


def _count(card: dict[str, Any], kind: str, status: str) -> int:
    return sum(s["count"] for s in card["stations"] if s["kind"] == kind and s["status"] == status)


async def test_city_scorecard_as_bureau_over_the_demo_data(gql: Any) -> None:
    from server.tickets.models import Ticket

    card = data(await gql(CARD, PERIOD))["scorecard"]
    assert card["jurisdiction"]["name"] == "东莞市"
    assert _count(card, "SERVICE_STATION", "OPERATING") == 113
    assert _count(card, "COMMUNITY_WORKSTATION", "OPERATING") == 116
    [target] = [t for t in card["stationTargets"] if t["year"] == 2022 and t["kind"] == "SERVICE_STATION"]
    assert target["target"] == 200 and target["planned"] >= 200
    from datetime import datetime

    from server.clock import CITY_TZ

    demo = Ticket.filter(  # the tickets registered in PERIOD
        registered_at__gte=datetime(2021, 1, 1, tzinfo=CITY_TZ),
        registered_at__lt=datetime(2023, 1, 1, tzinfo=CITY_TZ),
    )
    split = card["methodSplit"]
    assert split["service"] == await demo.filter(resolution_method="SERVICE").count() > 0
    assert split["management"] == await demo.filter(resolution_method="MANAGEMENT").count()
    assert split["enforcement"] == await demo.filter(resolution_method="ENFORCEMENT").count()
    assert (
        abs(
            split["serviceShare"]
            - split["service"] / (split["service"] + split["management"] + split["enforcement"])
        )
        < 1e-3
    )
    assert split["targetServiceShare"] == 0.7
    assert card["ticketsReceived"] == await demo.count()
    assert card["ticketsResolved"] == await demo.filter(resolved_at__isnull=False).count()
    # Mr Wang's 30 minutes are among the resolution times: the median sits in a plausible bucket
    assert card["resolutionTime"]["count"] == card["ticketsResolved"]
    assert 0 < card["resolutionTime"]["medianMinutes"] <= card["resolutionTime"]["p90Minutes"]


async def test_a_community_workers_scorecard_covers_its_community(gql: Any) -> None:
    own = data(await gql(CARD, PERIOD, as_user="worker-xiagang"))["scorecard"]
    assert own["jurisdiction"]["name"] == "厦岗社区"
    assert _count(own, "SERVICE_STATION", "OPERATING") >= 1
    assert own["ticketsReceived"] < data(await gql(CARD, PERIOD))["scorecard"]["ticketsReceived"]
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))
    refused = await gql(
        CARD, {**PERIOD, "j": city["jurisdictions"]["nodes"][0]["id"]}, as_user="worker-xiagang"
    )
    assert error_codes(refused) == ["FORBIDDEN"]
    assert error_codes(await gql(CARD, PERIOD, as_user="admin")) == ["FORBIDDEN"]


async def test_a_malformed_period_is_refused(gql: Any) -> None:
    reversed_ = await gql(CARD, {"f": "2022-12-31", "t": "2021-01-01"})
    assert error_codes(reversed_) == ["BAD_USER_INPUT"]
    nonsense = await gql(CARD, {"f": "2022-13-45", "t": "2022-12-31"})
    assert nonsense["errors"] and not nonsense.get("data")
