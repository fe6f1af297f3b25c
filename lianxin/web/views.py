"""The internal web frontend under /app: server-rendered pages (Jinja2) with htmx for the small
live parts. Every route goes through server.pipeline (the caller identified from the session
cookie, personal-data reads recorded, one log line) and every page reads and writes through the
named GraphQL operations in operations/."""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from lianxin.web import charts, session
from lianxin.web.operations import Answer, run
from schema.ids import to_global_id
from server import clock
from server.auth.service import logout
from server.authz.authorizer import Authorizer
from server.authz.engine import engine
from server.exports import scorecard_csv
from server.pipeline import Call, Credentials, Interface, PipelineRoute, route
from server.settings import settings
from server.tickets.events import broker

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
BEIJING = timezone(timedelta(hours=8), "CST")  # China keeps one offset all year
LIVE_SECONDS = 300  # an event stream ends after this; the browser reconnects, signed in afresh
HEARTBEAT_SECONDS = 15

templates = Environment(
    loader=FileSystemLoader(WEB_DIR / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _beijing(value: str | None, with_time: bool = True) -> str:
    """An API timestamp (ISO 8601, UTC) as Beijing time."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(BEIJING)
    return local.strftime("%Y-%m-%d %H:%M") if with_time else local.strftime("%Y-%m-%d")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


templates.filters["beijing"] = _beijing
templates.filters["percent"] = _percent

ACTION_LABELS = {
    "dispatch": "派遣 Dispatch",
    "reassign": "改派 Reassign",
    "arrive": "到场 On site",
    "resolve": "办结 Resolve",
    "return_visit": "回访 Return visit",
    "reject": "退回 Reject",
    "update": "更正 Update",
    "transfer": "转办 Transfer",
    "close": "关闭 Close",
    "reopen": "重办 Reopen",
    "mark_duplicate": "标记重复 Duplicate",
    "register": "登记 Register",
    "department_update": "部门进度 Department update",
}
templates.globals["action_labels"] = ACTION_LABELS


# The interface ------------------------------------------------------------------------------------


async def _cookie_credentials(request: Request) -> Credentials:
    token = session.session_token(request)
    return (f"Bearer {token}" if token else None), None


def _error_page(status: int, code: str, message: str) -> Response:
    if status == 401:  # no session, or one that ended: sign in (again)
        response: Response = RedirectResponse("/app/login?expired=1", status_code=303)
        session.clear_session(response)
        return response
    titles = {403: "无权访问 Forbidden", 404: "未找到 Not found", 409: "冲突 Conflict", 429: "请求过多"}
    html = templates.get_template("error.html").render(
        title=titles.get(status, "出错了 Error"), status=status, code=code, message=message, nav=None
    )
    return HTMLResponse(html, status_code=status, headers=_headers())


WEB = Interface(name="web", error=_error_page, unauthenticated_status=401, credentials=_cookie_credentials)


def _headers() -> dict[str, str]:
    images = "'self' data: blob:" + (f" {_tile_origin()}" if _tile_origin() else "")
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
            "base-uri 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _tile_origin() -> str:
    url = settings.web_map_tiles
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}".replace("{s}.", "*.")


Page = Callable[[Request, Call], Awaitable[Response]]


def page(path: str, endpoint: Page, methods: list[str] | None = None, public: bool = False) -> PipelineRoute:
    """A route under /app: POSTs must carry the CSRF token of the session (or, on the public login
    form, of the pre-session cookie); a forged one gets 403 and nothing runs."""

    async def guarded(request: Request, call: Call) -> Response:
        if request.method == "POST":
            binding = session.session_token(request) or request.cookies.get(session.PRESESSION_COOKIE)
            if not await session.csrf_ok(request, binding):
                return _error_page(
                    403,
                    "CSRF",
                    "表单已失效或来源不明（缺少 CSRF 令牌），未做任何更改。请刷新页面后重试。"
                    " The form's CSRF token is missing or wrong: nothing was changed.",
                )
        return await endpoint(request, call)

    return route(path, guarded, WEB, methods=methods or ["GET"], public=public)


def _nav(call: Call) -> list[tuple[str, str]]:
    """The pages this person has a use for, by the policy (the pages check nothing themselves:
    the operations do)."""
    authz: Authorizer = call.authorizer()

    def holds(obj: str, act: str) -> bool:
        return not authz.scope(obj, act).empty

    items = [("/app", "首页 Home")]
    if holds("ticket", "register"):
        items.append(("/app/desk", "驿站前台 Desk"))
    if holds("ticket", "dispatch"):
        items.append(("/app/board", "片长看板 Board"))
    if holds("stats", "read"):
        items.append(("/app/scorecard", "成绩单 Scorecard"))
    if holds("station", "read"):
        items.append(("/app/map", "驿站地图 Map"))
    if holds("proposal", "read"):
        items.append(("/app/proposals", "建议 Proposals"))
    if holds("proposal", "read") and (holds("proposal", "assign") or holds("proposal", "reply")):
        items.append(("/app/supervision", "督办 Supervision"))
    if holds("station", "read"):
        items.append(("/app/stations", "驿站台账 Stations"))
    if holds("user", "manage") or holds("policy", "read"):
        items.append(("/app/admin", "系统管理 Admin"))
    return items


def render(request: Request, call: Call | None, name: str, status: int = 200, **values: Any) -> Response:
    binding = session.session_token(request)
    html = templates.get_template(name).render(
        request=request,
        viewer=call.viewer if call else None,
        nav=_nav(call) if call and call.viewer else None,
        csrf=session.csrf_token(binding) if binding else "",
        path=request.url.path,
        **values,
    )
    return HTMLResponse(html, status_code=status, headers=_headers())


def _problem(answer: Answer, key: str) -> str | None:
    """The message of a mutation's typed error (or of a GraphQL error), None on success."""
    if answer.errors:
        return answer.first_message()
    result = answer.data.get(key) or {}
    if result.get("__typename", "").endswith("Payload") or result.get("__typename") == "PasswordChanged":
        return None
    if result.get("code") == "TOO_MANY_ATTEMPTS":
        return f"尝试次数过多，请 {result.get('retryAfterSeconds') or 60} 秒后再试。"
    if result.get("code") == "WRONG_PASSWORD":
        return "当前密码不正确。"
    message = str(result.get("message") or "操作失败")
    if result.get("__typename") == "ConflictError":
        return (
            f"此记录已被他人修改（当前版本 {result.get('currentVersion')}），请刷新后再操作。"
            f" Someone changed it first: {message}"
        )
    for problem in result.get("fields") or []:
        message += f"；{problem['field']}: {problem['message']}"
    return message


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# Sign-in -----------------------------------------------------------------------------------------


async def login_page(request: Request, call: Call) -> Response:
    if call.viewer is not None:
        return RedirectResponse("/app", status_code=303)
    seed = session.presession(request)
    notice = "会话已结束，请重新登录。" if request.query_params.get("expired") else None
    response = render(request, None, "login.html", csrf_login=session.csrf_token(seed), notice=notice)
    session.keep_presession(response, seed)
    return response


async def login_submit(request: Request, call: Call) -> Response:
    form = await _form(request)
    answer = await run(
        call, "Login", request, username=form.get("username", ""), password=form.get("password", "")
    )
    result = answer.data.get("login") or {}
    if result.get("__typename") == "LoginSuccess":
        signed_in = RedirectResponse("/app", status_code=303)
        session.set_session(signed_in, str(result["token"]))
        return signed_in
    if result.get("code") == "TOO_MANY_ATTEMPTS":
        message = f"登录失败次数过多，请 {result.get('retryAfterSeconds') or 60} 秒后再试。"
    else:
        message = "用户名或密码错误。"
    seed = session.presession(request)
    response = render(
        request,
        None,
        "login.html",
        status=429 if result.get("code") == "TOO_MANY_ATTEMPTS" else 400,
        csrf_login=session.csrf_token(seed),
        error=message,
        username=form.get("username", ""),
    )
    session.keep_presession(response, seed)
    return response


async def logout_submit(request: Request, call: Call) -> Response:
    if call.viewer is not None and call.viewer.session_id:
        await logout(call.viewer.session_id)
    response = RedirectResponse("/app/login", status_code=303)
    session.clear_session(response)
    return response


async def password_page(request: Request, call: Call) -> Response:
    if request.method == "GET":
        return render(request, call, "password.html")
    form = await _form(request)
    if form.get("new_password") != form.get("confirm_password"):
        return render(request, call, "password.html", status=400, error="两次输入的新密码不一致。")
    answer = await run(
        call,
        "ChangePassword",
        request,
        currentPassword=form.get("current_password", ""),
        newPassword=form.get("new_password", ""),
    )
    if problem := _problem(answer, "changePassword"):
        return render(request, call, "password.html", status=400, error=problem)
    # The change ended every session of the account, this one included: sign in with the new one.
    response = RedirectResponse("/app/login", status_code=303)
    session.clear_session(response)
    return response


async def home(request: Request, call: Call) -> Response:
    return render(request, call, "home.html")


# Station desk ------------------------------------------------------------------------------------


async def desk(request: Request, call: Call, error: str | None = None, status: int = 200) -> Response:
    form, queue = await asyncio.gather(
        run(call, "DeskForm", request),
        run(call, "DeskQueue", request, first=20, filter=None),
    )
    return render(
        request,
        call,
        "desk.html",
        status=status,
        form=form.data,
        queue=queue.data.get("tickets"),
        error=error or (form.first_message() if form.errors else None),
        values=await _form(request) if request.method == "POST" else {},
    )


async def desk_page(request: Request, call: Call) -> Response:
    return await desk(request, call)


async def desk_queue(request: Request, call: Call) -> Response:
    queue = await run(call, "DeskQueue", request, first=20, filter=None)
    return render(request, call, "_queue.html", queue=queue.data.get("tickets"))


async def desk_duplicates(request: Request, call: Call) -> Response:
    category = request.query_params.get("category") or ""
    station = request.query_params.get("station") or None
    found: list[Any] = []
    if category:
        answer = await run(call, "DuplicateCandidates", request, categoryId=category, stationId=station)
        found = answer.data.get("duplicateCandidates") or []
    return render(request, call, "_duplicates.html", duplicates=found)


async def desk_register(request: Request, call: Call) -> Response:
    form = await request.form()
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    photos = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
    answer = await run(
        call,
        "RegisterTicket",
        request,
        input={
            "source": "WALK_IN",
            "categoryId": text.get("category", ""),
            "description": text.get("description", ""),
            "reporterName": text.get("reporter_name", ""),
            "reporterPhone": text.get("reporter_phone", ""),
            "stationId": text.get("station") or None,
            "address": text.get("address", ""),
        },
        photos=photos or None,
    )
    if problem := _problem(answer, "registerTicket"):
        return await desk(request, call, error=problem, status=400)
    number = answer.data["registerTicket"]["ticket"]["number"]
    return RedirectResponse(f"/app/tickets/{number}?registered=1", status_code=303)


async def live_events(request: Request, call: Call) -> Response:
    """Server-sent events from the same broker as the GraphQL subscription, filtered by the same
    rule (Authorizer.may_read_ticket): the page reloads its queue when one arrives."""
    authz = call.authorizer()
    if authz.visible_tickets() is None:
        return _error_page(403, "FORBIDDEN", "您无权查看工单。")
    version = engine.version

    async def stream() -> AsyncIterator[bytes]:
        nonlocal authz, version
        yield b"retry: 3000\n\n"
        deadline = asyncio.get_running_loop().time() + LIVE_SECONDS
        events = broker.subscribe().__aiter__()
        try:
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                try:
                    delivery = await asyncio.wait_for(anext(events), min(left, HEARTBEAT_SECONDS))
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                if engine.version != version:
                    authz, version = Authorizer(engine, call.viewer), engine.version
                if authz.may_read_ticket(delivery.message):
                    data = orjson.dumps(
                        {"number": delivery.message.number, "action": delivery.message.action}
                    )
                    yield b"event: ticket\ndata: " + data + b"\n\n"
        finally:
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# A ticket ----------------------------------------------------------------------------------------


async def ticket_page(request: Request, call: Call, error: str | None = None, status: int = 200) -> Response:
    number = request.path_params["number"]
    answer = await run(call, "TicketDetail", request, number=number)
    ticket = answer.data.get("ticket")
    if ticket is None:
        return _error_page(
            404,
            "NOT_FOUND",
            f"找不到工单 {number}，或您无权查看。 No ticket {number} that you may see.",
        )
    staff: list[Any] = []
    if {"dispatch", "reassign"} & set(ticket["availableActions"]):
        town = ticket["jurisdiction"].get("parent") or ticket["jurisdiction"]
        choices = await run(call, "StaffChoices", request, jurisdictionId=town["id"])
        staff = ((choices.data.get("staff") or {}).get("nodes")) or []
    return render(
        request,
        call,
        "ticket.html",
        status=status,
        ticket=ticket,
        staff=staff,
        error=error,
        registered=bool(request.query_params.get("registered")),
    )


async def ticket_action(request: Request, call: Call) -> Response:
    action = request.path_params["action"]
    form = await _form(request)
    try:
        ticket = {"id": form["ticket_id"], "version": int(form["version"])}
    except (KeyError, ValueError):
        return await ticket_page(request, call, error="表单缺少工单版本，请刷新页面。", status=400)
    comment = form.get("comment", "")
    if action in {"dispatch", "reassign"}:
        answer = await run(
            call,
            "DispatchTicket",
            request,
            ticket=ticket,
            assigneeId=form.get("assignee", ""),
            comment=comment,
        )
        key = "dispatchTicket"
    elif action == "arrive":
        answer, key = (
            await run(call, "MarkTicketOnSite", request, ticket=ticket, comment=comment),
            "markTicketOnSite",
        )
    elif action == "resolve":
        answer = await run(
            call,
            "ResolveTicket",
            request,
            ticket=ticket,
            method=form.get("method") or None,
            note=form.get("note", ""),
        )
        key = "resolveTicket"
    elif action == "return_visit":
        reached = form.get("reached") == "yes"
        answer = await run(
            call,
            "RecordReturnVisit",
            request,
            ticket=ticket,
            channel=form.get("channel") or "PHONE",
            reached=reached,
            rating=(form.get("rating") or None) if reached else None,
            comment=comment,
        )
        key = "recordReturnVisit"
    elif action == "reject":
        answer, key = await run(call, "RejectTicket", request, ticket=ticket, reason=comment), "rejectTicket"
    else:
        return _error_page(404, "NOT_FOUND", f"没有这个操作：{action}")
    if problem := _problem(answer, key):
        conflict = (answer.data.get(key) or {}).get("__typename") == "ConflictError"
        return await ticket_page(request, call, error=problem, status=409 if conflict else 400)
    return RedirectResponse(f"/app/tickets/{request.path_params['number']}", status_code=303)


# Area chief's board ------------------------------------------------------------------------------

VIEWS = {
    "all": "全部 All",
    "registered": "待派遣 Awaiting dispatch",
    "overdue": "已超期 Overdue",
    "due_soon": "24小时内到期 Due within 24 h",
}


def _board_filter(view: str) -> dict[str, Any] | None:
    if view == "registered":
        return {"status": "REGISTERED"}
    if view == "overdue":
        return {"overdue": True}
    if view == "due_soon":
        return {"overdue": False, "dueBefore": (clock.now() + timedelta(hours=24)).isoformat()}
    return None


async def board(request: Request, call: Call, error: str | None = None, status: int = 200) -> Response:
    view = request.query_params.get("view", "all")
    view = view if view in VIEWS else "all"
    queue, staff = await asyncio.gather(
        run(
            call,
            "TicketQueue",
            request,
            first=50,
            filter=_board_filter(view),
            order="NEWEST_FIRST" if view in {"all", "registered"} else "DUE_FIRST",
        ),
        run(call, "StaffChoices", request, jurisdictionId=None),
    )
    return render(
        request,
        call,
        "board.html",
        status=status,
        view=view,
        views=VIEWS,
        queue=queue.data.get("tickets"),
        staff=((staff.data.get("staff") or {}).get("nodes")) or [],
        error=error or (queue.first_message() if queue.errors else None),
        done=request.query_params.get("done"),
    )


async def board_page(request: Request, call: Call) -> Response:
    return await board(request, call)


async def board_dispatch(request: Request, call: Call) -> Response:
    form = await request.form()
    tickets = []
    for value in form.getlist("ticket"):
        ticket_id, _, version = str(value).rpartition(":")
        if ticket_id and version.isdigit():
            tickets.append({"id": ticket_id, "version": int(version)})
    if not tickets:
        return await board(request, call, error="请先勾选要派遣的工单。", status=400)
    answer = await run(
        call, "BulkDispatchTickets", request, tickets=tickets, assigneeId=str(form.get("assignee") or "")
    )
    if problem := _problem(answer, "bulkDispatchTickets"):
        return await board(request, call, error=problem, status=400)
    return RedirectResponse(f"/app/board?done={len(tickets)}", status_code=303)


# The periods a page shows: anything else (unreadable, backwards, year 9999) is this year so far.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def _period(request: Request) -> tuple[date, date]:
    today = clock.today()
    try:
        start = date.fromisoformat(request.query_params.get("from") or f"{today.year}-01-01")
        end = date.fromisoformat(request.query_params.get("to") or today.isoformat())
    except ValueError:
        start, end = date(today.year, 1, 1), today
    if not EARLIEST <= start <= end <= LATEST:
        start, end = date(today.year, 1, 1), today
    return start, end


def _month_starts(start: date, end: date, most: int) -> list[date]:
    """The first days of the months the period touches, the last `most` of them."""
    starts: list[date] = []
    year, month = end.year, end.month
    while len(starts) < most and (year, month) >= (start.year, start.month):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(starts))


async def scorecard_page(request: Request, call: Call) -> Response:
    start, end = _period(request)
    months = _month_starts(start, end, most=6)
    bounds = [(m, datetime(m.year, m.month, 1, tzinfo=BEIJING), _next_month(m)) for m in months]
    answers = await asyncio.gather(
        run(call, "Scorecard", request, periodFrom=start.isoformat(), periodTo=end.isoformat()),
        *(
            run(call, "MonthFigures", request, **{"from": a.isoformat(), "to": b.isoformat()})
            for _, a, b in bounds
        ),
    )
    card_answer, figures = answers[0], answers[1:]
    card = card_answer.data.get("scorecard")
    chart = trend = ""
    if card:
        split = card["methodSplit"]
        chart = charts.method_split(
            [
                charts.Bar(
                    "service",
                    "服务 Service",
                    split["serviceShare"] or 0.0,
                    split["targetServiceShare"],
                    split["service"],
                ),
                charts.Bar(
                    "management",
                    "管理 Management",
                    split["managementShare"] or 0.0,
                    split["targetManagementShare"],
                    split["management"],
                ),
                charts.Bar(
                    "enforcement",
                    "执法 Enforcement",
                    split["enforcementShare"] or 0.0,
                    split["targetEnforcementShare"],
                    split["enforcement"],
                ),
            ],
            "721 工作法：服务、管理、执法占比与 70/20/10 目标",
        )
        rows = []
        for (month, _, _), answer in zip(bounds, figures, strict=True):
            groups = answer.data.get("ticketFigures") or []
            rows.append(
                (
                    f"{month.year}-{month.month:02d}",
                    sum(g["received"] for g in groups),
                    sum(g["resolved"] for g in groups),
                )
            )
        trend = charts.months(rows, "按月受理与办结 Tickets received and resolved by month")
    return render(
        request,
        call,
        "scorecard.html",
        card=card,
        chart=chart,
        trend=trend,
        start=start,
        end=end,
        error=card_answer.first_message() if card is None else None,
    )


def _next_month(month: date) -> datetime:
    year, number = (month.year, month.month + 1) if month.month < 12 else (month.year + 1, 1)
    return datetime(year, number, 1, tzinfo=BEIJING)


async def map_page(request: Request, call: Call) -> Response:
    answer = await run(call, "StationsMap", request)
    collection = answer.data.get("stationsGeoJson")
    return render(
        request,
        call,
        "map.html",
        # inside a <script> element: "</" would end it
        geojson=orjson.dumps(collection).decode().replace("</", "<\\/") if collection else "null",
        tiles=settings.web_map_tiles,
        count=len((collection or {}).get("features") or []),
        error=answer.first_message() if collection is None else None,
    )


# Deputies, supervision, the registry, admin --------------------------------------------------------


async def proposals_page(request: Request, call: Call) -> Response:
    deputy = call.viewer.deputy_id if call.viewer else None
    if deputy is not None:
        answer = await run(call, "DeputyProposals", request, deputyId=to_global_id("Deputy", deputy))
    else:
        answer = await run(call, "Proposals", request)

    def rows(key: str) -> list[Any]:
        return list(((answer.data.get(key) or {}).get("nodes")) or [])

    mine, cosigned = rows("mine"), rows("cosigned")
    seen = {p["id"] for p in mine + cosigned}
    others = [p for p in rows("others" if deputy is not None else "proposals") if p["id"] not in seen]
    return render(
        request,
        call,
        "proposals.html",
        mine=mine,
        cosigned=cosigned,
        others=others,
        is_deputy=deputy is not None,
        error=answer.first_message() if answer.errors else None,
    )


async def proposal_page(
    request: Request, call: Call, error: str | None = None, status: int = 200
) -> Response:
    answer = await run(call, "ProposalDetail", request, id=request.path_params["id"])
    proposal = answer.data.get("node")
    if not proposal:
        return _error_page(
            404, "NOT_FOUND", "找不到该建议，或您无权查看。 No such proposal that you may see."
        )
    return render(request, call, "proposal.html", status=status, proposal=proposal, error=error)


async def proposal_rate(request: Request, call: Call) -> Response:
    form = await _form(request)
    answer = await run(
        call,
        "RateProposalReply",
        request,
        input={
            "id": request.path_params["id"],
            "version": int(form.get("version") or 0),
            "rating": form.get("rating") or "",
            "comment": form.get("comment", ""),
        },
    )
    if problem := _problem(answer, "rateProposalReply"):
        return await proposal_page(request, call, error=problem, status=400)
    return RedirectResponse(f"/app/proposals/{request.path_params['id']}", status_code=303)


async def supervision_page(request: Request, call: Call) -> Response:
    answer = await run(call, "Supervision", request)
    return render(request, call, "supervision.html", data=answer.data, errors=answer.errors)


async def stations_page(request: Request, call: Call) -> Response:
    today = clock.today()
    raw = request.query_params.get("year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= today.year + 10 else today.year
    # The scorecard's targets are those of the years its period touches; one day of it keeps the
    # ticket figures it also counts (not shown here) small.
    day = date(year, 1, 1).isoformat()
    answer = await run(call, "StationRegistry", request, periodFrom=day, periodTo=day)
    return render(request, call, "stations.html", data=answer.data, errors=answer.errors, year=year)


async def admin_page(request: Request, call: Call) -> Response:
    answer = await run(call, "AdminConsole", request)
    if answer.data.get("users") is None:
        return _error_page(403, "FORBIDDEN", "只有系统管理员可以打开此页。 Administrators only.")
    return render(request, call, "admin.html", data=answer.data, errors=answer.errors)


# Static assets -----------------------------------------------------------------------------------


# The files there, by their path under it: a request names one of these or gets 404, and what it
# asks for never reaches the file system (no traversal, no name too long for the OS).
STATIC_FILES = {
    path.relative_to(STATIC_DIR).as_posix(): path for path in STATIC_DIR.rglob("*") if path.is_file()
}


async def static_file(request: Request, call: Call) -> Response:
    """Vendored and own assets, from this folder only."""
    wanted = STATIC_FILES.get(request.path_params["path"])
    if wanted is None:
        return Response("not found", status_code=404, media_type="text/plain")
    media = mimetypes.guess_type(wanted.name)[0] or "application/octet-stream"
    return Response(
        wanted.read_bytes(),
        media_type=media,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


routes = [
    page("/app/static/{path:path}", static_file, public=True),
    page("/app/login", login_page, public=True),
    page("/app/login", login_submit, methods=["POST"], public=True),
    page("/app/logout", logout_submit, methods=["POST"]),
    page("/app/password", password_page, methods=["GET", "POST"]),
    page("/app", home),
    page("/app/desk", desk_page),
    page("/app/desk/queue", desk_queue),
    page("/app/desk/duplicates", desk_duplicates),
    page("/app/desk/tickets", desk_register, methods=["POST"]),
    page("/app/events", live_events),
    page("/app/tickets/{number}", ticket_page),
    page("/app/tickets/{number}/{action}", ticket_action, methods=["POST"]),
    page("/app/board", board_page),
    page("/app/board/dispatch", board_dispatch, methods=["POST"]),
    page("/app/scorecard", scorecard_page),
    page("/app/scorecard.csv", scorecard_csv),
    page("/app/map", map_page),
    page("/app/proposals", proposals_page),
    page("/app/proposals/{id}", proposal_page),
    page("/app/proposals/{id}/rate", proposal_rate, methods=["POST"]),
    page("/app/supervision", supervision_page),
    page("/app/stations", stations_page),
    page("/app/admin", admin_page),
]
