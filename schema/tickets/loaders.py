from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Max

from schema.loaders import ByIdLoader, ManyByLoader, reference_q
from server.tickets.models import Ticket, TicketCategory, TicketEvent


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
        latest = Subquery(
            TicketEvent.filter(ticket_id__in=list(set(keys)))
            .annotate(last_id=Max("id"))
            .group_by("ticket_id")
            .values("last_id")
        )
        rows = await TicketEvent.filter(id__in=latest)
        by_ticket = {row.ticket_id: row for row in rows}
        return [by_ticket.get(key) for key in keys]
