"""Rows by key, many keys in one statement: what the GraphQL layer's DataLoaders call.

Each takes the caller's visibility as a SQL condition (None: the caller may see none of them)
and answers in the order of the keys asked, so that related objects and direct lookups obey the
same rules as lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Max
from tortoise.models import Model

from server.tickets.models import TicketEvent


async def by_id(model: type[Model], visible: Q | None, keys: Sequence[int]) -> list[Any]:
    """Each key's row, or None where there is none the caller may see."""
    if visible is None:
        return [None] * len(keys)
    rows = await model.filter(visible, id__in=list(set(keys)))
    found = {row.pk: row for row in rows}
    return [found.get(key) for key in keys]


async def many_by(
    model: type[Model], key_field: str, visible: Q | None, keys: Sequence[int]
) -> list[list[Any]]:
    """Every visible row whose `key_field` equals each key, in the model's default order."""
    if visible is None:
        return [[] for _ in keys]
    rows = await model.filter(visible, **{f"{key_field}__in": list(set(keys))})
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key_field)].append(row)
    return [grouped.get(key, []) for key in keys]


async def latest_ticket_events(ticket_ids: Sequence[int]) -> list[Any]:
    """Each ticket's most recent event only (a queue shows one line per ticket), in one statement:
    the events whose id is the largest of their ticket's."""
    latest = Subquery(
        TicketEvent.filter(ticket_id__in=list(set(ticket_ids)))
        .annotate(last_id=Max("id"))
        .group_by("ticket_id")
        .values("last_id")
    )
    rows = await TicketEvent.filter(id__in=latest)
    by_ticket = {row.ticket_id: row for row in rows}
    return [by_ticket.get(key) for key in ticket_ids]
