"""Document downloads, through the request pipeline (the caller identified, keys rate-limited and
recorded, errors as JSON in GraphQL's shape):

  /proposals/{number}/reply-letter.docx|.pdf   the latest reply's letter, for those who read it
  /export/handling-report.docx|.pdf?term=&session=   the session's handling report
  /export/stations.xlsx, /export/scorecard.xlsx   the CSV exports' rows as spreadsheets
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from server import exports
from server import params as params_
from server.caller import Caller
from server.documents import letters, office, report, xlsx
from server.errors import NotFound
from server.pipeline import Call, Interface, json_error, route
from server.proposals.models import Proposal

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


routes = [
    route("/proposals/{number}/reply-letter.{format}", reply_letter, DOCUMENTS),
    route("/export/handling-report.{format}", handling_report, DOCUMENTS),
    route("/export/stations.xlsx", stations_xlsx, DOCUMENTS),
    route("/export/scorecard.xlsx", scorecard_xlsx, DOCUMENTS),
]
