"""Cursor connections with totalCount, over a service's list query (server.paging runs it).

Cursors are opaque (base64 of an offset). `first` above the configured maximum is an
error, never a silent cut. totalCount runs its COUNT only when it is selected.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from typing import Any, Generic, TypeVar

import strawberry

from schema.errors import client_error
from schema.limits import current_budget
from server import paging
from server.paging import ListQuery
from server.settings import settings

T = TypeVar("T")
log = logging.getLogger("lianxin.graphql")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _count_query: strawberry.Private[Any]

    @strawberry.field(description="All rows matching the filter that you may see, across all pages.")
    async def total_count(self) -> int:
        return await paging.count(self._count_query)

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


# Cursors are ours: "offset:N" in base64, N without sign or leading zeros. Anything else, and any
# offset past what a table could hold, is refused before it reaches the database.
MAX_CURSOR_OFFSET = 10**12
_CURSOR = re.compile(r"offset:(0|[1-9][0-9]{0,12})")
_MAX_CURSOR_LENGTH = 32


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset inside a cursor this server issued; anything else is BAD_USER_INPUT."""
    match = None
    if isinstance(cursor, str) and len(cursor) <= _MAX_CURSOR_LENGTH and cursor.isascii():
        try:
            match = _CURSOR.fullmatch(base64.b64decode(cursor, validate=True).decode("ascii"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            match = None
    if match is None or int(match.group(1)) >= MAX_CURSOR_OFFSET:
        log.info(
            "refused a malformed cursor of %d characters", len(cursor) if isinstance(cursor, str) else -1
        )
        raise client_error(
            "Malformed cursor: pass a cursor from this list's edges or pageInfo.", field="after"
        )
    return int(match.group(1))


def page_size(first: int | None) -> int:
    if first is None:
        return settings.default_page_size
    if first < 0:
        raise client_error("`first` must not be negative.")
    if first > settings.max_page_size:
        raise client_error(
            f"`first` may be at most {settings.max_page_size}; ask for further pages with `after`.",
            max_page_size=settings.max_page_size,
        )
    return first


async def paginate(query: ListQuery, first: int | None, after: str | None) -> Connection[Any]:
    limit = page_size(first)
    budget = current_budget.get()
    if budget is not None:
        budget.spend(limit)
    start = decode_cursor(after) + 1 if after else 0
    rows = await paging.rows_from(query, start, limit + 1) if limit else []
    has_next = len(rows) > limit
    rows = rows[:limit]
    edges = [Edge(cursor=encode_cursor(start + i), node=row) for i, row in enumerate(rows)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count_query=query,
    )
