"""One request pipeline for every entry point: GraphQL over HTTP, the GraphQL WebSocket, Open311,
the CSV exports, and whatever comes next (web pages, file downloads).

For each request it
  1. carries the request id (set by lianxin.app.RequestIdMiddleware),
  2. identifies the caller (server.auth.service.identify),
  3. applies the data-sharing keys' rate limit, counted in the database so that every worker
     and every server shares it (RequestRate, one atomic upsert per request),
  4. records every use of a key, allowed or refused (ApiKeyUse: interface and operation),
  5. writes the citizens' personal data read while serving it (PersonalDataAccess),
  6. and, for REST endpoints, answers bad input, refusals and failures in the interface's own
     error format, with one log line per request and no traceback for a client's mistake.

REST endpoints are declared with `route(...)`, so an endpoint cannot skip the pipeline; a test
walks the application's routes and fails on any that does (besides /healthz and /readyz). GraphQL
calls `begin` from its context getter and `admit` / `finish` from a schema extension.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import connections

from server import clock, metrics
from server.auth.service import AuthFailure, identify
from server.authz.authorizer import Authorizer, Viewer
from server.authz.engine import engine
from server.database import database_unavailable
from server.errors import DomainError, RateLimited, ValidationFailed
from server.http import Exchange, new_request_id
from server.settings import settings

log = logging.getLogger("lianxin.http")

# (ticket id, ticket number, field) of a citizen's personal data read while serving a request.
PersonalRead = tuple[int, str, str]


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    count: int  # requests of this caller in the current window, this one included
    retry_after: int  # seconds until the window ends

    def message(self) -> str:
        return (
            f"This key made more than {self.limit} requests in {settings.rate_limit_window_seconds} "
            f"seconds; slow down and retry in {self.retry_after} seconds."
        )


@dataclass
class Call:
    """One request (or WebSocket operation) as the pipeline sees it."""

    interface: str  # graphql, websocket, open311, csv, …
    request_id: str = field(default_factory=new_request_id)
    viewer: Viewer | None = None
    auth_failure: AuthFailure | None = None
    rate: RateDecision | None = None
    personal_reads: list[PersonalRead] = field(default_factory=list)

    @property
    def actor(self) -> str:
        return self.viewer.name if self.viewer else "anonymous"

    @property
    def auth_error(self) -> str | None:
        return self.auth_failure.message if self.auth_failure else None

    def authorizer(self) -> Authorizer:
        refusal = RateLimited(self.rate.message()) if self.rate and not self.rate.allowed else None
        return Authorizer(engine, self.viewer, self.auth_error, refusal)


# Identification ----------------------------------------------------------------------------------


async def identify_call(call: Call, authorization: str | None, api_key: str | None) -> None:
    """Who is asking, on the call: a viewer, or the reason its credentials were refused."""
    try:
        call.viewer = await identify(authorization, api_key)
        call.auth_failure = None
    except AuthFailure as exc:
        call.viewer, call.auth_failure = None, exc


async def begin(
    interface: str, request_id: str | None, authorization: str | None, api_key: str | None
) -> Call:
    call = Call(interface=interface, request_id=request_id or new_request_id())
    await identify_call(call, authorization, api_key)
    return call


# Rate limits -------------------------------------------------------------------------------------

_UPSERT = (
    'INSERT INTO "request_rate" ("key", "window_start", "count") VALUES ({0}, {1}, 1) '
    'ON CONFLICT ("key", "window_start") DO UPDATE SET "count" = "request_rate"."count" + 1 '
    'RETURNING "count"'
)
_PRUNE = 'DELETE FROM "request_rate" WHERE "window_start" < {0}'


def _placeholders(client: Any, count: int) -> list[str]:
    return (
        [f"${i}" for i in range(1, count + 1)] if client.capabilities.dialect == "postgres" else ["?"] * count
    )


async def count_request(key: str, limit: int, now: float | None = None) -> RateDecision:
    """Count one request of `key` in the current fixed window and decide whether it is within
    `limit`. One statement (INSERT … ON CONFLICT … DO UPDATE … RETURNING, atomic on PostgreSQL and
    SQLite ≥ 3.35), so concurrent workers never both see the same count. The first request of a
    window deletes the rows of windows that have ended (an indexed range delete, once per caller
    per window)."""
    window = settings.rate_limit_window_seconds
    now = time.time() if now is None else now
    start = int(now // window) * window
    client = connections.get("default")
    rows = await client.execute_query_dict(_UPSERT.format(*_placeholders(client, 2)), [key[:64], start])
    count = int(rows[0]["count"])
    if count == 1:
        await client.execute_query(_PRUNE.format(*_placeholders(client, 1)), [start])
    retry_after = max(1, math.ceil(start + window - now))
    return RateDecision(allowed=count <= limit, limit=limit, count=count, retry_after=retry_after)


async def admit(call: Call) -> RateDecision | None:
    """Apply the caller's rate limit (data-sharing keys only): the decision is kept on the call."""
    if call.viewer is None or not call.viewer.is_api_key:
        call.rate = None
        return None
    call.rate = await count_request(call.viewer.name, settings.api_key_requests_per_minute)
    if not call.rate.allowed:
        metrics.RATE_LIMITED.labels(call.interface).inc()
    return call.rate


# Records -----------------------------------------------------------------------------------------


async def record_key_use(call: Call, operation: str) -> None:
    """One ApiKeyUse row for a request made with a key, served or refused."""
    if call.viewer is None or not call.viewer.is_api_key:
        return
    from server.audit.models import ApiKeyUse

    await ApiKeyUse.create(
        prefix=call.viewer.name.removeprefix("key:"),
        interface=call.interface[:16],
        operation=(operation or "-")[:200],
        at=clock.now(),
        allowed=call.rate is None or call.rate.allowed,
    )


async def record_personal_reads(
    interface: str, actor: str, request_id: str, reads: list[PersonalRead]
) -> None:
    """Write the personal-data reads of one request: one row per ticket, naming the fields read.
    `interface` is the entry point that served them (graphql, websocket, open311, csv, …)."""
    if not reads:
        return
    from server.audit.models import PersonalDataAccess

    by_ticket: dict[int, tuple[str, set[str]]] = {}
    for ticket_id, number, name in reads:
        by_ticket.setdefault(ticket_id, (number, set()))[1].add(name)
    now = clock.now()
    await PersonalDataAccess.bulk_create(
        [
            PersonalDataAccess(
                actor=actor,
                ticket_id=ticket_id,
                ticket_number=number,
                fields_read=",".join(sorted(names))[:64],
                at=now,
                request_id=request_id,
                interface=interface[:16],
            )
            for ticket_id, (number, names) in by_ticket.items()
        ]
    )


async def finish(call: Call) -> None:
    """After serving an operation: the personal data it read."""
    reads, call.personal_reads = call.personal_reads, []
    await record_personal_reads(call.interface, call.actor, call.request_id, reads)


# REST endpoints ----------------------------------------------------------------------------------

Credentials = tuple[str | None, str | None]  # (Authorization header, API key)


async def header_credentials(request: Request) -> Credentials:
    return request.headers.get("authorization"), request.headers.get("x-api-key")


@dataclass(frozen=True)
class Interface:
    """How one REST interface answers: its name in the logs and ApiKeyUse, its error body, and the
    status it gives a caller without valid credentials."""

    name: str
    error: Callable[[int, str, str], Response]  # (status, code, message) → response
    unauthenticated_status: int = 401
    credentials: Callable[[Request], Awaitable[Credentials]] = header_credentials


STATUS_BY_CODE = {
    "BAD_USER_INPUT": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "RATE_LIMITED": 429,
    "PDF_UNAVAILABLE": 503,
}

Endpoint = Callable[[Request, Call], Awaitable[Response]]


def _describe(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed) and exc.problems:
        return "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
    return exc.message


class PipelineRoute(Route):
    """A REST route served through the pipeline (see `route`)."""

    interface: Interface


def route(
    path: str,
    endpoint: Endpoint,
    interface: Interface,
    *,
    methods: list[str] | None = None,
    public: bool = False,
) -> PipelineRoute:
    """A Starlette route whose endpoint `endpoint(request, call)` runs inside the pipeline: the
    caller identified (required unless `public`; a public endpoint still identifies a caller who
    sends credentials), the key's rate limit applied and its use recorded, personal-data reads
    written, DomainErrors (bad input, not found, forbidden) answered in the interface's format,
    anything unexpected a 500 (503 when the database is gone) carrying the request id, and one
    log line per request."""
    operation = path

    async def serve(request: Request) -> Response:
        request_id = getattr(request.state, "request_id", None) or new_request_id()
        exchange = Exchange(request_id=request_id, method=request.method, interface=interface.name)
        exchange.operation_type, exchange.operation_name = interface.name, f"{request.method} {operation}"
        call = Call(interface=interface.name, request_id=request_id)
        request.state.call = call
        status = 500
        try:
            response = await _serve(request, call, exchange)
            status = response.status_code
            return response
        finally:
            await request.close()  # the temporary files of a multipart form's uploads
            exchange.log(status)

    async def _serve(request: Request, call: Call, exchange: Exchange) -> Response:
        def refuse(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
            exchange.error_codes = [code]
            response = interface.error(status, code, message)
            if headers:
                response.headers.update(headers)
            return response

        admitted = False
        try:
            authorization, api_key = await interface.credentials(request)
            if authorization or api_key or not public:
                await identify_call(call, authorization, api_key)
            exchange.user = call.actor
            if call.auth_failure is not None:
                return refuse(
                    interface.unauthenticated_status, call.auth_failure.code, call.auth_failure.message
                )
            if call.viewer is None and not public:
                return refuse(
                    interface.unauthenticated_status,
                    "UNAUTHENTICATED",
                    "Credentials are required: send Authorization: Bearer <token or key>.",
                )
            rate = await admit(call)
            admitted = True
            if rate is not None and not rate.allowed:
                return refuse(429, "RATE_LIMITED", rate.message(), {"Retry-After": str(rate.retry_after)})
            response = await endpoint(request, call)
            if response.status_code >= 400 and not exchange.error_codes:
                exchange.error_codes = [str(response.status_code)]
            await finish(call)
            return response
        except DomainError as exc:  # the client's mistake or a refusal: an answer, not an incident
            return refuse(STATUS_BY_CODE.get(exc.code, 400), exc.code, _describe(exc))
        except Exception as exc:
            exchange.cause = type(exc).__name__
            if database_unavailable(exc):
                return refuse(
                    503,
                    "DATABASE_UNAVAILABLE",
                    "The database is unavailable; try again shortly.",
                    {"Retry-After": "2"},
                )
            log.exception(
                "unexpected error serving %s %s (request %s)", request.method, path, call.request_id
            )
            return refuse(
                500,
                "INTERNAL_SERVER_ERROR",
                f"Internal error. Quote request id {call.request_id} when reporting it.",
            )
        finally:
            if admitted:
                try:
                    await record_key_use(call, f"{request.method} {operation}")
                except Exception:
                    log.exception("could not record the key's use (request %s)", call.request_id)

    served = PipelineRoute(path, serve, methods=methods or ["GET"])
    served.interface = interface
    return served


def served_through_pipeline(route: Any) -> bool:
    """Whether a Starlette route's requests go through this pipeline."""
    if isinstance(route, PipelineRoute):
        return True
    return getattr(getattr(route, "endpoint", None), "pipeline_interface", None) is not None


def json_error(status: int, code: str, message: str) -> Response:
    """The error body of the JSON-speaking REST endpoints (CSV exports): GraphQL's shape."""
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)
