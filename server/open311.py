"""Open311 GeoReport v2 (JSON) under /open311/v2/, for other departments' systems.

Services are the ticket categories; a service request is a ticket, identified by its number. The
service list needs no key (as in the spec); reading requests needs a key (or token) that may read
tickets, and never shows a citizen's personal data; POSTing a request needs a key whose scope names
ticket_submit, and makes a ticket with source DEPARTMENT. Errors use the spec's format:
[{"code": 400, "description": "..."}].
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server import clock
from server.auth.service import AuthFailure, identify
from server.authz.authorizer import Authorizer
from server.authz.engine import engine
from server.enums import TicketSource, TicketStatus
from server.errors import DomainError, NotFound, ValidationFailed
from server.tickets import workflow_service as flow
from server.tickets.intake import Intake
from server.tickets.models import Ticket, TicketCategory
from server.timeutil import local

AGENCY = "东莞市城市管理和综合执法局 (Dongguan City Management and Comprehensive Law Enforcement Bureau)"
CLOSED = {TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.REJECTED, TicketStatus.DUPLICATE}
MAX_RESULTS = 1000


def error(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else local(moment).isoformat(timespec="seconds")  # type: ignore[union-attr]


def _service(category: TicketCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": f"{category.name} ({category.name_en})",
        "description": f"{category.name_en}. Response within {category.response_minutes} min, "
        f"resolution within {category.resolution_minutes} min.",
        "metadata": False,
        "type": "realtime",
        "keywords": category.name,
        "group": "城市管理 (city management)",
    }


async def services(request: Request) -> JSONResponse:
    return JSONResponse([_service(c) for c in await TicketCategory.all().order_by("id")])


async def service_definition(request: Request) -> JSONResponse:
    code = request.path_params["code"]
    category = await TicketCategory.get_or_none(code=code)
    if category is None:
        return error(404, f"unknown service_code {code!r}")
    return JSONResponse({"service_code": category.code, "attributes": []})


async def _authorizer(request: Request, form_key: str | None = None) -> Authorizer | JSONResponse:
    key = form_key or request.query_params.get("api_key") or request.headers.get("x-api-key")
    try:
        viewer = await identify(request.headers.get("authorization"), key)
    except AuthFailure as exc:
        return error(403, exc.message)
    if viewer is None:
        return error(403, "an api_key is required")
    if viewer.is_api_key:
        from schema.accounting import over_rate_limit
        from server.stats.models import ApiKeyUse

        limited = over_rate_limit(viewer.name)
        await ApiKeyUse.create(
            prefix=viewer.name.removeprefix("key:"),
            operation=f"open311 {request.method} {request.url.path}",
            at=clock.now(),
            allowed=not limited,
        )
        if limited:
            return error(429, "too many requests for this api_key; retry in a minute")
    return Authorizer(engine, viewer)


def _request_json(ticket: Ticket, category: TicketCategory) -> dict[str, Any]:
    status = "closed" if ticket.status in CLOSED else "open"
    return {
        "service_request_id": ticket.number,
        "status": status,
        "detailed_status": ticket.status.value,
        "status_notes": ticket.resolution_note or ticket.reject_reason or None,
        "service_name": f"{category.name} ({category.name_en})",
        "service_code": category.code,
        "description": ticket.description,
        "agency_responsible": AGENCY,
        "service_notice": None,
        "requested_datetime": iso(ticket.registered_at),
        "updated_datetime": iso(ticket.updated_at),
        "expected_datetime": iso(ticket.resolution_due),
        "address": ticket.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": ticket.latitude,
        "long": ticket.longitude,
        "media_url": None,
    }


def _date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be a W3C date-time such as 2022-01-10T09:00:00+08:00") from None
    return local(parsed)


async def requests_list(request: Request) -> JSONResponse:
    if request.method == "POST":
        return await create_request(request)
    authz = await _authorizer(request)
    if isinstance(authz, JSONResponse):
        return authz
    visible = authz.visible_tickets()
    if visible is None:
        return error(403, "this api_key may not read service requests")
    params = request.query_params
    try:
        start, end = _date(params.get("start_date"), "start_date"), _date(params.get("end_date"), "end_date")
    except ValueError as exc:
        return error(400, str(exc))
    if start and end and start > end:
        return error(400, "start_date is after end_date")
    query = Ticket.filter(visible)
    ids = [s.strip() for s in params.get("service_request_id", "").split(",") if s.strip()]
    if ids:
        query = query.filter(number__in=ids[:MAX_RESULTS])
    else:
        if start is None and end is None:  # the spec's default window: the last 90 days
            start = clock.now() - timedelta(days=90)
        if start is not None:
            query = query.filter(registered_at__gte=start)
        if end is not None:
            query = query.filter(registered_at__lte=end)
    codes = [s.strip() for s in params.get("service_code", "").split(",") if s.strip()]
    categories = {c.id: c for c in await TicketCategory.all()}
    if codes:
        known = {c.code: c.id for c in categories.values()}
        unknown = [c for c in codes if c not in known]
        if unknown:
            return error(400, f"unknown service_code {', '.join(unknown)}")
        query = query.filter(category_id__in=[known[c] for c in codes])
    statuses = {s.strip() for s in params.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        return error(400, "status is open, closed, or both")
    if statuses == {"open"}:
        query = query.exclude(status__in=[s.value for s in CLOSED])
    elif statuses == {"closed"}:
        query = query.filter(status__in=[s.value for s in CLOSED])
    tickets = await query.order_by("-registered_at", "-id").limit(MAX_RESULTS)
    return JSONResponse([_request_json(t, categories[t.category_id]) for t in tickets])


async def request_detail(request: Request) -> JSONResponse:
    authz = await _authorizer(request)
    if isinstance(authz, JSONResponse):
        return authz
    visible = authz.visible_tickets()
    if visible is None:
        return error(403, "this api_key may not read service requests")
    ticket = await Ticket.filter(visible, number=request.path_params["id"]).first()
    if ticket is None:
        return error(404, f"no service request {request.path_params['id']!r}")
    category = await TicketCategory.get(id=ticket.category_id)
    return JSONResponse([_request_json(ticket, category)])


async def create_request(request: Request) -> JSONResponse:
    form: Any
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            form = await request.json()
        except ValueError:
            return error(400, "the body is not valid JSON")
        if not isinstance(form, dict):
            return error(400, "the body must be an object")
    else:
        form = dict(await request.form())
    authz = await _authorizer(request, str(form.get("api_key") or "") or None)  # the spec's POST parameter
    if isinstance(authz, JSONResponse):
        return authz
    code = str(form.get("service_code") or "")
    category = await TicketCategory.get_or_none(code=code) if code else None
    if category is None:
        return error(400, "service_code is missing or unknown" if code else "service_code is required")
    try:
        lat = float(form["lat"]) if form.get("lat") not in (None, "") else None
        lon = float(form["long"]) if form.get("long") not in (None, "") else None
    except (TypeError, ValueError):
        return error(400, "lat and long must be numbers")
    if lat is None or lon is None:
        return error(400, "a location is required: lat and long (address_string alone cannot be placed)")
    name = " ".join(str(form.get(k) or "").strip() for k in ("last_name", "first_name")).strip()
    intake = Intake(
        source=TicketSource.DEPARTMENT,
        category_id=category.id,
        description=str(form.get("description") or ""),
        reporter_name=name[:64],
        reporter_phone=str(form.get("phone") or "").strip(),
        address=str(form.get("address_string") or "")[:300],
        latitude=lat,
        longitude=lon,
    )
    viewer = authz.require_viewer()
    try:
        ticket, _ = await flow.register(intake, authz=authz, registered_by=None, actor=viewer.name)
    except ValidationFailed as exc:
        return error(400, "; ".join(f"{p.field}: {p.message}" for p in exc.problems))
    except NotFound as exc:
        return error(400, exc.message)
    except DomainError as exc:
        return error(403, exc.message)
    notice = f"已登记为工单 {ticket.number} (registered as ticket {ticket.number})"
    return JSONResponse(
        [{"service_request_id": ticket.number, "service_notice": notice, "account_id": None}], status_code=201
    )


routes = [
    Route("/open311/v2/services.json", services),
    Route("/open311/v2/services/{code}.json", service_definition),
    Route("/open311/v2/requests.json", requests_list, methods=["GET", "POST"]),
    Route("/open311/v2/requests/{id}.json", request_detail),
]
