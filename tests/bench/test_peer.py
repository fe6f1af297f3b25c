"""The peer (bench/peer.py) does the same work as the server: its chief's queue is the server's
page for the area chief of Chang'an, and bench/run's comparison of the two answers notices a
different row, a different nested name or a different time, while leaving out the labels that
PostGraphile does not compute.

PostGraphile itself (Node, npm) is not run here; its answers are written in its shape.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from bench.mix import BY_NAME
from bench.peer import FUNCTIONS, PEER_QUERIES, TOWN
from bench.run import first_difference
from tests.conftest import TEST_DB
from tests.test_statement_counts import PARAMS, seed_dispatched_queue


def _peer_ticket(number: str, station: str | None, community: str) -> dict[str, Any]:
    """A ticket as PostGraphile answers it: nested connections, times as PostgreSQL writes them."""
    return {
        "number": number,
        "status": "DISPATCHED",
        "resolutionDue": "2022-01-10T02:30:00+00:00",
        "stationByStationId": None if station is None else {"name": station},
        "jurisdictionByJurisdictionId": {"name": community},
        "ticketEventsByTicketId": {"nodes": [{"action": "dispatch", "at": "2022-01-10T01:35:12.5+00:00"}]},
    }


def _our_ticket(number: str, station: str | None, community: str) -> dict[str, Any]:
    return {
        "number": number,
        "status": "DISPATCHED",
        "resolutionDue": "2022-01-10T10:30:00+08:00",
        "station": None if station is None else {"name": station},
        "jurisdiction": {"name": community},
        "latestEvent": {"action": "dispatch", "at": "2022-01-10T09:35:12.500000+08:00"},
    }


def test_the_peers_queue_compares_equal_to_the_same_page_and_differs_from_another() -> None:
    form = PEER_QUERIES["chief_queue"]
    ours = {
        "tickets": {"nodes": [_our_ticket("A", "厦岗驿站", "厦岗社区"), _our_ticket("B", None, "上沙社区")]}
    }
    same = {
        "benchPeerChiefQueue": {
            "nodes": [_peer_ticket("A", "厦岗驿站", "厦岗社区"), _peer_ticket("B", None, "上沙社区")]
        }
    }
    assert first_difference(form.comparable(ours), form.normalise(same), other="peer") is None

    renamed = {
        "benchPeerChiefQueue": {
            "nodes": [_peer_ticket("A", "厦岗驿站", "厦岗社区"), _peer_ticket("B", None, "虎门社区")]
        }
    }
    assert first_difference(form.comparable(ours), form.normalise(renamed), other="peer") == (
        ".tickets.nodes[1].jurisdiction.name: '上沙社区' vs '虎门社区'"
    )
    swapped = {
        "benchPeerChiefQueue": {
            "nodes": [_peer_ticket("B", None, "上沙社区"), _peer_ticket("A", "厦岗驿站", "厦岗社区")]
        }
    }
    assert first_difference(form.comparable(ours), form.normalise(swapped), other="peer") == (
        ".tickets.nodes[0].jurisdiction.name: '厦岗社区' vs '上沙社区'"
    )
    later = _peer_ticket("A", "厦岗驿站", "厦岗社区") | {"resolutionDue": "2022-01-10T02:31:00+00:00"}
    moved = {"benchPeerChiefQueue": {"nodes": [later, _peer_ticket("B", None, "上沙社区")]}}
    assert first_difference(form.comparable(ours), form.normalise(moved), other="peer") == (
        ".tickets.nodes[0].resolutionDue: '2022-01-10T10:30:00+08:00' vs '2022-01-10T10:31:00+08:00'"
    )


def test_the_stations_page_leaves_out_only_the_labels_the_peer_does_not_compute() -> None:
    form = PEER_QUERIES["stations_page"]
    station = {"code": "s1", "name": "驿站", "kind": "SERVICE_STATION", "status": "OPERATING"}
    ours = {
        "stations": {
            "totalCount": 1,
            "nodes": [
                station
                | {
                    "kindLabel": "城市服务驿站",
                    "jurisdiction": {"name": "厦岗社区"},
                    "postings": [{"role": "AREA_CHIEF", "roleLabel": "城管片长", "staff": {"name": "片长"}}],
                }
            ],
        }
    }

    def peer(role: str) -> dict[str, Any]:
        posting = {"role": role, "staffByStaffId": {"name": "片长"}}
        node = station | {
            "jurisdictionByJurisdictionId": {"name": "厦岗社区"},
            "postingsByStationId": {"nodes": [posting]},
        }
        return {"allStations": {"totalCount": 1, "nodes": [node]}}

    assert first_difference(form.comparable(ours), form.normalise(peer("AREA_CHIEF")), other="peer") is None
    assert first_difference(form.comparable(ours), form.normalise(peer("TEAM_MEMBER")), other="peer") == (
        ".stations.nodes[0].postings[0].role: 'AREA_CHIEF' vs 'TEAM_MEMBER'"
    )


@pytest.mark.skipif(TEST_DB != "postgres", reason="the peer's function is PostgreSQL's")
@pytest.mark.parametrize("name", ["chief_queue", "chief_queue_overdue"])
async def test_the_peers_function_answers_the_area_chiefs_queue(
    gql: Any, monkeypatch: Any, database_url: str, name: str
) -> None:
    await seed_dispatched_queue(gql, monkeypatch)
    op = BY_NAME[name]
    result = await gql(op.document(), op.variables(PARAMS, 0), as_user=op.user)
    assert not result.get("errors"), result["errors"]
    ours = [t["number"] for t in result["data"]["tickets"]["nodes"]]
    assert len(ours) >= 7  # the seeded tickets at least

    conn = await asyncpg.connect(database_url)
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(FUNCTIONS)
        await conn.execute(FUNCTIONS)  # idempotent: bench/run runs it before every start
        rows = await conn.fetch(
            "SELECT number FROM bench_peer.chief_queue($1, $2) LIMIT $3",
            TOWN,
            op.variables(PARAMS, 0)["overdue"],
            op.page,
        )
    finally:
        await transaction.rollback()  # the suite's database keeps no trace of it
        await conn.close()
    assert [r["number"] for r in rows] == ours
