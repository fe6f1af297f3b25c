"""The ticket-event broker on its own: a subscriber that stops reading is dropped; publishing
neither fails nor leaves the other subscribers without the event (end to end in
test_subscription_sessions.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from server.tickets.events import Broker, Delivery, SubscriberTooSlow, TicketEventMessage


def event(n: int) -> TicketEventMessage:
    return TicketEventMessage(
        ticket_id=n,
        number=f"DG-20260302-{n:06d}",
        jurisdiction_id=1,
        department_id=None,
        action="register",
        from_status=None,
        to_status="REGISTERED",
        actor="worker-xiagang",
        at="2026-03-02T09:00:00+08:00",
    )


async def test_a_full_queue_drops_that_subscriber_only(database_url: str) -> None:
    """With the database open: on PostgreSQL the broker also LISTENs and NOTIFYs."""
    broker = Broker(queue_size=2)
    dropped: list[str] = []

    def on_drop() -> None:
        dropped.append("slow")
        raise RuntimeError("a failing callback must not stop delivery either")

    slow: AsyncIterator[Delivery] = broker.subscribe(on_drop=on_drop)
    fast: AsyncIterator[Delivery] = broker.subscribe()
    heard: list[str] = []

    async def read_fast() -> None:
        async for message, _received_at in fast:
            heard.append(message.number)

    reader = asyncio.create_task(read_fast())
    first_of_slow: asyncio.Future[Delivery] = asyncio.ensure_future(
        anext(slow)
    )  # subscribes, reads one, then stalls
    try:
        async with asyncio.timeout(10):  # on PostgreSQL both wait for the LISTEN connection
            while broker.subscriber_count < 2:
                await asyncio.sleep(0.01)
        for n in range(1, 7):
            await broker.publish(event(n))  # never raises
            await asyncio.sleep(0)  # the fast reader keeps up
        assert dropped == ["slow"]
        assert heard == [f"DG-20260302-{n:06d}" for n in range(1, 7)]
        assert (await first_of_slow).message.number == "DG-20260302-000001"
        with pytest.raises(SubscriberTooSlow, match="resubscribe"):
            await anext(slow)
        assert broker.subscriber_count == 1
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await fast.aclose()  # type: ignore[attr-defined]
        await slow.aclose()  # type: ignore[attr-defined]
        await broker.close()
