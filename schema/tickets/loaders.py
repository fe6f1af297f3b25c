from __future__ import annotations

from tortoise.expressions import Q

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
