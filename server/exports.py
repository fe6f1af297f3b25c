"""CSV exports for spreadsheets (server.spreadsheets writes them), served through the request
pipeline. The same authorization as GraphQL: stations the caller may read, a scorecard within its
scope. Errors are JSON in GraphQL's shape: {"errors": [{"message", "extensions": {"code"}}]}."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from server import params as params_
from server.authz.engine import engine
from server.enums import label_zh
from server.errors import NotFound
from server.geo.models import Jurisdiction
from server.pipeline import Call, Interface, json_error, route
from server.spreadsheets import csv_response
from server.stations.models import Station
from server.stats.scorecard import scorecard_for

MAX_JURISDICTION_CODE = 100

CSV = Interface(name="csv", error=json_error, unauthenticated_status=401)


async def station_rows(call: Call) -> tuple[list[str], list[list[object]]]:
    """(headers, rows) of the stations export, for the CSV and the XLSX alike."""
    authz = call.authorizer()
    scope = authz.require_somewhere("station", "read")
    stations = await Station.filter(scope.where()).order_by("id")
    names = dict(await Jurisdiction.all().values_list("id", "name"))
    headers = [
        "编号 code",
        "名称 name",
        "类型 kind",
        "类型(中文)",
        "状态 status",
        "状态(中文)",
        "所在地 jurisdiction",
        "地址 address",
        "总面积 floor area m²",
        "休息区 rest area m²",
        "开放时间 opening hours",
        "纬度 lat",
        "经度 long",
        "开放日期 opened on",
    ]
    rows: list[list[object]] = [
        [
            station.code,
            station.name,
            station.kind.value,
            label_zh(station.kind),
            station.status.value,
            label_zh(station.status),
            names.get(station.jurisdiction_id, ""),
            station.address,
            station.floor_area,
            station.rest_area,
            station.opening_hours,
            station.latitude,
            station.longitude,
            station.opened_on,
        ]
        for station in stations
    ]
    return headers, rows


async def stations_csv(request: Request, call: Call) -> Response:
    headers, rows = await station_rows(call)
    return csv_response([headers, *rows], "stations.csv")


async def scorecard_rows(request: Request, call: Call) -> list[list[object]]:
    """The scorecard export's rows (the first is the header), for the CSV and the XLSX alike."""
    authz = call.authorizer()
    params = request.query_params
    period_from = params_.day(params.get("from"), "from", required=True) or date.min
    period_to = params_.day(params.get("to"), "to", required=True) or date.min
    code = params_.text(params.get("jurisdiction"), "jurisdiction", max_length=MAX_JURISDICTION_CODE)
    jurisdiction_id = engine.tree.id_by_code.get(code) if code else None
    if code and jurisdiction_id is None:
        raise NotFound("Jurisdiction", repr(code))
    place, card = await scorecard_for(authz, jurisdiction_id, period_from, period_to)
    rows: list[list[object]] = [
        ["指标 figure", "值 value"],
        ["辖区 jurisdiction", engine.tree.code(place)],
        ["期间 period", f"{period_from} – {period_to}"],
    ]
    rows.extend(
        [f"驿站 stations {station.kind} {station.status}", station.count]
        for station in sorted(card.stations, key=lambda station: (station.kind, station.status))
    )
    for target in card.targets:
        rows.append([f"目标 target {target.year} {target.kind}", target.target])
        rows.append([f"计划 planned {target.year} {target.kind}", target.planned])
        rows.append([f"运营 operating {target.year} {target.kind}", target.operating])
    rows += [
        ["受理 tickets received", card.received],
        ["办结 tickets resolved", card.resolved],
        ["超期 tickets overdue", card.overdue],
        ["响应时间中位数 median response (min)", card.response.median_minutes],
        ["响应时间P90 p90 response (min)", card.response.p90_minutes],
        ["处置时间中位数 median resolution (min)", card.resolution.median_minutes],
        ["处置时间P90 p90 resolution (min)", card.resolution.p90_minutes],
    ]
    for method, label in (
        ("SERVICE", "服务 service"),
        ("MANAGEMENT", "管理 management"),
        ("ENFORCEMENT", "执法 enforcement"),
    ):
        rows.append([f"721 {label}", card.methods.get(method, 0)])
        rows.append([f"721 {label} share", card.share(method)])
    rows += [
        ["建议答复 proposals replied", card.proposals_replied],
        ["按时答复 replied on time", card.proposals_replied_on_time],
    ]
    rows += [[f"代表评价 rating {k}", v] for k, v in sorted(card.ratings.items())]
    for label, rate in (
        ("响应率 response rate", card.rates.response),
        ("解决率 resolution rate", card.rates.resolution),
        ("满意率 satisfaction rate", card.rates.satisfaction),
    ):
        rows.append([label, rate.value])
        rows.append([f"{label} numerator", rate.numerator])
        rows.append([f"{label} denominator", rate.denominator])
    return rows


async def scorecard_csv(request: Request, call: Call) -> Response:
    return csv_response(await scorecard_rows(request, call), "scorecard.csv")


routes = [
    route("/export/stations.csv", stations_csv, CSV),
    route("/export/scorecard.csv", scorecard_csv, CSV),
]
