"""Cursor connections with totalCount, over a service's list query (server.paging runs it).

Cursors are opaque. A list whose order is a key (server.paging.keyset_of: tickets newest first,
stations by id, audit trails, …) issues keyset cursors, base64 of the row's key values; the next
page is the rows after that row, whatever was inserted before it. Other orders issue offset
cursors (base64 of "offset:N"). Offset cursors are accepted by every list, since clients keep
them. `first` above the configured maximum is an error, never a silent cut. totalCount runs its
COUNT only when it is selected.
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
    has_previous_page: bool = strawberry.field(
        description="Whether rows come before this page: true whenever `after` was given "
        "(with a keyset cursor, the rows before it are not counted)."
    )
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


class Page:
    """Where one page of a list starts and how its cursors are written: keyset cursors where the
    list's order is a key (`keyset`), offsets elsewhere. `paginate` pages by it, and so do planned
    reads (schema/planner), so that both hand out the same cursors."""

    def __init__(self, limit: int, after: str | None, keyset: paging.Keyset | None) -> None:
        self.limit, self.keyset = limit, keyset
        self.start, self.after = _position(after, keyset)

    @property
    def offset(self) -> int:
        return self.start or 0

    @property
    def has_previous(self) -> bool:
        return bool(self.start) if self.start is not None else self.after is not None

    def cursor(self, row: Any, index: int) -> str:
        """The cursor of the page's `index`-th row."""
        if self.keyset is not None:
            return self.keyset.encode(row)
        return encode_cursor(self.offset + index)


async def paginate(query: ListQuery, first: int | None, after: str | None) -> Connection[Any]:
    limit = page_size(first)
    budget = current_budget.get()
    if budget is not None:
        budget.spend(limit)
    page = Page(limit, after, paging.keyset_of(query))
    if not limit:
        rows = []
    elif page.keyset is not None and page.start is None:
        rows = await paging.rows_after(query, page.keyset, page.after, limit + 1)
    else:
        rows = await paging.rows_from(query, page.offset, limit + 1)
    has_next = len(rows) > limit
    rows = rows[:limit]
    edges = [Edge(cursor=page.cursor(row, i), node=row) for i, row in enumerate(rows)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count_query=query,
    )


def _position(after: str | None, keyset: paging.Keyset | None) -> tuple[int | None, list[Any] | None]:
    """Where the page starts: (offset, None) for an offset cursor, (None, key values) for a keyset
    cursor of this list's order, (None, None) without `after` on a keyset order."""
    if not after:
        return (None, None) if keyset is not None else (0, None)
    if keyset is None or not paging.is_keyset_cursor(after):
        if keyset is None and paging.is_keyset_cursor(after):
            raise client_error(
                "This cursor belongs to another list or order: pass a cursor from this list's "
                "edges or pageInfo, with the same order.",
                field="after",
            )
        return decode_cursor(after) + 1, None
    try:
        return None, keyset.decode(after)
    except paging.BadCursor as refused:
        log.info("refused a keyset cursor: %s", refused)
        raise client_error(str(refused), field="after") from None
