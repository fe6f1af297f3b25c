"""Stations from a spreadsheet, through the GraphQL upload and the command line: a 500-row file
with three bad rows is refused whole, naming each row and column; fixed, it imports all 500; run
again, nothing changes (no new versions, no new audit entries)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from server.settings import ROOT
from tests.attachments.helpers import multipart
from tests.helpers import data

IMPORT = """mutation($file: Upload!, $dryRun: Boolean!) { importStations(file: $file, dryRun: $dryRun) {
  __typename
  ... on ImportStationsPayload { dryRun committed rows created updated unchanged
        problems { row column code messageZh messageEn } }
  ... on ValidationError { code fields { field code message } } ... on ForbiddenError { code } } }"""

HEADERS = [
    "编号",
    "名称",
    "类型",
    "级别",
    "状态",
    "所在地",
    "地址",
    "总面积",
    "休息区",
    "纬度",
    "经度",
    "功能",
    "开放日期",
]
BAD_ROWS = {17: "rest", 250: "kind", 444: "jurisdiction"}  # data row index → what is wrong


def _rows(*, broken: bool) -> list[list[object]]:
    rows: list[list[object]] = []
    for i in range(500):
        floor = 50.0 + i % 40
        row: list[object] = [
            f"IMPORT-{i:04d}",
            f"导入测试驿站{i}",
            "城市服务驿站" if i % 2 else "SERVICE_STATION",
            "TOWN",
            "PLANNED",
            "dongguan/changan",
            f"长安镇示例路{i}号",
            floor,
            floor * 0.7,
            22.8 + (i % 50) / 1000,
            113.8 + (i % 50) / 1000,
            "REST_AND_WATER CITY_MANAGEMENT",
            None,
        ]
        if broken and BAD_ROWS.get(i) == "rest":
            row[8] = floor * 0.5  # below 60% of the floor area
        if broken and BAD_ROWS.get(i) == "kind":
            row[2] = "驿站"
        if broken and BAD_ROWS.get(i) == "jurisdiction":
            row[5] = "nowhere"
        rows.append(row)
    return rows


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode()


async def _import(
    client: Any, gql: Any, file: bytes, name: str, *, dry_run: bool, user: str = "bureau"
) -> Any:
    kind = "text/csv" if name.endswith(".csv") else "application/octet-stream"
    result = await multipart(
        client,
        IMPORT,
        {"file": None, "dryRun": dry_run},
        {"variables.file": (name, file, kind)},
        await gql.token(user),
    )
    return data(result)["importStations"]


async def _imported(gql: Any) -> list[tuple[str, int]]:
    found = data(
        await gql(
            '{ stations(first: 100, filter: {search: "导入测试驿站"}) {'
            " totalCount edges { node { code version } } } }"
        )
    )["stations"]
    return found["totalCount"], sorted((e["node"]["code"], e["node"]["version"]) for e in found["edges"])


async def _audit_count(gql: Any) -> int:
    return int(
        data(await gql('{ auditTrail(objectType: "Station", first: 1) { totalCount } }', as_user="admin"))[
            "auditTrail"
        ]["totalCount"]
    )


async def test_a_spreadsheet_with_three_bad_rows_writes_nothing_then_imports_all_once(
    client: Any, gql: Any
) -> None:
    before = await _audit_count(gql)
    checked = await _import(client, gql, _xlsx(_rows(broken=True)), "stations.xlsx", dry_run=False)
    assert checked["__typename"] == "ImportStationsPayload", checked
    assert checked["committed"] is False and checked["rows"] == 500
    named = {(p["row"], p["column"], p["code"]) for p in checked["problems"]}
    # Spreadsheet rows: the header is row 1, data row i is row i + 2.
    assert named == {
        (19, "休息区 rest area", "REST_AREA_BELOW_60_PERCENT"),
        (252, "类型 kind", "UNKNOWN_VALUE"),
        (446, "所在地 jurisdiction", "NOT_FOUND"),
    }, checked["problems"]
    rest = next(p for p in checked["problems"] if p["row"] == 19)
    assert (
        rest["messageZh"].startswith("第19行「休息区」") and "row 19, column rest area" in rest["messageEn"]
    )
    assert (await _imported(gql))[0] == 0
    assert await _audit_count(gql) == before

    dry = await _import(client, gql, _xlsx(_rows(broken=False)), "stations.xlsx", dry_run=True)
    assert (dry["dryRun"], dry["committed"], dry["created"], dry["problems"]) == (True, False, 500, [])
    assert (await _imported(gql))[0] == 0

    done = await _import(client, gql, _xlsx(_rows(broken=False)), "stations.xlsx", dry_run=False)
    assert (done["committed"], done["created"], done["updated"], done["unchanged"]) == (True, 500, 0, 0)
    total, versions = await _imported(gql)
    assert total == 500
    audited = await _audit_count(gql)
    assert audited == before + 500

    # The same rows again, as CSV this time: nothing changes, nothing is audited.
    again = await _import(client, gql, _csv(_rows(broken=False)), "stations.csv", dry_run=False)
    assert (again["committed"], again["created"], again["updated"], again["unchanged"]) == (True, 0, 0, 500)
    assert await _imported(gql) == (total, versions)
    assert await _audit_count(gql) == audited


async def test_a_changed_row_updates_through_the_lifecycle_rules(client: Any, gql: Any) -> None:
    rows = _rows(broken=False)[:3]
    assert (await _import(client, gql, _csv(rows), "s.csv", dry_run=False))["created"] == 3
    rows[0][4] = "UNDER_CONSTRUCTION"
    rows[1][4] = "CLOSED"
    rows[2][4] = "OPERATING"  # PLANNED → OPERATING skips construction: refused, so nothing is written
    refused = await _import(client, gql, _csv(rows), "s.csv", dry_run=False)
    assert [(p["row"], p["column"], p["code"]) for p in refused["problems"]] == [
        (4, "状态 status", "FORBIDDEN_TRANSITION")
    ]
    rows[2][4] = "PLANNED"
    applied = await _import(client, gql, _csv(rows), "s.csv", dry_run=False)
    assert (applied["updated"], applied["unchanged"]) == (2, 1)


async def test_who_may_import_and_what_is_not_a_spreadsheet(client: Any, gql: Any) -> None:
    rows = _rows(broken=False)[:2]
    forbidden = await _import(client, gql, _csv(rows), "s.csv", dry_run=True, user="deputy")
    assert forbidden["__typename"] == "ForbiddenError"
    garbage = await _import(client, gql, b"PK\x03\x04not a zip", "s.xlsx", dry_run=True)
    assert garbage["__typename"] == "ValidationError" and garbage["fields"][0]["field"] == "file"
    headless = await _import(client, gql, b"a,b\n1,2\n", "s.csv", dry_run=True)
    assert headless["fields"][0]["code"] == "NO_HEADER"


async def test_the_stations_export_imports_back_unchanged(client: Any, gql: Any) -> None:
    token = await gql.token("bureau")
    exported = await client.get("/export/stations.xlsx", headers={"Authorization": f"Bearer {token}"})
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None and sheet.freeze_panes == "A3"
    result = await _import(client, gql, exported.content, "stations.xlsx", dry_run=True)
    assert result["problems"] == [] and result["created"] == 0 and result["updated"] == 0
    assert result["unchanged"] == result["rows"] > 0


def _lianxin(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIANXIN_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "lianxin.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


async def test_the_command_line_checks_then_imports_with_a_progress_bar(
    gql: Any, database_url: str, tmp_path: Path
) -> None:
    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.csv"
    bad.write_bytes(_xlsx(_rows(broken=True)[:30]))
    good.write_bytes(_csv(_rows(broken=False)[:30]))
    refused = _lianxin(database_url, "import", "stations", str(bad), "--as", "bureau")
    assert refused.returncode == 1
    assert "第19行「休息区」" in refused.stderr and "row 19, column rest area" in refused.stderr
    assert "(nothing was written)" in refused.stdout
    dry = _lianxin(database_url, "import", "stations", str(good), "--dry-run", "--as", "bureau")
    assert dry.returncode == 0, dry.stderr
    assert "30/30" in dry.stderr and "30 would be created" in dry.stdout
    assert (await _imported(gql))[0] == 0
    done = _lianxin(database_url, "import", "stations", str(good), "--as", "bureau")
    assert done.returncode == 0 and "30 were created" in done.stdout, done.stdout + done.stderr
    assert (await _imported(gql))[0] == 30
    nobody = _lianxin(database_url, "import", "stations", str(good), "--as", "deputy")
    assert nobody.returncode == 1 and "may not create station" in nobody.stderr
