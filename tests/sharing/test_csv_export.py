"""CSV exports: UTF-8 with BOM, Chinese intact, and the caller's authorization."""

from __future__ import annotations

import csv
import io
from typing import Any


async def _get(client: Any, gql: Any, path: str, user: str, **params: str) -> Any:
    token = await gql.token(user)
    return await client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})


def _rows(response: Any) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())  # the BOM spreadsheets need
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_stations_csv_as_bureau_and_as_a_community_worker(client: Any, gql: Any) -> None:
    everything = _rows(await _get(client, gql, "/export/stations.csv", "bureau"))
    assert everything[0][0] == "编号 code"
    operating = [r for r in everything[1:] if r[4] == "OPERATING"]
    assert len([r for r in operating if r[2] == "SERVICE_STATION"]) == 113
    assert any(r[1] == "长安镇厦岗社区城市服务驿站" and r[3] == "城市服务驿站" for r in everything)
    xiagang = _rows(await _get(client, gql, "/export/stations.csv", "worker-xiagang"))
    assert 1 < len(xiagang) < len(everything) and all(r[6] == "厦岗社区" for r in xiagang[1:])
    anonymous = await client.get("/export/stations.csv")
    assert anonymous.status_code == 401


async def test_scorecard_csv_obeys_scope(client: Any, gql: Any) -> None:
    rows = dict(
        r
        for r in _rows(
            await _get(
                client, gql, "/export/scorecard.csv", "bureau", **{"from": "2021-01-01", "to": "2022-12-31"}
            )
        )
        if len(r) == 2
    )
    assert rows["驿站 stations SERVICE_STATION OPERATING"] == "113"
    assert rows["驿站 stations COMMUNITY_WORKSTATION OPERATING"] == "116"
    refused = await _get(
        client,
        gql,
        "/export/scorecard.csv",
        "worker-xiagang",
        **{"from": "2021-01-01", "to": "2022-12-31", "jurisdiction": "dongguan"},
    )
    assert refused.status_code == 403
    bad = await _get(client, gql, "/export/scorecard.csv", "bureau", **{"from": "soon", "to": "2022-12-31"})
    assert bad.status_code == 400
