"""200 intakes at once: 200 rows, 200 distinct numbers (the day's counter row serialises them)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.tickets.workflow_helpers import ids, register


async def test_200_concurrent_intakes_get_200_distinct_numbers(gql: Any) -> None:
    from server.tickets.models import Ticket

    refs = await ids(gql)
    await gql.token("worker-xiagang")
    before = await Ticket.all().count()
    results = await asyncio.gather(*(register(gql, refs, description=f"并发登记 {i}") for i in range(200)))
    assert all(r["__typename"] == "RegisterTicketPayload" for r in results), [
        r for r in results if r["__typename"] != "RegisterTicketPayload"
    ][:3]
    numbers = [r["ticket"]["number"] for r in results]
    assert len(set(numbers)) == 200
    assert await Ticket.all().count() == before + 200
    assert await Ticket.filter(number__in=numbers).count() == 200
