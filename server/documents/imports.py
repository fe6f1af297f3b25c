"""Stations from a spreadsheet (XLSX or CSV): `lianxin import stations FILE` and the GraphQL
`importStations` upload.

Each row goes through the station mutations' own service functions (create_station,
update_station), so the rules are the mutations' rules and nothing here repeats them. The whole
file runs in one transaction: a dry run, or any problem in any row, rolls it all back, so nothing
is ever half-imported; the answer names every problem by row (as the spreadsheet numbers them) and
column, in Chinese and English. Idempotent by station code: a row equal to its station changes
nothing and writes no audit entry; a changed row is an update (a status change must be a move the
lifecycle allows); a new code is a new station. Every change is audited by the service under the
import's request id (import-<first 12 hex digits of the file's SHA-256>), so an import can be
followed in the audit trail as one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from server.authz.engine import engine
from server.caller import Caller
from server.enums import Amenity, StationFunction, StationKind, StationLevel, StationStatus, label_zh
from server.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from server.geo.models import Jurisdiction
from server.stations import service as stations
from server.stations.models import Station

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
MAX_COLUMNS = 60


@dataclass(frozen=True)
class Column:
    name: str  # the service's field
    zh: str
    en: str
    problem_field: str  # the mutations' field name in their problems (camelCase)


COLUMNS = [
    Column("code", "编号", "code", "code"),
    Column("name", "名称", "name", "name"),
    Column("kind", "类型", "kind", "kind"),
    Column("level", "级别", "level", "level"),
    Column("status", "状态", "status", "status"),
    Column("jurisdiction_id", "所在地", "jurisdiction", "jurisdictionId"),
    Column("address", "地址", "address", "address"),
    Column("floor_area", "总面积", "floor area", "floorArea"),
    Column("rest_area", "休息区", "rest area", "restArea"),
    Column("opening_hours", "开放时间", "opening hours", "openingHours"),
    Column("latitude", "纬度", "lat", "latitude"),
    Column("longitude", "经度", "long", "longitude"),
    Column("functions", "功能", "functions", "functions"),
    Column("amenities", "便民设施", "amenities", "amenities"),
    Column("planned_year", "计划年度", "planned year", "plannedYear"),
    Column("opened_on", "开放日期", "opened on", "openedOn"),
]
BY_FIELD = {c.problem_field: c for c in COLUMNS}

# Chinese for the codes of the mutations' problems; the English is the service's own message.
CODES_ZH = {
    "REQUIRED": "必填",
    "TOO_LONG": "内容过长",
    "OUT_OF_RANGE": "数值超出允许范围",
    "REST_AREA_BELOW_60_PERCENT": "驿站休息区面积不少于总面积的60%",
    "DUPLICATE": "编号已存在或在表中重复",
    "OFF_MAP": "坐标不在东莞市范围内",
    "FORBIDDEN_TRANSITION": "状态不能这样变更",
    "INVALID": "内容无效",
    "NOT_FOUND": "找不到",
    "FORBIDDEN": "无权操作",
    "NOT_A_NUMBER": "应为数字",
    "NOT_A_DATE": "应为日期（如2022-01-31）",
    "UNKNOWN_VALUE": "不是可选的值",
}


@dataclass(frozen=True)
class ImportProblem:
    row: int  # as the spreadsheet numbers it (headers included)
    column: str  # the column's Chinese and English name, e.g. "休息区 rest area"
    code: str
    message_zh: str
    message_en: str


@dataclass
class ImportResult:
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def committed(self) -> bool:
        return not self.dry_run and not self.problems


class _RollBack(Exception):
    """Leaves the import's transaction without committing it (dry run, or problems)."""


# ---- reading the file ---------------------------------------------------------------------------


def _file_problem(message: str, code: str = "INVALID") -> ValidationFailed:
    return ValidationFailed(problems=[FieldProblem("file", message, code)])


def read_table(data: bytes, file_name: str) -> list[list[object]]:
    """Every row of the file's first sheet (XLSX) or of the CSV (UTF-8, with or without BOM)."""
    if len(data) > MAX_BYTES:
        raise _file_problem(f"the file is larger than {MAX_BYTES // 1048576} MB", "TOO_LARGE")
    if data[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise _file_problem(f"not a readable XLSX file ({type(exc).__name__})") from None
        sheet = book.worksheets[0]
        rows: list[list[object]] = []
        # Read no further than an import may go: a small file can unzip to a vast sheet.
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 2:
                book.close()
                raise _file_problem(f"at most {MAX_ROWS} rows per import", "TOO_MANY")
        book.close()
        return rows
    if file_name.lower().endswith((".xls", ".xlsx")):
        raise _file_problem("not an XLSX file (the old .xls format is not read: save as .xlsx)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_problem("a CSV file must be UTF-8 (Excel: 'CSV UTF-8')") from None
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _match(header: object) -> Column | None:
    text = str(header or "").strip().lower()
    for column in COLUMNS:
        if text in (column.zh, column.en, column.name) or text.startswith((column.zh + " ", column.zh + "(")):
            return column
        if text == f"{column.zh} {column.en}" or (text.split(" ", 1)[0] == column.zh):
            return column
    return None


def _english_header(row: list[object], columns: list[Column | None]) -> bool:
    """Whether a second row holds the English column names (our exports write one): its cell
    under the code column says "code"."""
    for value, column in zip(row, columns, strict=False):
        if column is not None and column.name == "code":
            return str(value or "").strip().lower() == "code"
    return False


# ---- one row ------------------------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _enum(value: object, enum: Any) -> Any:
    text = str(value).strip()
    for member in enum:
        if text in (member.value, label_zh(member)):
            return member
    raise ValueError("UNKNOWN_VALUE")


def _enums(value: object, enum: Any) -> list[Any]:
    parts = [p for p in str(value).replace("、", " ").replace(",", " ").replace("，", " ").split() if p]
    return [_enum(p, enum) for p in parts]


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("NOT_A_NUMBER")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise ValueError("NOT_A_NUMBER") from None


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError("NOT_A_DATE") from None


async def _jurisdiction(value: object, names: dict[str, list[int]]) -> int:
    text = str(value).strip()
    found = engine.tree.id_by_code.get(text)
    if found is not None:
        return found
    ids = names.get(text, [])
    if len(ids) == 1:
        return ids[0]
    raise ValueError("NOT_FOUND")


async def _parse(
    cells: dict[Column, object], names: dict[str, list[int]]
) -> tuple[dict[str, Any], list[tuple[Column, str]]]:
    values: dict[str, Any] = {}
    bad: list[tuple[Column, str]] = []
    for column, raw in cells.items():
        if _blank(raw):
            continue
        try:
            if column.name == "kind":
                values["kind"] = _enum(raw, StationKind)
            elif column.name == "level":
                values["level"] = _enum(raw, StationLevel)
            elif column.name == "status":
                values["status"] = _enum(raw, StationStatus)
            elif column.name == "functions":
                values["functions"] = _enums(raw, StationFunction)
            elif column.name == "amenities":
                values["amenities"] = _enums(raw, Amenity)
            elif column.name == "jurisdiction_id":
                values["jurisdiction_id"] = await _jurisdiction(raw, names)
            elif column.name in ("floor_area", "rest_area", "latitude", "longitude"):
                values[column.name] = _number(raw)
            elif column.name == "planned_year":
                number = _number(raw)
                if number != int(number):
                    raise ValueError("NOT_A_NUMBER")
                values["planned_year"] = int(number)
            elif column.name == "opened_on":
                values["opened_on"] = _day(raw)
            else:
                values[column.name] = str(raw).strip() if column.name == "code" else str(raw)
        except ValueError as exc:
            bad.append((column, str(exc)))
    return values, bad


def _differences(station: Station, values: dict[str, Any]) -> dict[str, Any]:
    """The row's values that differ from the station's (sets of functions and amenities compared as
    sets, numbers as numbers)."""
    changes = {}
    for name, value in values.items():
        current = getattr(station, name)
        if name in ("functions", "amenities"):
            if stations.tokens(value) != (current or " "):
                changes[name] = value
        elif isinstance(value, float) and current is not None:
            if abs(float(current) - value) > 1e-9:
                changes[name] = value
        elif current != value:
            changes[name] = value
    return changes


def _problem(row: int, column: Column | None, code: str, english: str) -> ImportProblem:
    zh_name = column.zh if column else "（整行）"
    en_name = column.en if column else "(row)"
    return ImportProblem(
        row=row,
        column=f"{zh_name} {en_name}",
        code=code,
        message_zh=f"第{row}行「{zh_name}」：{CODES_ZH.get(code, '内容无效')}",
        message_en=f"row {row}, column {en_name}: {english}",
    )


def _from_error(row: int, exc: DomainError) -> list[ImportProblem]:
    if isinstance(exc, ValidationFailed):
        return [_problem(row, BY_FIELD.get(p.field), p.code, p.message) for p in exc.problems]
    if isinstance(exc, NotFound) and exc.object_type == "Jurisdiction":
        return [_problem(row, BY_FIELD["jurisdictionId"], "NOT_FOUND", exc.message)]
    if isinstance(exc, NotFound) and exc.object_type == "Station":  # outside the caller's scope
        return [_problem(row, BY_FIELD["code"], "FORBIDDEN", "you may not change this station")]
    return [_problem(row, None, exc.code, exc.message)]


# ---- the import ---------------------------------------------------------------------------------


def request_id(data: bytes) -> str:
    return "import-" + hashlib.sha256(data).hexdigest()[:12]


async def import_stations(
    data: bytes,
    file_name: str,
    caller: Caller,
    *,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import (or, with dry_run, only check) the stations of a spreadsheet; see the module."""
    caller.authz.require_somewhere("station", "create")
    table = read_table(data, file_name)
    if not table:
        raise _file_problem("the file is empty", "EMPTY")
    columns = [_match(h) for h in table[0]]
    if not any(c is not None and c.name == "code" for c in columns):
        raise _file_problem("the first row must name the columns, 编号 (code) among them", "NO_HEADER")
    first = 1
    if len(table) > 1 and _english_header(table[1], columns):
        first = 2  # our own exports put the English names in a second header row
    body = [(index + 1, row) for index, row in enumerate(table[first:], start=first)]
    body = [(n, r) for n, r in body if any(not _blank(v) for v in r)]
    if len(body) > MAX_ROWS:
        raise _file_problem(f"at most {MAX_ROWS} rows per import (got {len(body)})", "TOO_MANY")
    names: dict[str, list[int]] = {}
    for jid, name in await Jurisdiction.all().values_list("id", "name"):
        names.setdefault(str(name), []).append(int(jid))
    import_caller = Caller(caller.authz, caller.actor, request_id(data), caller.call)
    result = ImportResult(dry_run=dry_run, rows=len(body))
    seen: dict[str, int] = {}
    try:
        async with in_transaction():
            for done, (number, row) in enumerate(body, start=1):
                cells = {
                    c: (row[i] if i < len(row) else None) for i, c in enumerate(columns) if c is not None
                }
                values, bad = await _parse(cells, names)
                for column, code in bad:
                    result.problems.append(
                        _problem(number, column, code, f"{code.lower().replace('_', ' ')}: {cells[column]!r}")
                    )
                code_value = values.get("code")
                if code_value in seen:
                    result.problems.append(
                        _problem(
                            number,
                            BY_FIELD["code"],
                            "DUPLICATE",
                            f"code {code_value!r} is also on row {seen[code_value]}",
                        )
                    )
                    continue
                if code_value:
                    seen[code_value] = number
                if bad:
                    continue
                try:
                    await _apply(values, import_caller, result)
                except DomainError as exc:
                    result.problems.extend(_from_error(number, exc))
                if progress is not None:
                    progress(done, len(body))
            if dry_run or result.problems:
                raise _RollBack
    except _RollBack:
        pass
    if result.problems:
        result.created = result.updated = result.unchanged = 0
    return result


async def _apply(values: dict[str, Any], caller: Caller, result: ImportResult) -> None:
    existing = await Station.get_or_none(code=values["code"]) if values.get("code") else None
    if existing is None:
        await stations.create_station(stations.StationData(**values), caller=caller)
        result.created += 1
        return
    if not caller.authz.can("station", "read", existing.jurisdiction_id):
        raise NotFound("Station", existing.id)
    changes = _differences(existing, values)
    if not changes:
        result.unchanged += 1
        return
    await stations.update_station(
        existing.id, existing.version, stations.StationData(**changes), caller=caller
    )
    result.updated += 1


async def account_caller(username: str) -> Caller:
    """The caller an operator's import acts as: a login account, with the roles it is granted
    (so the command line cannot do more than the account could through the API)."""
    from server.auth.admin import logged_in
    from server.auth.models import User

    user = await User.get_or_none(username=username, active=True)
    if user is None:
        raise NotFound("User", username)
    return Caller(await logged_in(user), user.username)
