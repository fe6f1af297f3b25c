"""Pages of a list query, for the GraphQL connections: the query runs here, in the domain's
layer, so that the GraphQL layer only passes a service's query through."""

from __future__ import annotations

from typing import Any

from tortoise.queryset import QuerySet

# What a service's list function returns: the rows the caller may see, filtered and ordered.
ListQuery = QuerySet[Any]


async def rows_from(query: ListQuery, start: int, limit: int) -> list[Any]:
    """At most `limit` rows from offset `start` (the caller asks for one more to learn whether
    another page follows)."""
    return list(await query.offset(start).limit(limit))


async def count(query: ListQuery) -> int:
    return int(await query.count())
