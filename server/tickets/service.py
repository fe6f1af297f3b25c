"""Tickets: listing now; intake and the workflow build on this."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from server.errors import FieldProblem, ValidationFailed
from server.geo.service import within
from server.tickets.models import Ticket, TicketCategory
from server.timeutil import local


def list_tickets(
    *,
    visible: Q,
    status: str | None = None,
    source: str | None = None,
    within_id: int | None = None,
    station_id: int | None = None,
    category_id: int | None = None,
    registered_from: datetime | None = None,
    registered_to: datetime | None = None,
) -> QuerySet[Ticket]:
    registered_from, registered_to = local(registered_from), local(registered_to)
    if registered_from and registered_to and registered_from > registered_to:
        raise ValidationFailed(
            problems=[FieldProblem("registeredTo", "is before registeredFrom", "BAD_RANGE")]
        )
    query = Ticket.filter(visible)
    if status is not None:
        query = query.filter(status=status)
    if source is not None:
        query = query.filter(source=source)
    if within_id is not None:
        query = query.filter(within("jurisdiction", within_id))
    if station_id is not None:
        query = query.filter(station_id=station_id)
    if category_id is not None:
        query = query.filter(category_id=category_id)
    if registered_from is not None:
        query = query.filter(registered_at__gte=registered_from)
    if registered_to is not None:
        query = query.filter(registered_at__lt=registered_to)
    return query


def list_categories() -> QuerySet[TicketCategory]:
    return TicketCategory.all()
