"""Per-request accounting, written once per request: the personal-data access log and the use of
data-sharing keys (with their rate limit)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from typing import Any

from strawberry.extensions import SchemaExtension

from server import clock
from server.errors import RateLimited
from server.settings import settings

_WINDOW_SECONDS = 60.0
_recent: dict[str, deque[float]] = defaultdict(deque)  # key prefix → times of its recent requests


def over_rate_limit(prefix: str, now: float | None = None) -> bool:
    """Sliding one-minute window per key, per server process."""
    now = time.monotonic() if now is None else now
    window = _recent[prefix]
    while window and now - window[0] > _WINDOW_SECONDS:
        window.popleft()
    if len(window) >= settings.api_key_requests_per_minute:
        return True
    window.append(now)
    return False


class Accounting(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        context: Any = self.execution_context.context
        viewer = getattr(context, "viewer", None)
        limited = False
        if viewer is not None and viewer.is_api_key and over_rate_limit(viewer.name):
            limited = True
            context.authz.refusal = RateLimited(
                f"This key made more than {settings.api_key_requests_per_minute} requests in a minute; "
                "slow down and retry shortly."
            )
        yield
        if viewer is not None and viewer.is_api_key:
            from server.stats.models import ApiKeyUse

            operation = self.execution_context.operation_name or _first_field(self.execution_context.query)
            await ApiKeyUse.create(
                prefix=viewer.name.removeprefix("key:"),
                operation=operation[:200],
                at=clock.now(),
                allowed=not limited,
            )
        reads = getattr(context, "personal_reads", None)
        if reads:
            from server.stats.models import PersonalDataAccess

            by_ticket: dict[int, tuple[str, set[str]]] = {}
            for ticket_id, number, field in reads:
                by_ticket.setdefault(ticket_id, (number, set()))[1].add(field)
            now = clock.now()
            await PersonalDataAccess.bulk_create(
                [
                    PersonalDataAccess(
                        actor=context.actor,
                        ticket_id=ticket_id,
                        ticket_number=number,
                        fields_read=",".join(sorted(fields)),
                        at=now,
                        request_id=context.request_id,
                    )
                    for ticket_id, (number, fields) in by_ticket.items()
                ]
            )


def _first_field(query: str | None) -> str:
    text = (query or "").replace("{", " { ").split()
    words = [w for w in text if w not in ("{", "}", "query", "mutation", "subscription")]
    return words[0] if words else "-"
