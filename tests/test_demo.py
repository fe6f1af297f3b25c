"""The Dongguan demo data: the figures of January 2022, and loading it twice changes nothing."""

from __future__ import annotations

from typing import Any

from server.auth.demo_accounts import DEMO_ACCOUNTS
from tests.helpers import data


async def _row_counts() -> dict[str, int]:
    from server.auth.models import User
    from server.authz.models import CasbinRule
    from server.geo.models import Jurisdiction
    from server.proposals.models import Deputy, Proposal, ProposalEvent
    from server.staff.models import Department, Posting, Staff
    from server.stations.models import Station, StationTarget
    from server.tickets.models import Ticket, TicketCategory, TicketEvent

    models = [
        Jurisdiction,
        Department,
        Deputy,
        Proposal,
        ProposalEvent,
        Station,
        StationTarget,
        Staff,
        Posting,
        TicketCategory,
        Ticket,
        TicketEvent,
        User,
        CasbinRule,
    ]
    return {model.__name__: await model.all().count() for model in models}


async def _all_stations(gql: Any, filter: dict[str, Any]) -> list[dict[str, Any]]:
    q = """query($f: StationFilter, $after: String) { stations(filter: $f, first: 500, after: $after) {
             pageInfo { hasNextPage endCursor }
             nodes { id kind status plannedYear restAreaShare jurisdiction { id level parent { id } } } } }"""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = data(await gql(q, {"f": filter, "after": after}))["stations"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_loading_the_demo_again_changes_nothing(gql: Any) -> None:
    from server.demo import load_demo

    before = await _row_counts()
    assert all(before.values()), before
    messages: list[str] = []
    assert await load_demo(progress=messages.append) == {}
    assert await _row_counts() == before
    assert await load_demo(only_if_empty=True, progress=messages.append) == {}
    assert await _row_counts() == before
    assert messages, "the loader says why it did nothing"

    # and the API still answers as before
    d = data(await gql("{ stations(filter: {status: OPERATING}) { totalCount } }"))
    assert d["stations"]["totalCount"] == 113 + 116


async def test_113_service_stations_and_116_community_workstations_operating(gql: Any) -> None:
    service = await _all_stations(gql, {"kind": "SERVICE_STATION", "status": "OPERATING"})
    work = await _all_stations(gql, {"kind": "COMMUNITY_WORKSTATION", "status": "OPERATING"})
    assert (len(service), len(work)) == (113, 116)
    # at least 60% of a service station's floor is rest area
    assert all(s["restAreaShare"] >= 0.6 for s in service)
    # one workstation per village or community, at most
    assert all(w["jurisdiction"]["level"] == "COMMUNITY" for w in work)
    assert len({w["jurisdiction"]["id"] for w in work}) == len(work)


async def test_at_least_200_service_stations_planned_for_2022(gql: Any) -> None:
    from server.enums import StationKind
    from server.geo.models import Jurisdiction
    from server.stations.models import StationTarget

    planned = [
        s
        for status in ("PLANNED", "UNDER_CONSTRUCTION")
        for s in await _all_stations(gql, {"status": status, "kind": "SERVICE_STATION"})
        if s["plannedYear"] == 2022
    ]
    assert len(planned) >= 200
    assert {s["status"] for s in planned} == {"PLANNED", "UNDER_CONSTRUCTION"}

    city = await Jurisdiction.get(level="CITY")
    target = await StationTarget.get(year=2022, jurisdiction_id=city.id, kind=StationKind.SERVICE_STATION)
    assert target.target == 200
    assert len(planned) >= target.target
    # the towns' own targets add up to at least the city's
    town_targets = await StationTarget.filter(year=2022, kind=StationKind.SERVICE_STATION).exclude(
        jurisdiction_id=city.id
    )
    assert sum(t.target for t in town_targets) >= target.target


async def test_an_area_chief_is_posted_in_every_town(gql: Any) -> None:
    from server.enums import PostingRole
    from server.staff.models import Posting

    towns = data(await gql("{ jurisdictions(filter: {level: TOWN}) { nodes { id code name } } }"))
    towns = towns["jurisdictions"]["nodes"]
    assert len(towns) == 33
    chiefs = await Posting.filter(role=PostingRole.AREA_CHIEF, ended_on=None).prefetch_related(
        "jurisdiction", "station__jurisdiction"
    )
    for town in towns:
        here = [
            p
            for p in chiefs
            if p.jurisdiction.code == town["code"] or p.jurisdiction.code.startswith(town["code"] + "/")
        ]
        assert here, f"no area chief in {town['name']}"
        # based at a station of the town
        assert any(
            p.station is not None and p.station.jurisdiction.code.startswith(town["code"] + "/") for p in here
        ), town["name"]


async def test_the_demo_accounts_exist(gql: Any) -> None:
    users = data(await gql("{ users { username active roles { role jurisdictionCode } } }", as_user="admin"))
    by_name = {u["username"]: u for u in users["users"]}
    assert set(by_name) >= set(DEMO_ACCOUNTS)
    for name, (_display, role, code, *_) in DEMO_ACCOUNTS.items():
        assert {"role": role, "jurisdictionCode": code} in by_name[name]["roles"], name
    assert "dongguan/changan" in {r["jurisdictionCode"] for r in by_name["chief-changan"]["roles"]}
