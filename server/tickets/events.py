"""Ticket events for live updates: published after commit, delivered to subscribers in this
process, and, on PostgreSQL, to every other worker and server through LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger("lianxin.events")
CHANNEL = "lianxin_ticket_events"


@dataclass(frozen=True)
class TicketEventMessage:
    ticket_id: int
    number: str
    jurisdiction_id: int
    department_id: int | None
    action: str
    from_status: str | None
    to_status: str | None
    actor: str
    at: str
    origin: str = ""


class Broker:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[TicketEventMessage]] = set()
        self.origin = f"{id(self):x}"
        self._listener: Any = None

    async def publish(self, message: TicketEventMessage) -> None:
        message = TicketEventMessage(**{**asdict(message), "origin": self.origin})
        self._deliver(message)
        await self._notify(message)

    def _deliver(self, message: TicketEventMessage) -> None:
        for queue in list(self._queues):
            queue.put_nowait(message)

    async def subscribe(self) -> AsyncIterator[TicketEventMessage]:
        await self._ensure_listener()
        queue: asyncio.Queue[TicketEventMessage] = asyncio.Queue(maxsize=1000)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)

    # PostgreSQL: other processes -------------------------------------------------------------

    def _postgres(self) -> Any | None:
        from tortoise import connections

        try:
            conn = connections.get("default")
        except Exception:  # noqa: BLE001 - no database configured
            return None
        return conn if conn.__class__.__module__.startswith("tortoise.backends.asyncpg") else None

    async def _notify(self, message: TicketEventMessage) -> None:
        conn = self._postgres()
        if conn is None:
            return
        try:
            await conn.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, json.dumps(asdict(message))])
        except Exception:  # noqa: BLE001 - live updates must never fail the change itself
            log.exception("could not notify other workers of a ticket event")

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = None  # closed by a database outage: listen anew
        conn = self._postgres()
        if conn is None:
            return
        import asyncpg

        listener = await asyncpg.connect(
            host=conn.host, port=conn.port, user=conn.user, password=conn.password, database=conn.database
        )

        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            message = TicketEventMessage(**json.loads(payload))
            if message.origin != self.origin:  # our own were delivered at publish time
                self._deliver(message)

        await listener.add_listener(CHANNEL, on_notify)
        self._listener = listener

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None


broker = Broker()
