"""The request pipeline's step in GraphQL execution (server.pipeline does the work): each operation
(a request over HTTP, or one subscription on a WebSocket) is admitted under its key's rate limit
and its key use recorded before it runs (a subscription may never end), and the personal data it
read is recorded after. schema.schema.OperationSteps calls `admit` before and `finish` after."""

from __future__ import annotations

from typing import Any

from server import pipeline
from server.authz.authorizer import operation_refusal
from server.errors import RateLimited
from server.http import describe_operation


async def admit(execution: Any) -> Any:
    """The operation's call admitted (its refusal, if the rate limit refuses, set for the resolvers
    to raise), or None when the operation has no call (a schema executed outside a request)."""
    call = getattr(execution.context, "call", None)
    if call is None:
        return None
    rate = await pipeline.admit(call)
    operation_refusal.set(RateLimited(rate.message()) if rate is not None and not rate.allowed else None)
    if call.viewer is not None and call.viewer.is_api_key:  # only a key's use is recorded, by name
        await pipeline.record_key_use(call, _operation(execution))
    return call


async def finish(call: Any) -> None:
    if call is not None:
        await pipeline.finish(call)


def _operation(execution: Any) -> str:
    """The operation's name (from the document, which is not parsed yet), or its first field."""
    _type, name = describe_operation(execution.query, execution.operation_name)
    return name or _first_field(execution.query)


def _first_field(query: str | None) -> str:
    text = (query or "").replace("{", " { ").split()
    words = [w for w in text if w not in ("{", "}", "query", "mutation", "subscription")]
    return words[0] if words else "-"
