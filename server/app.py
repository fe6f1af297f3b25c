"""The ASGI application: Starlette with GraphQL at /graphql, /healthz and /readyz."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from tortoise import Tortoise, connections

from schema.context import Context
from schema.schema import schema
from server.auth.service import AuthFailure, authenticate
from server.authz.engine import engine
from server.db import tortoise_config
from server.settings import settings


class LianxinGraphQL(GraphQL):  # type: ignore[type-arg]
    async def get_context(self, request: Any, response: Any) -> Context:
        """Who is asking, decided once per request: one SQL statement checks the token (or key)
        and reads the policy version; the enforcer reloads only when that version moved."""
        headers = request.headers
        try:
            viewer, version = await authenticate(headers.get("authorization"), headers.get("x-api-key"))
        except AuthFailure as exc:
            return Context(request=request, response=response, auth_error=exc.message)
        if viewer is not None:
            await engine.ensure_version(version)
        return Context(request=request, response=response, viewer=viewer)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return JSONResponse({"status": "database unavailable", "detail": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ready"})


def create_app(*, manage_database: bool = True) -> Starlette:
    """`manage_database=False` when the caller (a test) has opened Tortoise already."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_database:
            yield
            return
        # Request tasks do not inherit the lifespan task's context: make it the global fallback.
        await Tortoise.init(config=tortoise_config(), _enable_global_fallback=True)
        try:
            yield
        finally:
            from server.tickets.events import broker

            await broker.close()
            await Tortoise.close_connections()

    graphql_app = LianxinGraphQL(schema, graphql_ide="graphiql" if settings.is_demo else None)
    return Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
