from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.expressions import Q

from schema.loaders import ByIdLoader, ManyByLoader, reference_q
from server import batch
from server.tickets.models import ReturnVisit, Ticket, TicketCategory, TicketEvent


class TicketByIdLoader(ByIdLoader):
    model = Ticket

    def visible(self) -> Q | None:
        return self.ctx.authz.visible_tickets()


class TicketCategoryByIdLoader(ByIdLoader):
    model = TicketCategory

    def visible(self) -> Q | None:
        return reference_q(self.ctx)


class EventsByTicketLoader(ManyByLoader):
    """History of tickets the caller can already see."""

    model = TicketEvent
    key_field = "ticket_id"


class LatestEventByTicketLoader(ByIdLoader):
    """Each ticket's most recent event only (a queue shows one line per ticket), in one statement:
    the events whose id is the largest of their ticket's."""

    model = TicketEvent

    async def _load(self, keys: Sequence[int]) -> list[Any]:
        return await batch.latest_ticket_events(keys)


class ReturnVisitsByTicketLoader(ManyByLoader):
    """Return visits of tickets the caller can already see, oldest first."""

    model = ReturnVisit
    key_field = "ticket_id"
