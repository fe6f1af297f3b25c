"""The ASGI application: Starlette with GraphQL at /graphql, /healthz and /readyz."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from tortoise import Tortoise, connections

from lianxin.web.views import routes as web_routes
from schema.context import Context
from schema.schema import schema
from schema.websocket import TransportWSHandler
from server import metrics, pipeline, replicas, tracing
from server.attachments.routes import routes as attachment_routes
from server.calendar import service as calendar
from server.database import database_unavailable, tortoise_config
from server.documents.routes import routes as document_routes
from server.exports import routes as export_routes
from server.geo.routes import routes as geo_routes
from server.http import (
    CONTENT_TYPES,
    GRAPHQL_RESPONSE_JSON,
    Exchange,
    describe_operation,
    error_body,
    is_multipart,
    json_body_problem,
    json_response,
    negotiate,
    new_request_id,
)
from server.logs import current_request_id
from server.open311 import routes as open311_routes
from server.open311_xml import routes as open311_xml_routes
from server.settings import settings

MAX_BODY_BYTES = 1_000_000

log = logging.getLogger("lianxin.http")

# Before the operation starts (authentication) nothing can have been done; during it, a change may
# have committed just before the database went away.
UNAVAILABLE_BEFORE = "The database is unavailable; nothing was done. Try again shortly."
UNAVAILABLE_DURING = (
    "The database became unavailable during this request. Try again shortly; "
    "check whether a change was made before repeating it."
)
RETRY_AFTER = {"Retry-After": "2"}
HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class RequestIdMiddleware:
    """Every HTTP request and WebSocket gets an id: in `request.state.request_id`, in the context of
    everything logged while serving it (server.logs), and in the `X-Request-Id` response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        token = current_request_id.set(request_id)
        counting = metrics.start_counting()  # statements per request (lianxin_request_statements)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.stop_counting(counting)
            current_request_id.reset(token)


def _byte_length(text: str) -> int:
    """UTF-8 length of a client's text; a lone surrogate (valid JSON, not valid UTF-8) counts as the
    three bytes it would take, and never raises."""
    return len(text.encode(errors="surrogatepass"))


def _loads(data: str | bytes) -> Any:
    """A request's JSON, read by orjson. What orjson refuses and the standard library accepts (a
    lone surrogate written as a \\u escape, NaN, Infinity) is read as before, so such requests keep
    their answers (a typed BAD_USER_INPUT, not a parse error); invalid JSON still fails here."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _dumps(data: Any) -> bytes:
    """An answer as UTF-8 JSON. An answer that echoes a lone surrogate from the request (in an
    error message) cannot be UTF-8: it is written with \\u escapes, as the standard library does."""
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":")).encode()


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go in text frames: strawberry would send the view's bytes in
    binary ones."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(_dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


def _exchange(request: Any) -> Exchange | None:
    return getattr(request.state, "exchange", None) if isinstance(request, Request) else None


class LianxinGraphQL(GraphQL[Context, None]):
    """strawberry's view, held to GraphQL over HTTP: content negotiation between
    application/graphql-response+json and application/json, 4xx for requests that cannot run
    (400 when a graphql-response+json client sent an invalid document), 405 for anything but a
    query over GET, 406/415 for media types we do not speak, 503 when the database is gone, and a
    log line per request. Callers are identified, rate-limited and recorded by server.pipeline."""

    pipeline_interface = "graphql"

    # graphql-transport-ws: credentials checked at connection_init, sessions re-checked while open,
    # subscriptions only. The only subprotocol spoken: a graphql-ws client is closed with 4406.
    graphql_transport_ws_handler_class = TransportWSHandler
    websocket_adapter_class = TextWebSocketAdapter

    def __init__(self, schema: Any, **options: Any) -> None:
        # File uploads (the GraphQL multipart request spec). A browser may send multipart/form-data
        # across sites without a CORS preflight, but credentials here are never ambient (a bearer
        # header, no cookies), so such a request arrives anonymous and every upload refuses it.
        super().__init__(
            schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            multipart_uploads_enabled=True,
            **options,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        exchange = Exchange(
            request_id=getattr(request.state, "request_id", None) or new_request_id(), method=request.method
        )
        request.state.exchange = exchange
        status = 500
        try:
            response = await self._answer(request, exchange)
            if exchange.status is not None:
                response.status_code = exchange.status
            status = response.status_code
            await response(scope, receive, send)
        finally:
            await request.close()  # uploaded files' temporary files (multipart requests)
            exchange.log(status)

    async def _answer(self, request: Request, exchange: Exchange) -> Response:
        adapter = self.request_adapter_class(request)
        if request.method in {"GET", "POST"} and not self.should_render_graphql_ide(adapter):
            exchange.media_type = negotiate(request.headers.get("accept"))
            if exchange.media_type is None:
                return self._error(
                    exchange,
                    406,
                    "Not acceptable: this endpoint answers with application/graphql-response+json "
                    "or application/json.",
                )
            multipart = request.method == "POST" and is_multipart(request.headers.get("content-type"))
            if (
                request.method == "POST"
                and not multipart
                and (problem := json_body_problem(request.headers.get("content-type")))
            ):
                return self._error(exchange, 415, problem)
            if multipart:
                if (too_big := await self._oversized_upload(request)) is not None:
                    return self._error(exchange, 413, too_big, code="PAYLOAD_TOO_LARGE")
            elif (too_big := await self._oversized(request)) is not None:
                return self._error(exchange, 413, too_big, code="DOCUMENT_TOO_LARGE")
        try:
            response = await self.run(request)
        except HTTPException as exc:
            headers = None
            if exc.status_code == 405:
                headers = {"Allow": "POST" if request.method == "GET" else "GET, POST"}
            return self._error(exchange, exc.status_code, exc.reason, headers)
        except Exception as exc:
            # Outside of the execution (authentication, the policy reload): the masking
            # extension never saw it.
            exchange.cause = type(exc).__name__
            if database_unavailable(exc):  # logged once, by the access line, with its cause
                return self._error(exchange, 503, UNAVAILABLE_BEFORE, RETRY_AFTER, "DATABASE_UNAVAILABLE")
            log.exception("unexpected error serving the request (request %s)", exchange.request_id)
            return self._error(
                exchange,
                500,
                f"Internal error. Quote request id {exchange.request_id} when reporting it.",
                code="INTERNAL_SERVER_ERROR",
            )
        if exchange.media_type is not None and response.media_type == "application/json":
            response.headers["content-type"] = CONTENT_TYPES[exchange.media_type]
        if exchange.status == 503:
            response.headers.update(RETRY_AFTER)
        return response

    @staticmethod
    async def _oversized_upload(request: Request) -> str | None:
        """A multipart request (files) may carry one ticket's worth of files and its document; a
        larger one is refused before it is parsed. Each file's own limit is the mutation's to
        check, as a typed error naming the file."""
        limit = settings.attachment_max_total_bytes + MAX_BODY_BYTES
        too_big = f"The request body is larger than {limit:,} bytes: send fewer or smaller files."
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return too_big
        size = 0
        chunks = []
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return too_big
            chunks.append(chunk)
        request._body = b"".join(chunks)  # Starlette's cache of the body: the form parser reads it
        return None

    @staticmethod
    async def _oversized(request: Request) -> str | None:
        """Refuse a huge document before the GraphQL parser sees it. The body as a whole may be
        larger (long variables get their own, per-field errors), up to MAX_BODY_BYTES."""
        limit = settings.max_document_bytes
        message = f"The GraphQL document is larger than {limit:,} bytes; send a smaller one."
        if request.method == "GET":
            return message if _byte_length(request.query_params.get("query", "")) > limit else None
        declared = request.headers.get("content-length")
        too_big = f"The request body is larger than {MAX_BODY_BYTES:,} bytes."
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return too_big
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return too_big
        if len(body) <= limit:
            return None
        try:
            payload = _loads(body)
        except ValueError:
            return None  # the view answers malformed JSON itself
        query = payload.get("query") if isinstance(payload, dict) else None
        return message if isinstance(query, str) and _byte_length(query) > limit else None

    def _error(
        self,
        exchange: Exchange,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> Response:
        code = code or HTTP_ERROR_CODES.get(status, "BAD_REQUEST")
        exchange.error_codes = [code]
        extensions = {"requestId": exchange.request_id} if status >= 500 else {}
        return json_response(error_body(message, code, **extensions), status, exchange.media_type, headers)

    async def get_context(self, request: Any, response: Any) -> Context:
        """Who is asking, decided once per request (or WebSocket connection) by the request
        pipeline: one SQL statement checks the token (or key) and reads the policy version; the
        enforcer reloads only when that version moved. The rate limit and the records follow in
        the schema extension (OperationSteps), per operation."""
        headers = request.headers
        interface = "websocket" if isinstance(request, WebSocket) else "graphql"
        call = await pipeline.begin(
            interface,
            getattr(request.state, "request_id", None),
            headers.get("authorization"),
            headers.get("x-api-key"),
        )
        context = Context(request=request, response=response, call=call)
        if (exchange := _exchange(request)) is not None:
            exchange.user = context.actor
        return context

    def decode_json(self, data: str | bytes) -> object:
        return _loads(data)

    def encode_json(self, data: object) -> bytes:
        return _dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request must be a JSON object.")
        return parsed

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Queries over GET or POST, mutations over POST only; subscriptions over WebSocket."""
        method = request_adapter.method
        if (exchange := _exchange(request)) is not None:
            exchange.operation_type, exchange.operation_name = describe_operation(
                request_data.query, request_data.operation_name
            )
        allowed = {OperationType.QUERY} if method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type == OperationType.SUBSCRIPTION:
                raise HTTPException(
                    405 if method == "GET" else 400,
                    "Subscriptions are served over WebSocket (graphql-transport-ws) at this URL.",
                ) from exc
            raise HTTPException(405, "Only queries may be sent with GET; send mutations with POST.") from exc
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request.") from exc

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """The status code for a GraphQL result: 503 when the database was unreachable; 400 for a
        graphql-response+json client whose request never ran (syntax, validation, variables),
        without a `data` entry; otherwise 200, as application/json clients expect."""
        data = await super().process_result(request, result)
        exchange = _exchange(request)
        if exchange is None or not result.errors:
            return data
        formatted: list[Any] = list(data.get("errors") or [])
        unavailable = False
        for index, error in enumerate(result.errors):
            extensions = error.extensions or {}
            if database_unavailable(error.original_error) or extensions.get("code") == "DATABASE_UNAVAILABLE":
                unavailable = True
                formatted[index] = {
                    **formatted[index],
                    "message": UNAVAILABLE_DURING,
                    "extensions": {"code": "DATABASE_UNAVAILABLE", "requestId": exchange.request_id},
                }
        data["errors"] = formatted
        exchange.error_codes = [
            str((e.get("extensions") or {}).get("code") or "GRAPHQL_ERROR") for e in formatted
        ]
        if unavailable:
            exchange.status = 503
        elif (
            exchange.media_type == GRAPHQL_RESPONSE_JSON
            and result.data is None
            and all(error.path is None for error in result.errors)
            and "INTERNAL_SERVER_ERROR" not in exchange.error_codes
        ):
            exchange.status = 400  # a request error: the operation never started
            data.pop("data", None)
        return data


async def healthz(request: Request) -> JSONResponse:
    """The process is up (for restarts): never touches the database."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The process can serve (for load balancers): the database answers."""
    try:
        await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), timeout=2)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return JSONResponse({"status": "database unavailable", "detail": type(exc).__name__}, status_code=503)
    answer: dict[str, Any] = {"status": "ready"}
    if replicas.configured():
        # Ready whatever the replicas' state (reads fall back to the primary), but it shows.
        answer["replicas"] = [replica.describe() for replica in replicas.configured()]
    # Still ready without this year's or next year's holiday schedule, but loudly: deadlines there
    # count Monday to Friday as workdays.
    missing = await calendar.unpublished_years_ahead()
    if missing:
        answer["workCalendar"] = {
            "unpublishedYears": missing,
            "detail": calendar.unpublished_warning(missing),
        }
    return JSONResponse(answer)


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format, for LIANXIN_METRICS_ALLOW's addresses or the metrics key; anyone
    else gets 404, as if there were nothing here."""
    client = request.client.host if request.client else None
    if not metrics.may_scrape(client, request.headers.get("authorization")):
        return JSONResponse(error_body("Not found.", "NOT_FOUND"), status_code=404)
    families = [*replicas.lag_figures()]
    try:
        from server.jobs.service import job_figures

        families += await asyncio.wait_for(job_figures(), timeout=2)
    except Exception as exc:  # noqa: BLE001 - the process's own figures are worth having without them
        log.warning("metrics: could not read the scheduled jobs' figures: %s", type(exc).__name__)
    return Response(metrics.exposition(families), media_type=metrics.CONTENT_TYPE)


async def _warn_unpublished_calendar() -> None:
    """A log line at start-up when this year or next has no holiday schedule."""
    try:
        missing = await calendar.unpublished_years_ahead()
    except Exception:  # noqa: BLE001 - a database not up yet is /readyz's business, not start-up's
        return
    if missing:
        logging.getLogger("lianxin.calendar").warning(calendar.unpublished_warning(missing))


# The young generation's threshold (Python's default 700): a request allocates thousands of
# objects, nearly all freed by reference counting before any collection, so collecting every 700
# allocations mostly walks the request's live objects again and again.
YOUNG_OBJECTS_BEFORE_COLLECTING = 10_000


def _settle_long_lived_objects() -> None:
    """What start-up built (modules, the schema and its types, caches: about 170,000 objects
    here) lives as long as the process: moved where the garbage collector no longer looks
    (gc.freeze), because the older generations' collections, which a request's allocations
    trigger now and then, walked them all. In-process at a million tickets, collections took
    4.9 ms of the stations page's 9.6 ms of CPU per request before, 0.5 ms after; with the higher
    threshold, about nothing."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTING, middle, old)


def create_app(*, manage_database: bool = True) -> Starlette:
    """`manage_database=False` when the caller (a test) has opened Tortoise already."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_database:
            yield
            return
        # Request tasks do not inherit the lifespan task's context: make it the global fallback.
        await Tortoise.init(config=tortoise_config(serving=True), _enable_global_fallback=True)
        await replicas.start()  # LIANXIN_DATABASE_REPLICA_URLS: none by default
        await _warn_unpublished_calendar()
        _settle_long_lived_objects()
        # Scheduled work in this process (the default on SQLite: `make run` is all there is to start).
        stop, jobs = asyncio.Event(), None
        if settings.run_jobs_in_server:
            from server.jobs.runner import run_forever

            jobs = asyncio.create_task(run_forever(stop))
        try:
            yield
        finally:
            from server.tickets.events import broker

            stop.set()
            if jobs is not None:
                await jobs  # a job under way finishes first: its lease would otherwise delay a retry
            await broker.close()
            await replicas.stop()
            await Tortoise.close_connections()
            metrics.process_exited()
            tracing.shutdown()

    if tracing.enabled():
        tracing.setup()  # before the first request: strawberry's spans use the global provider
    graphql_app = LianxinGraphQL(schema, graphql_ide="graphiql" if settings.is_demo else None)
    return Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),  # Prometheus; addresses or key (LIANXIN_METRICS_*)
            *open311_routes,  # Open311 GeoReport v2 for other departments' systems
            *open311_xml_routes,  # the same in XML, the spec's default format
            *export_routes,  # CSV for spreadsheets
            *geo_routes,  # GeoJSON maps of stations and tickets
            *attachment_routes,  # photo and document downloads, by token or signed link
            *web_routes,  # the internal web frontend under /app (lianxin/web)
            *document_routes,  # reply letters, the handling report, XLSX exports
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            # Inside the request id's middleware: the server span starts with the id set.
            *([Middleware(tracing.asgi_middleware)] if tracing.enabled() else []),
        ],
        lifespan=lifespan,
    )
