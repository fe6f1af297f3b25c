"""The ticket list's filters as SQL for planned reads (server.planned): the same rows, in the same
order, as `service.list_tickets` selects through the ORM. The planner's differential tests hold the
two to the same answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server import clock, planned
from server.authz.authorizer import Authorizer
from server.geo.service import subtree_ids
from server.tickets.models import Ticket
from server.tickets.service import ORDERS
from server.tickets.workflow import OPEN

OPEN_VALUES = sorted(s.value for s in OPEN)


def visible(authz: Authorizer) -> tuple[str | None, list[Any]] | None:
    """`Authorizer.visible_tickets` as SQL on alias-less ticket columns; None when the caller may
    read no tickets (the planner then leaves the answer to the ORM path)."""
    parts = authz.ticket_visibility()
    if parts is None:
        return None
    sql: list[str] = []
    params: list[Any] = []
    for scope, department_id in parts:
        condition, values = planned.in_scope('"jurisdiction_id"', scope)
        if department_id is not None:
            condition = f'"department_id" = ?{f" AND {condition}" if condition else ""}'
            values = [department_id, *values]
        if condition is None:
            return None, []  # one unconditional part: everything
        sql.append(f"({condition})")
        params.extend(values)
    return " OR ".join(sql), params


def where(
    authz: Authorizer,
    *,
    status: str | None = None,
    source: str | None = None,
    within_id: int | None = None,
    station_id: int | None = None,
    category_id: int | None = None,
    assignee_id: int | None = None,
    department_id: int | None = None,
    registered_from: datetime | None = None,
    registered_to: datetime | None = None,
    overdue: bool | None = None,
    due_before: datetime | None = None,
    escalated: bool | None = None,
) -> planned.Where | None:
    """The conditions of `service.list_tickets`, or None when the caller may read no tickets or
    the filter is one the ORM path refuses (a range the wrong way round)."""
    seen = visible(authz)
    if seen is None:
        return None
    registered_from, registered_to = clock.local(registered_from), clock.local(registered_to)
    if registered_from and registered_to and registered_from > registered_to:
        return None
    found = planned.Where()
    found.add(seen[0], *seen[1])
    for field, value in (
        ("status", status),
        ("source", source),
        ("station_id", station_id),
        ("category_id", category_id),
        ("assignee_id", assignee_id),
        ("department_id", department_id),
    ):
        if value is not None:
            found.equal(Ticket, field, value)
    if within_id is not None:
        found.among('"jurisdiction_id"', sorted(subtree_ids(within_id)))
    if registered_from is not None:
        found.add('"registered_at" >= ?', planned.encode(Ticket, "registered_at", registered_from))
    if registered_to is not None:
        found.add('"registered_at" < ?', planned.encode(Ticket, "registered_at", registered_to))
    if overdue is not None:
        now = planned.encode(Ticket, "resolution_due", clock.now())
        _open_and_due_before(found, status, now, negate=not overdue)
    if due_before is not None:
        due = planned.encode(Ticket, "resolution_due", clock.local(due_before))
        _open_and_due_before(found, status, due, negate=False)
    if escalated is not None:
        found.add('"escalation_level" > 0' if escalated else '"escalation_level" = 0')
    return found


def _open_and_due_before(found: planned.Where, status: str | None, due: Any, *, negate: bool) -> None:
    """ "Open and due before `due`" (or not). With a status filter the first half is known already,
    and leaving it out lets PostgreSQL use the (status, jurisdiction_id, resolution_due) index:
    an open status leaves "due before", a closed one nothing (or everything, negated)."""
    if status is None:
        condition = planned.in_list('"status"') + ' AND "resolution_due" < ?'
        found.add(f"NOT ({condition})" if negate else condition, planned.list_param(OPEN_VALUES), due)
    elif status in OPEN_VALUES:
        found.add('"resolution_due" >= ?' if negate else '"resolution_due" < ?', due)
    elif not negate:
        found.add("1 = 0")


# What planned reads of the ticket list read, and its orders by name (ORM form).
MODEL = Ticket
__all__ = ["MODEL", "ORDERS", "visible", "where"]
