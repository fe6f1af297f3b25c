"""Tickets: listing now; intake and the workflow build on this."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from server import clock
from server.clock import local
from server.errors import FieldProblem, ValidationFailed
from server.geo.service import within
from server.tickets.models import Ticket, TicketCategory
from server.tickets.workflow import OPEN


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
    assignee_id: int | None = None,
    department_id: int | None = None,
    overdue: bool | None = None,
    due_before: datetime | None = None,
    escalated: bool | None = None,
    order: str = "NEWEST_FIRST",
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
    if assignee_id is not None:
        query = query.filter(assignee_id=assignee_id)
    if department_id is not None:
        query = query.filter(department_id=department_id)
    open_statuses = [s.value for s in OPEN]
    if overdue is True:
        query = query.filter(status__in=open_statuses, resolution_due__lt=clock.now())
    elif overdue is False:
        query = query.exclude(Q(status__in=open_statuses) & Q(resolution_due__lt=clock.now()))
    if due_before is not None:
        query = query.filter(status__in=open_statuses, resolution_due__lt=local(due_before))
    if escalated is not None:
        query = query.filter(escalation_level__gt=0) if escalated else query.filter(escalation_level=0)
    return query.order_by(*ORDERS[order])


ORDERS = {
    "NEWEST_FIRST": ("-registered_at", "-id"),
    "OLDEST_FIRST": ("registered_at", "id"),
    "DUE_FIRST": ("resolution_due", "id"),
}


def list_categories() -> QuerySet[TicketCategory]:
    return TicketCategory.all()


async def ticket_by_number(number: str, visible: Q) -> Ticket | None:
    if "\x00" in number:  # no number holds one, and PostgreSQL refuses it in a parameter
        return None
    return await Ticket.filter(visible, number=number).first()


async def station_position(station_id: int) -> tuple[float | None, float | None]:
    from server.stations.models import Station

    row = await Station.filter(id=station_id).values_list("latitude", "longitude")
    return (row[0][0], row[0][1]) if row else (None, None)
