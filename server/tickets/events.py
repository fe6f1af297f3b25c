"""Ticket events for live updates: published after commit, delivered to subscribers in this
process, and, on PostgreSQL, to every other worker and server through LISTEN/NOTIFY.

Delivery never touches the change that caused it: `publish` does not raise, and a subscriber that
lets its queue fill up (settings.subscription_queue_size) is dropped rather than blocking or
failing the others; it learns so through its `on_drop` callback and `SubscriberTooSlow`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple

from server import metrics
from server.settings import settings

log = logging.getLogger("lianxin.events")
CHANNEL = "lianxin_ticket_events"
TOO_SLOW = "subscriber too slow: events dropped; resubscribe"
# Listening again after the LISTEN connection was lost: first try, then doubling up to the last.
RECONNECT_FIRST_SECONDS = 0.25
RECONNECT_MAX_SECONDS = 5.0


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


class Delivery(NamedTuple):
    message: TicketEventMessage
    received_at: float  # time.monotonic() when this process received the event


class SubscriberTooSlow(Exception):
    """The subscriber's queue overflowed: events were dropped, so its stream ends here."""


class _Subscriber:
    __slots__ = ("dropped", "on_drop", "queue")

    def __init__(self, size: int, on_drop: Callable[[], None] | None) -> None:
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue(maxsize=size)
        self.on_drop = on_drop
        self.dropped = False


class Broker:
    def __init__(self, queue_size: int | None = None) -> None:
        self._subscribers: set[_Subscriber] = set()
        self.queue_size = queue_size  # None: settings.subscription_queue_size
        self.origin = f"{id(self):x}"
        self._listener: Any = None
        self._listening = asyncio.Lock()
        self._reconnecting: asyncio.Task[None] | None = None
        self._closed = False

    async def publish(self, message: TicketEventMessage) -> None:
        """Never raises: the change is committed, whatever becomes of its live delivery."""
        try:
            message = replace(message, origin=self.origin)
            self._deliver(message)
        except Exception:
            log.exception("could not deliver a ticket event to this process's subscribers")
        await self._notify(message)

    def _deliver(self, message: TicketEventMessage) -> None:
        delivery = Delivery(message, time.monotonic())
        for subscriber in list(self._subscribers):
            try:
                subscriber.queue.put_nowait(delivery)
            except asyncio.QueueFull:
                self._drop(subscriber)

    def _drop(self, subscriber: _Subscriber) -> None:
        """A subscriber that cannot keep up loses its stream, not the others their events."""
        self._subscribers.discard(subscriber)
        subscriber.dropped = True
        log.warning(
            "dropped a ticket-event subscriber: %d events were waiting for it", subscriber.queue.qsize()
        )
        if subscriber.on_drop is not None:
            try:
                subscriber.on_drop()
            except Exception:
                log.exception("a dropped subscriber's on_drop callback failed")

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def subscribe(self, on_drop: Callable[[], None] | None = None) -> AsyncIterator[Delivery]:
        """Events as they come. When this subscriber falls `queue_size` events behind it is dropped:
        `on_drop` is called at once (from the publisher: it must not block), and the stream raises
        SubscriberTooSlow when next read."""
        await self._ensure_listener()
        subscriber = _Subscriber(self.queue_size or settings.subscription_queue_size, on_drop)
        self._subscribers.add(subscriber)
        metrics.SUBSCRIPTIONS.inc()
        try:
            while True:
                delivery = await subscriber.queue.get()
                if subscriber.dropped:  # what is still queued came before the gap: useless now
                    raise SubscriberTooSlow(TOO_SLOW)
                yield delivery
        finally:
            self._subscribers.discard(subscriber)
            metrics.SUBSCRIPTIONS.dec()

    # PostgreSQL: other processes -------------------------------------------------------------

    def _postgres(self) -> Any | None:
        from tortoise import connections

        try:
            conn = connections.get("default")
        except Exception:  # noqa: BLE001 - no database configured
            return None
        return conn if conn.capabilities.dialect == "postgres" else None

    async def _notify(self, message: TicketEventMessage) -> None:
        conn = self._postgres()
        if conn is None:
            return
        try:
            await conn.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, json.dumps(asdict(message))])
        except Exception:
            log.exception("could not notify other workers of a ticket event")

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        async with self._listening:  # the first subscribers arrive together: one connection
            if self._listener is None or self._listener.is_closed():
                await self._listen()

    async def _listen(self) -> None:
        self._listener = None  # closed by a database outage: listen anew
        conn = self._postgres()
        if conn is None:
            return
        import asyncpg

        listener = await asyncpg.connect(
            host=conn.host, port=conn.port, user=conn.user, password=conn.password, database=conn.database
        )

        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            try:
                message = TicketEventMessage(**json.loads(payload))
                if message.origin != self.origin:  # our own were delivered at publish time
                    self._deliver(message)
            except Exception:
                log.exception("could not deliver a ticket event from another process")

        await listener.add_listener(CHANNEL, on_notify)
        listener.add_termination_listener(self._lost)
        self._listener = listener
        self._closed = False

    def _lost(self, _conn: Any) -> None:
        """The LISTEN connection closed under us (PostgreSQL restarted, a network cut): listen
        again in the background, so that open subscriptions get other processes' events again
        without their clients doing anything. Events notified while it was down are not replayed."""
        if self._closed or (self._reconnecting is not None and not self._reconnecting.done()):
            return
        log.warning("lost the connection listening for other processes' ticket events; reconnecting")
        self._reconnecting = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        delay = RECONNECT_FIRST_SECONDS
        while not self._closed:
            try:
                async with self._listening:
                    if self._listener is None or self._listener.is_closed():
                        await self._listen()
                log.info("listening for other processes' ticket events again")
                return
            except Exception as exc:  # noqa: BLE001 - down still: try again, less often
                log.debug("reconnecting the ticket-event listener failed: %s", type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def close(self) -> None:
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
            self._reconnecting = None
        if self._listener is not None:
            await self._listener.close()
            self._listener = None


broker = Broker()
