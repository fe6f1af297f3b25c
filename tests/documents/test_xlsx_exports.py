"""XLSX exports beside the CSVs: the same rows, Chinese headers with English beneath, the header
frozen, widths set, dates as dates, text never run as a formula; the scorecard with its chart."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from openpyxl import load_workbook

from tests.helpers import data


async def _get(client: Any, gql: Any, path: str, user: str = "bureau", **params: str) -> Any:
    token = await gql.token(user)
    return await client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})


async def test_the_stations_spreadsheet_has_the_csvs_rows_typed(client: Any, gql: Any) -> None:
    xlsx = await _get(client, gql, "/export/stations.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    text = (await _get(client, gql, "/export/stations.csv")).content.decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text)))
    rows = list(sheet.iter_rows(values_only=True))
    assert [f"{zh} {en or ''}".strip() for zh, en in zip(rows[0], rows[1], strict=True)] == csv_rows[0]
    assert rows[0][0] == "编号" and rows[1][0] == "code"
    assert len(rows) - 2 == len(csv_rows) - 1
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["B"].width > 10
    assert [r[0] for r in rows[2:]] == [r[0] for r in csv_rows[1:]]
    opened = [r[-1] for r in rows[2:] if r[-1] is not None]
    assert opened and all(isinstance(d, datetime) for d in opened)  # a date cell, not text
    floor = [r[8] for r in rows[2:]]
    assert all(isinstance(v, float | int) for v in floor)


async def test_text_that_looks_like_a_formula_stays_text(client: Any, gql: Any) -> None:
    station = data(await gql("{ stations(first: 1) { edges { node { id version } } } }"))["stations"][
        "edges"
    ][0]
    changed = await gql(
        "mutation($i: UpdateStationInput!) { updateStation(input: $i) { __typename } }",
        {
            "i": {
                "id": station["node"]["id"],
                "version": station["node"]["version"],
                "name": '=HYPERLINK("x")',
            }
        },
    )
    assert data(changed)["updateStation"]["__typename"] == "StationPayload", changed
    sheet = load_workbook(io.BytesIO((await _get(client, gql, "/export/stations.xlsx")).content)).active
    assert sheet is not None
    cells = [sheet.cell(row=r, column=2) for r in range(3, sheet.max_row + 1)]
    formula = [c for c in cells if c.value == '=HYPERLINK("x")']
    assert formula and formula[0].data_type == "s"


async def test_the_scorecard_spreadsheet_has_its_chart(client: Any, gql: Any) -> None:
    response = await _get(client, gql, "/export/scorecard.xlsx", **{"from": "2021-01-01", "to": "2022-12-31"})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    figures = {r[0]: r[1] for r in rows[2:]}
    assert "受理 tickets received" in figures and isinstance(figures["受理 tickets received"], int)
    assert len(sheet._charts) == 1
    bad = await _get(client, gql, "/export/scorecard.xlsx", **{"from": "2022-12-31", "to": "2021-01-01"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    anonymous = await client.get("/export/stations.xlsx")
    assert anonymous.status_code == 401


async def _reads(gql: Any) -> int:
    query = "{ personalDataReads(first: 1) { totalCount } }"
    return int(data(await gql(query, as_user="admin"))["personalDataReads"]["totalCount"])


async def test_tickets_spreadsheet_shows_personal_data_only_to_those_who_may_read_it(
    client: Any, gql: Any
) -> None:
    period = {"from": "2020-01-01", "to": "2020-12-31"}
    listed = data(await gql("{ tickets { totalCount } }"))["tickets"]["totalCount"]
    assert listed > 0
    unread = await _reads(gql)
    wide = await _get(client, gql, "/export/tickets.xlsx", **{"from": "2022-01-01", "to": "2022-12-31"})
    assert wide.status_code == 200, wide.text
    before = await _reads(gql)
    assert before > unread  # the bureau's whole names and phones are logged reads
    sheet = load_workbook(io.BytesIO(wide.content)).active
    assert sheet is not None and sheet.freeze_panes == "A3"
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows and all(isinstance(r[7], datetime) for r in rows)  # registered at: a date cell
    full = [r for r in rows if r[10] and "*" not in str(r[10])]
    assert full, "the bureau reads the reporters' names whole"

    masked = await _get(
        client, gql, "/export/tickets.xlsx", "deputy", **{"from": "2022-01-01", "to": "2022-12-31"}
    )
    assert masked.status_code == 200, masked.text
    deputy_rows = list(
        load_workbook(io.BytesIO(masked.content)).active.iter_rows(min_row=3, values_only=True)
    )  # type: ignore[union-attr]
    assert deputy_rows and all(not r[11] or "****" in str(r[11]) for r in deputy_rows)
    assert await _reads(gql) == before  # a deputy's masked export reads no personal data

    too_long = await _get(client, gql, "/export/tickets.xlsx", **{"from": "2020-01-01", "to": "2022-01-01"})
    assert too_long.status_code == 400
    assert (await _get(client, gql, "/export/tickets.xlsx", "admin", **period)).status_code == 403
