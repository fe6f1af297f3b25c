"""Open311 GeoReport v2 (JSON; server.open311_xml answers the same in XML) under /open311/v2/, for
other departments' systems.

Services are the ticket categories; a service request is a ticket, identified by its number. The
service list needs no key (as in the spec); reading requests needs a key (or token) that may read
tickets, and never shows a citizen's personal data; POSTing a request needs a key whose scope names
ticket_submit, and makes a ticket with source DEPARTMENT. With LIANXIN_OPEN311_PUBLIC_GET on, reading
requests needs no key either: public fields only, for open-data portals. Errors use the spec's format:
[{"code": 400, "description": "..."}].

Every endpoint is served through the request pipeline (server.pipeline: identification, the key's
rate limit and use log, personal-data reads); every parameter is bounded (server.params). A
request's description and status notes are free text in which a citizen may have typed a phone
number or the reporter's name: they are redacted as in GraphQL unless the caller may read personal
data (ticket_personal), and an unredacted read is recorded as GraphQL records it
(server.privacy.redaction.free_text_read, field free_text).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise.expressions import Q

from server import clock
from server import params as param_rules
from server.attachments import service as attachments
from server.authz.authorizer import Authorizer
from server.calendar import service as calendar
from server.caller import Caller
from server.clock import local
from server.enums import AttachmentOwner, AttachmentStage, TicketSource, TicketStatus
from server.errors import DomainError, NotFound, ValidationFailed
from server.pipeline import Call, Credentials, Interface, count_request, route
from server.privacy.redaction import free_text_read
from server.settings import settings
from server.tickets import workflow_service as flow
from server.tickets.intake import MAX_DESCRIPTION, Intake
from server.tickets.models import Ticket, TicketCategory

AGENCY = "东莞市城市管理和综合执法局 (Dongguan City Management and Comprehensive Law Enforcement Bureau)"
CLOSED = {TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.REJECTED, TicketStatus.DUPLICATE}
MAX_RESULTS = 1000
MAX_BODY_BYTES = 64 * 1024
MAX_CODE = 64  # service_code, and the path's {code}
MAX_REQUEST_ID = 32  # a ticket number such as DG-20220110-000001
MAX_KEY = 200


def error(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


async def _form(request: Request) -> dict[str, Any]:
    """A POST's fields, from application/json or a form, read once (Starlette caches the body)."""
    if hasattr(request.state, "open311_form"):
        return request.state.open311_form
    declared = request.headers.get("content-length", "")
    # A multipart POST may carry one photo (media) besides the fields.
    limit = MAX_BODY_BYTES + (
        settings.attachment_max_bytes if "multipart/" in request.headers.get("content-type", "") else 0
    )
    if declared.isdigit() and int(declared) > limit:
        raise param_rules.TooLarge(f"the body is larger than {limit:,} bytes")
    if len(await request.body()) > limit:
        raise param_rules.TooLarge(f"the body is larger than {limit:,} bytes")
    form: Any
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            form = await request.json()
        except ValueError:
            raise param_rules.bad("body", "the body is not valid JSON") from None
        if not isinstance(form, dict):
            raise param_rules.bad("body", "the body must be an object")
    else:
        try:
            form = dict(await request.form())
        except Exception:  # noqa: BLE001 - python-multipart's many parse errors
            raise param_rules.bad("body", "the body is not a valid form") from None
    request.state.open311_form = form
    return form


async def _credentials(request: Request) -> Credentials:
    """A key in the spec's api_key parameter (query string, or the POST body), or X-Api-Key, or a
    bearer token."""
    key = param_rules.text(request.query_params.get("api_key"), "api_key", max_length=MAX_KEY)
    if not key and request.method == "POST":
        key = param_rules.text((await _form(request)).get("api_key"), "api_key", max_length=MAX_KEY)
    return request.headers.get("authorization"), key or request.headers.get("x-api-key")


OPEN311 = Interface(
    name="open311",
    error=lambda status, _code, message: error(status, message),
    unauthenticated_status=403,
    credentials=_credentials,
)


def iso(moment: datetime | None) -> str | None:
    shown = local(moment)
    return None if shown is None else shown.isoformat(timespec="seconds")


def _service(category: TicketCategory) -> dict[str, Any]:
    response, resolution = calendar.category_times(category)
    return {
        "service_code": category.code,
        "service_name": f"{category.name} ({category.name_en})",
        "description": f"{category.name_en}. Response within {calendar.describe_en(*response)}, "
        f"resolution within {calendar.describe_en(*resolution)}.",
        "metadata": False,
        "type": "realtime",
        "keywords": category.name,
        "group": "城市管理 (city management)",
    }


async def services(request: Request, call: Call) -> JSONResponse:
    return JSONResponse([_service(c) for c in await TicketCategory.all().order_by("id")])


async def service_definition(request: Request, call: Call) -> JSONResponse:
    code = param_rules.text(request.path_params["code"], "service_code", max_length=MAX_CODE)
    category = await TicketCategory.get_or_none(code=code)
    if category is None:
        return error(404, f"unknown service_code {code!r}")
    return JSONResponse({"service_code": category.code, "attributes": []})


KEY_REQUIRED = "Credentials are required: send Authorization: Bearer <token or key>."


async def _reader(call: Call, request: Request) -> tuple[Authorizer | None, Q] | JSONResponse:
    """The caller's authorizer and the tickets it may read, or 403 when it may read none. A caller
    without credentials reads every request's public fields when LIANXIN_OPEN311_PUBLIC_GET is on
    (no authorizer then), and gets 403 otherwise."""
    if call.viewer is None:
        if not settings.open311_public_get:
            return error(403, KEY_REQUIRED)
        # No key to hold to a rate: the client's address is held to a key's, in the same table.
        address = request.client.host if request.client else "unknown"
        rate = await count_request(f"open311-public:{address}", settings.api_key_requests_per_minute)
        if not rate.allowed:
            refused = error(
                429, f"more than {rate.limit} requests from this address; retry in {rate.retry_after} s"
            )
            refused.headers["Retry-After"] = str(rate.retry_after)
            return refused
        return None, Q()
    authz = call.authorizer()
    visible = authz.visible_tickets()
    if visible is None:
        return error(403, "this api_key may not read service requests")
    return authz, visible


def _free_text(text: str | None, ticket: Ticket, personal: bool, call: Call) -> str | None:
    """Free text as the caller may see it, by the rule GraphQL uses (free_text_read): redacted without
    ticket_personal (numbers, the reporter's own name and phone); with it, in full, and recorded as a
    read of personal data when it holds any."""
    if not text:
        return None
    return free_text_read(text, ticket, personal, call.personal_reads)


def _request_json(
    ticket: Ticket,
    category: TicketCategory,
    authz: Authorizer | None,
    call: Call,
    media_url: str | None = None,
) -> dict[str, Any]:
    """A request as the spec shapes it. Without an authorizer (the public GET) the free text and the
    address are left out: whatever a citizen or a worker typed there is not open data, nor is a
    photo (its link would be bound to a caller there is none of)."""
    status = "closed" if ticket.status in CLOSED else "open"
    public = authz is None
    personal = authz is not None and authz.can("ticket_personal", "read", ticket.jurisdiction_id)
    return {
        "service_request_id": ticket.number,
        "status": status,
        "detailed_status": ticket.status.value,
        "status_notes": None
        if public
        else _free_text(ticket.resolution_note or ticket.reject_reason, ticket, personal, call),
        "service_name": f"{category.name} ({category.name_en})",
        "service_code": category.code,
        "description": None if public else _free_text(ticket.description, ticket, personal, call),
        "agency_responsible": AGENCY,
        "service_notice": None,
        "requested_datetime": iso(ticket.registered_at),
        "updated_datetime": iso(ticket.updated_at),
        "expected_datetime": iso(ticket.resolution_due),
        "address": None if public else ticket.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": ticket.latitude,
        "long": ticket.longitude,
        "media_url": media_url,
    }


async def _media_urls(tickets: list[Ticket], authz: Authorizer | None, request: Request) -> dict[int, str]:
    """Each ticket's first photo the caller may fetch, as a signed link (valid for minutes, for this
    key alone) that an Open311 client can GET without sending the key again. None for the public GET
    (no key): a citizen's photo is not open data."""
    found: dict[int, str] = {}
    if authz is None:
        return found
    rows = await attachments.by_owner(AttachmentOwner.TICKET, [t.id for t in tickets])
    for ticket, attached in zip(tickets, rows, strict=True):
        for row in attached:
            if row.content_type.startswith("image/") and attachments.may_download(authz, row, ticket):
                path = attachments.signed_path(row.id, "file", authz)
                if path is not None:
                    found[ticket.id] = str(request.base_url).rstrip("/") + path
                break
    return found


def _date(value: str | None, name: str) -> datetime | None:
    return local(param_rules.moment(value, name))


async def requests_list(request: Request, call: Call) -> JSONResponse:
    if request.method == "POST":
        return await create_request(request, call)
    reader = await _reader(call, request)
    if isinstance(reader, JSONResponse):
        return reader
    authz, visible = reader
    params = request.query_params
    start, end = _date(params.get("start_date"), "start_date"), _date(params.get("end_date"), "end_date")
    if start and end and start > end:
        return error(400, "start_date is after end_date")
    query = Ticket.filter(visible)
    ids = param_rules.text_list(
        params.get("service_request_id"),
        "service_request_id",
        max_items=MAX_RESULTS,
        max_length=MAX_REQUEST_ID,
    )
    if ids:
        query = query.filter(number__in=ids)
    else:
        if start is None and end is None:  # the spec's default window: the last 90 days
            start = clock.now() - timedelta(days=90)
        if start is not None:
            query = query.filter(registered_at__gte=start)
        if end is not None:
            query = query.filter(registered_at__lte=end)
    codes = param_rules.text_list(
        params.get("service_code"), "service_code", max_items=100, max_length=MAX_CODE
    )
    categories = {c.id: c for c in await TicketCategory.all()}
    if codes:
        known = {c.code: c.id for c in categories.values()}
        unknown = [c for c in codes if c not in known]
        if unknown:
            return error(400, f"unknown service_code {', '.join(unknown)}")
        query = query.filter(category_id__in=[known[c] for c in codes])
    statuses = set(param_rules.text_list(params.get("status"), "status", max_items=2, max_length=10))
    if statuses - {"open", "closed"}:
        return error(400, "status is open, closed, or both")
    if statuses == {"open"}:
        query = query.exclude(status__in=[s.value for s in CLOSED])
    elif statuses == {"closed"}:
        query = query.filter(status__in=[s.value for s in CLOSED])
    tickets = await query.order_by("-registered_at", "-id").limit(MAX_RESULTS)
    media = await _media_urls(tickets, authz, request)
    return JSONResponse(
        [_request_json(t, categories[t.category_id], authz, call, media.get(t.id)) for t in tickets]
    )


async def request_detail(request: Request, call: Call) -> JSONResponse:
    reader = await _reader(call, request)
    if isinstance(reader, JSONResponse):
        return reader
    authz, visible = reader
    number = param_rules.text(request.path_params["id"], "service_request_id", max_length=MAX_REQUEST_ID)
    ticket = await Ticket.filter(visible, number=number).first()
    if ticket is None:
        return error(404, f"no service request {number!r}")
    category = await TicketCategory.get(id=ticket.category_id)
    media = await _media_urls([ticket], authz, request)
    return JSONResponse([_request_json(ticket, category, authz, call, media.get(ticket.id))])


# The spec's POST fields we use, and the bounds of those we accept and ignore.
IGNORED_FIELDS = {"email": 254, "device_id": 100, "account_id": 100, "media_url": 2000, "address_id": 100}


async def _media(upload: Any, caller: Caller) -> attachments.Pending | None:
    """The GeoReport v2 extension's `media`: one photo sent as a multipart file part, kept as the
    ticket's intake photo (checked as GraphQL uploads are; refused as a 400 naming `media`)."""
    if upload is None or isinstance(upload, str):
        return None  # a media_url string is accepted and ignored, as before
    try:
        data = await upload.read(settings.attachment_max_bytes + 1)
    finally:
        await upload.close()
    file = attachments.Upload(name=upload.filename or "", content_type=upload.content_type or "", data=data)
    return await attachments.check([file], AttachmentStage.INTAKE, caller, field_name="media")


async def create_request(request: Request, call: Call) -> JSONResponse:
    if call.viewer is None:  # the route admits anonymous GETs (the public GET setting), never a POST
        return error(403, KEY_REQUIRED)
    form = await _form(request)
    authz = call.authorizer()
    code = param_rules.text(form.get("service_code"), "service_code", max_length=MAX_CODE)
    category = await TicketCategory.get_or_none(code=code) if code else None
    if category is None:
        return error(400, "service_code is missing or unknown" if code else "service_code is required")
    lat = param_rules.number(form.get("lat"), "lat", low=-90, high=90)
    lon = param_rules.number(form.get("long"), "long", low=-180, high=180)
    if lat is None or lon is None:
        return error(400, "a location is required: lat and long (address_string alone cannot be placed)")
    for field, limit in IGNORED_FIELDS.items():
        param_rules.text(form.get(field), field, max_length=limit)
    last = param_rules.text(form.get("last_name"), "last_name", max_length=32).strip()
    first = param_rules.text(form.get("first_name"), "first_name", max_length=32).strip()
    intake = Intake(
        source=TicketSource.DEPARTMENT,
        category_id=category.id,
        description=param_rules.text(
            form.get("description"), "description", max_length=MAX_DESCRIPTION, free_text=True
        ),
        reporter_name=f"{last} {first}".strip(),
        reporter_phone=param_rules.text(form.get("phone"), "phone", max_length=32).strip(),
        address=param_rules.text(form.get("address_string"), "address_string", max_length=300),
        latitude=lat,
        longitude=lon,
    )
    authz.require_viewer()
    caller = Caller.of(call, authz)
    try:
        photo = await _media(form.get("media"), caller)
        ticket, _ = await flow.register(intake, registered_by=None, caller=caller, photos=photo)
    except ValidationFailed as exc:
        return error(400, "; ".join(f"{problem.field}: {problem.message}" for problem in exc.problems))
    except NotFound as exc:
        return error(400, exc.message)
    except DomainError as exc:
        return error(403, exc.message)
    notice = f"已登记为工单 {ticket.number} (registered as ticket {ticket.number})"
    return JSONResponse(
        [{"service_request_id": ticket.number, "service_notice": notice, "account_id": None}], status_code=201
    )


routes = [
    route("/open311/v2/services.json", services, OPEN311, public=True),
    route("/open311/v2/services/{code}.json", service_definition, OPEN311, public=True),
    # public: anonymous callers reach the endpoint, which serves them only with open311_public_get.
    route("/open311/v2/requests.json", requests_list, OPEN311, methods=["GET", "POST"], public=True),
    route("/open311/v2/requests/{id}.json", request_detail, OPEN311, public=True),
]
