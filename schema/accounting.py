"""The request pipeline's hook in GraphQL execution (server.pipeline does the work): each operation
(a request over HTTP, or one subscription on a WebSocket) is admitted under its key's rate limit
before it runs, and its key use and personal-data reads are recorded after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from strawberry.extensions import SchemaExtension

from server import pipeline
from server.errors import RateLimited


class Accounting(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        context: Any = self.execution_context.context
        call = getattr(context, "call", None)
        if call is None:
            yield
            return
        await context.authenticate_connection()  # a WebSocket's credentials in connection_init
        rate = await pipeline.admit(call)
        context.authz.refusal = RateLimited(rate.message()) if rate is not None and not rate.allowed else None
        yield
        operation = self.execution_context.operation_name or _first_field(self.execution_context.query)
        await pipeline.finish(call, operation)


def _first_field(query: str | None) -> str:
    text = (query or "").replace("{", " { ").split()
    words = [w for w in text if w not in ("{", "}", "query", "mutation", "subscription")]
    return words[0] if words else "-"
