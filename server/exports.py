"""CSV exports for spreadsheets: UTF-8 with a byte-order mark, so that Excel opens Chinese correctly.
The same authorization as GraphQL: stations the caller may read, a scorecard within its scope."""

from __future__ import annotations

import csv
import io
from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.auth.service import AuthFailure, identify
from server.authz.authorizer import Authorizer
from server.authz.engine import engine
from server.enums import label_zh
from server.errors import DomainError
from server.geo.models import Jurisdiction
from server.stations.models import Station
from server.stats.scorecard import check_period, resolve_place, scorecard

BOM = "\ufeff"


def _csv(rows: list[list[object]], filename: str) -> Response:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return Response(
        (BOM + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


async def _authorizer(request: Request) -> Authorizer | JSONResponse:
    try:
        viewer = await identify(request.headers.get("authorization"), request.headers.get("x-api-key"))
    except AuthFailure as exc:
        return _problem(401, "UNAUTHENTICATED", exc.message)
    if viewer is None:
        return _problem(401, "UNAUTHENTICATED", "Log in first: send Authorization: Bearer <token>.")
    return Authorizer(engine, viewer)


async def stations_csv(request: Request) -> Response:
    authz = await _authorizer(request)
    if isinstance(authz, JSONResponse):
        return authz
    scope = authz.scope("station", "read")
    if scope.empty:
        return _problem(403, "FORBIDDEN", "You may not read stations.")
    stations = await Station.filter(scope.q()).order_by("id")
    names = dict(await Jurisdiction.all().values_list("id", "name"))
    rows: list[list[object]] = [
        [
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
        ]
    ]
    for s in stations:
        rows.append(
            [
                s.code,
                s.name,
                s.kind.value,
                label_zh(s.kind),
                s.status.value,
                label_zh(s.status),
                names.get(s.jurisdiction_id, ""),
                s.address,
                s.floor_area,
                s.rest_area,
                s.opening_hours,
                s.latitude,
                s.longitude,
            ]
        )
    return _csv(rows, "stations.csv")


async def scorecard_csv(request: Request) -> Response:
    authz = await _authorizer(request)
    if isinstance(authz, JSONResponse):
        return authz
    params = request.query_params
    try:
        period_from = date.fromisoformat(params["from"])
        period_to = date.fromisoformat(params["to"])
    except (KeyError, ValueError):
        return _problem(400, "BAD_USER_INPUT", "Give from=YYYY-MM-DD and to=YYYY-MM-DD.")
    code = params.get("jurisdiction")
    jurisdiction_id = engine.tree.id_by_code.get(code) if code else None
    if code and jurisdiction_id is None:
        return _problem(404, "NOT_FOUND", f"No jurisdiction {code!r}.")
    try:
        check_period(period_from, period_to)
        place = resolve_place(authz, jurisdiction_id)
    except DomainError as exc:
        return _problem(403 if exc.code == "FORBIDDEN" else 400, exc.code, exc.message)
    card = await scorecard(place, period_from, period_to)
    rows: list[list[object]] = [
        ["指标 figure", "值 value"],
        ["辖区 jurisdiction", engine.tree.code(place)],
        ["期间 period", f"{period_from} – {period_to}"],
    ]
    for s in sorted(card.stations, key=lambda s: (s.kind, s.status)):
        rows.append([f"驿站 stations {s.kind} {s.status}", s.count])
    for t in card.targets:
        rows.append([f"目标 target {t.year} {t.kind}", t.target])
        rows.append([f"计划 planned {t.year} {t.kind}", t.planned])
        rows.append([f"运营 operating {t.year} {t.kind}", t.operating])
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
    return _csv(rows, "scorecard.csv")


routes = [
    Route("/export/stations.csv", stations_csv),
    Route("/export/scorecard.csv", scorecard_csv),
]
