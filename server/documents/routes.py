"""Document downloads, through the request pipeline (the caller identified, keys rate-limited and
recorded, errors as JSON in GraphQL's shape):

  /proposals/{number}/reply-letter.docx|.pdf   the latest reply's letter, for those who read it
  /export/handling-report.docx|.pdf?term=&session=   the session's handling report
  /export/stations.xlsx, /export/scorecard.xlsx   the CSV exports' rows as spreadsheets
  /export/tickets.xlsx?from=&to=   the tickets the caller may list, personal data as it may read it
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from server import exports
from server import params as params_
from server.caller import Caller
from server.clock import CITY_TZ
from server.documents import letters, office, report, xlsx
from server.enums import label_zh
from server.errors import Forbidden, NotFound
from server.geo.models import Jurisdiction
from server.pipeline import Call, Interface, json_error, route
from server.privacy.inventory import MASKS
from server.proposals.models import Proposal
from server.stations.models import Station
from server.tickets.models import Ticket, TicketCategory

DOCUMENTS = Interface(name="document", error=json_error, unauthenticated_status=401)
NUMBER_MAX = 32


def _file(data: bytes, content_type: str, name: str) -> Response:
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _proposal_id(request: Request) -> int:
    number = params_.text(request.path_params["number"], "number", max_length=NUMBER_MAX, required=True)
    found = await Proposal.get_or_none(number=number)
    if found is None:
        raise NotFound("Proposal", number)
    return found.id  # visibility is the service's to check: an invisible one is NOT_FOUND there


async def reply_letter(request: Request, call: Call) -> Response:
    fmt = request.path_params["format"]
    if fmt not in ("docx", "pdf"):
        raise NotFound("Document", fmt)
    letter = await letters.reply_letter(await _proposal_id(request), fmt, Caller.of(call))
    return _file(letter.data, letter.content_type, letter.file_name)


async def handling_report(request: Request, call: Call) -> Response:
    fmt = request.path_params["format"]
    if fmt not in ("docx", "pdf"):
        raise NotFound("Document", fmt)
    params = request.query_params
    term = int(params_.number(params.get("term"), "term", low=1, high=99) or 0)
    session = int(params_.number(params.get("session"), "session", low=1, high=20) or 0)
    if not term or not session:
        raise params_.bad("term" if not term else "session", "is required", "REQUIRED")
    authz = call.authorizer()
    figures = await report.handling_report(authz, term, session)
    data = report.report_docx(figures)
    name = f"handling-report-{term}-{session}"
    if fmt == "pdf":
        return _file(await office.docx_to_pdf(data), office.PDF, name + ".pdf")
    return _file(data, office.DOCX, name + ".docx")


async def stations_xlsx(request: Request, call: Call) -> Response:
    headers, rows = await exports.station_rows(call)
    return xlsx.xlsx_response([xlsx.Sheet("驿站 stations", headers, rows)], "stations.xlsx")


def _is_721_count(row: list[object]) -> bool:
    return str(row[0]).startswith("721 ") and not str(row[0]).endswith(" share")


async def scorecard_xlsx(request: Request, call: Call) -> Response:
    header, *rows = await exports.scorecard_rows(request, call)
    # The 721 counts (not their shares) go last, where the chart reads them as one range.
    counts = [r for r in rows if _is_721_count(r)]
    ordered = [r for r in rows if not _is_721_count(r)] + counts
    chart = xlsx.Chart("721 工作法 721 split", len(ordered) - len(counts) + 1, len(ordered), anchor="D3")
    sheet = xlsx.Sheet("成绩单 scorecard", [str(h) for h in header], ordered, [chart])
    return xlsx.xlsx_response([sheet], "scorecard.xlsx")


MAX_TICKET_DAYS = 366
MAX_TICKET_ROWS = 100_000


async def tickets_xlsx(request: Request, call: Call) -> Response:
    """The tickets registered in a period (at most a year) that the caller may list; the
    reporter's name and phone whole only where it may read personal data (each such read logged,
    as GraphQL logs them), masked (王*, 138****0000) elsewhere."""
    authz = call.authorizer()
    visible = authz.visible_tickets()
    if visible is None:
        raise Forbidden("You may not read tickets.")
    params = request.query_params
    first = params_.day(params.get("from"), "from", required=True)
    last = params_.day(params.get("to"), "to", required=True)
    if first is None or last is None or first > last:
        raise params_.bad("to", "is before from", "BAD_RANGE")
    if (last - first).days >= MAX_TICKET_DAYS:
        raise params_.bad("to", f"a period is at most {MAX_TICKET_DAYS} days", "BAD_RANGE")
    start = datetime.combine(first, time.min, CITY_TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, CITY_TZ)
    query = Ticket.filter(visible, registered_at__gte=start, registered_at__lt=end)
    if await query.count() > MAX_TICKET_ROWS:
        raise params_.bad("to", f"more than {MAX_TICKET_ROWS} tickets: ask for a shorter period", "TOO_MANY")
    tickets = await query.order_by("registered_at", "id")
    places = dict(await Jurisdiction.all().values_list("id", "name"))
    categories = dict(await TicketCategory.all().values_list("id", "name"))
    stations = dict(
        await Station.filter(id__in={t.station_id for t in tickets if t.station_id}).values_list("id", "code")
    )
    rows: list[list[object]] = []
    for ticket in tickets:
        personal = authz.can("ticket_personal", "read", ticket.jurisdiction_id)
        if personal and (ticket.reporter_name or ticket.reporter_phone):
            call.personal_reads.append((ticket.id, ticket.number, "reporter_name"))
            call.personal_reads.append((ticket.id, ticket.number, "reporter_phone"))
        person = [
            getattr(ticket, field) if personal else (MASKS[field](getattr(ticket, field)) or "")
            for field in ("reporter_name", "reporter_phone")
        ]
        rows.append(
            [
                ticket.number,
                ticket.status.value,
                label_zh(ticket.status),
                ticket.source.value,
                categories.get(ticket.category_id, ""),
                places.get(ticket.jurisdiction_id, ""),
                stations.get(ticket.station_id, "") if ticket.station_id else "",
                ticket.registered_at,
                ticket.resolved_at,
                ticket.resolution_method.value if ticket.resolution_method else "",
                *person,
            ]
        )
    headers = [
        "编号 number",
        "状态 status",
        "状态(中文)",
        "来源 source",
        "类别 category",
        "所在地 jurisdiction",
        "驿站 station",
        "登记时间 registered at",
        "办结时间 resolved at",
        "处置方式 method",
        "反映人 reporter",
        "电话 phone",
    ]
    return xlsx.xlsx_response([xlsx.Sheet("工单 tickets", headers, rows)], "tickets.xlsx")


routes = [
    route("/proposals/{number}/reply-letter.{format}", reply_letter, DOCUMENTS),
    route("/export/handling-report.{format}", handling_report, DOCUMENTS),
    route("/export/stations.xlsx", stations_xlsx, DOCUMENTS),
    route("/export/scorecard.xlsx", scorecard_xlsx, DOCUMENTS),
    route("/export/tickets.xlsx", tickets_xlsx, DOCUMENTS),
]
