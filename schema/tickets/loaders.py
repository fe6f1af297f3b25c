from __future__ import annotations

from schema.loaders import ByIdLoader, ManyByLoader
from server.tickets.models import Ticket, TicketCategory, TicketEvent


class TicketByIdLoader(ByIdLoader):
    model = Ticket


class TicketCategoryByIdLoader(ByIdLoader):
    model = TicketCategory


class EventsByTicketLoader(ManyByLoader):
    model = TicketEvent
    key_field = "ticket_id"
