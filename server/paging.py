"""Pages of a list query, for the GraphQL connections: the query runs here, in the domain's
layer, so that the GraphQL layer only passes a service's query through.

Two ways to page:

- **Keyset** ("seek"): when the list's order is a key — NOT NULL columns of fixed width (numbers,
  dates, times) ending in the primary key — the next page is the rows *after the last row seen*,
  `WHERE (registered_at, id) < ($1, $2) ORDER BY registered_at DESC, id DESC LIMIT n`. With an
  index on the key that costs the same on page 2,000 as on page 1, and a row inserted or removed
  before the cursor does not shift the next page.
- **Offset**: every other order (text keys, nullable keys, orders through a relation) keeps
  `OFFSET start LIMIT n`. Text keys are left out on purpose: a cursor carries its key values, and a
  100-character name would not fit the 200 characters an argument may have.

`Keyset` is the one place that knows the key of an order, the condition "after this row" and the
values a cursor carries; a planner that writes its own SQL renders the same condition with
`after_condition`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pypika_tortoise.enums import Order
from pypika_tortoise.terms import Criterion, Field, Tuple
from tortoise import fields
from tortoise.expressions import Q, ResolveContext
from tortoise.query_utils import QueryModifier
from tortoise.queryset import QuerySet

# What a service's list function returns: the rows the caller may see, filtered and ordered.
ListQuery = QuerySet[Any]

# The key types a cursor may carry: fixed width, so that a cursor stays short.
_FIXED_WIDTH = (fields.IntField, fields.BigIntField, fields.SmallIntField, fields.FloatField)
_TIME = (fields.DatetimeField, fields.DateField)
# A keyset cursor is base64 of a short JSON text; longer is not one of ours (and the argument
# bounds of schema/bounds.py refuse more than 200 characters anyway).
MAX_KEYSET_CURSOR_LENGTH = 200
_CURSOR_VERSION = 1
_INT_RANGE = range(-(2**63), 2**63)


class BadCursor(ValueError):
    """A cursor this list did not issue: malformed, tampered with, or from another list or order.
    The message says which, for the client."""


@dataclass(frozen=True)
class SortKey:
    """One column of an order: the column's name and whether it sorts descending."""

    column: str
    descending: bool = False


def after_condition(keys: Sequence[SortKey], values: Sequence[Any], table: Any) -> Criterion:
    """The condition "sorts after the row whose key is `values`" for the order `keys`.

    `table` is the pypika table (or alias) the columns belong to, `values` the database values of
    the key in the same order (as `Keyset.decode` returns them). When every key sorts the same way
    the condition is one row-value comparison, `(a, b) > (x, y)` (or `<` for descending), which
    PostgreSQL and SQLite ≥ 3.15 both evaluate and PostgreSQL turns into an index range on an
    index over (a, b). Mixed directions (`-floor_area, id`) expand to
    `a < x OR (a = x AND b > y)`. No key may be NULL: a NULL compares as neither before nor after,
    and those rows would vanish from the pages (which is why such orders page by offset).
    """
    if len(keys) != len(values) or not keys:
        raise ValueError("one value per key")
    columns = [Field(key.column, table=table) for key in keys]
    if len({key.descending for key in keys}) == 1:
        left, right = Tuple(*columns), Tuple(*values)
        return left < right if keys[0].descending else left > right

    def beyond(i: int) -> Criterion:
        return columns[i] < values[i] if keys[i].descending else columns[i] > values[i]

    condition = beyond(len(keys) - 1)
    for i in reversed(range(len(keys) - 1)):
        condition = beyond(i) | ((columns[i] == values[i]) & condition)
    return condition


class _After(Q):
    """A Tortoise filter holding `after_condition` on the query's own table."""

    __slots__ = ("_keys", "_values")

    def __init__(self, keys: Sequence[SortKey], values: Sequence[Any]) -> None:
        super().__init__()
        self._keys, self._values = tuple(keys), tuple(values)

    def resolve(self, resolve_context: ResolveContext) -> QueryModifier:
        return QueryModifier(where_criterion=after_condition(self._keys, self._values, resolve_context.table))


@dataclass(frozen=True)
class Keyset:
    """The key of one list order: its table, its columns and directions, their field types."""

    table: str
    keys: tuple[SortKey, ...]
    fields: tuple[fields.Field[Any], ...]

    @property
    def signature(self) -> str:
        """Names the list and order a cursor belongs to: "ticket:-registered_at,-id"."""
        return self.table + ":" + ",".join(("-" if k.descending else "") + k.column for k in self.keys)

    def after(self, values: Sequence[Any]) -> Q:
        """A filter for the rows after the row whose key is `values`."""
        return _After(self.keys, values)

    def encode(self, row: Any) -> str:
        """The cursor of a row: base64 of {"v": 1, "o": signature, "k": [key values]}."""
        values = [_json_value(getattr(row, key.column)) for key in self.keys]
        text = json.dumps({"v": _CURSOR_VERSION, "o": self.signature, "k": values}, separators=(",", ":"))
        return base64.b64encode(text.encode()).decode()

    def decode(self, cursor: str) -> list[Any]:
        """The key values inside a cursor `encode` made for this order, as database values.

        Raises BadCursor for anything else: not base64 of our JSON, another version, another
        list or order (the signature differs), or a value of the wrong type or range."""
        body = _keyset_body(cursor)
        if body is None:
            raise BadCursor("Malformed cursor: pass a cursor from this list's edges or pageInfo.")
        if body["o"] != self.signature:
            raise BadCursor(
                "This cursor belongs to another list or order: pass a cursor from this list's edges "
                "or pageInfo, with the same order."
            )
        values = body["k"]
        if len(values) != len(self.keys):
            raise BadCursor("Malformed cursor: pass a cursor from this list's edges or pageInfo.")
        return [_db_value(field, value) for field, value in zip(self.fields, values, strict=True)]


def is_keyset_cursor(cursor: str) -> bool:
    """Whether the cursor has the shape of a keyset cursor (of some list)."""
    return _keyset_body(cursor) is not None


def keyset_of(query: ListQuery) -> Keyset | None:
    """The key of the query's order when its pages can be seeked on it, else None (offsets).

    The order is the query's `order_by`, or the model's default ordering without one. It is a key
    when every column is a NOT NULL number, date or time of the model itself (not through a
    relation) and the last is the primary key, which makes the order total."""
    model = query.model
    orderings = list(query._orderings) or list(model._meta._default_ordering)
    if not orderings or query._annotations:
        return None
    keys, key_fields = [], []
    for name, order in orderings:
        field = model._meta.fields_map.get(name)
        if field is None or field.null or not isinstance(field, _FIXED_WIDTH + _TIME):
            return None
        if field.source_field not in (None, name):
            return None
        keys.append(SortKey(name, Order(order) is Order.desc))
        key_fields.append(field)
    if keys[-1].column != model._meta.pk_attr:
        return None
    return Keyset(model._meta.db_table, tuple(keys), tuple(key_fields))


def _keyset_body(cursor: str) -> dict[str, Any] | None:
    if not isinstance(cursor, str) or len(cursor) > MAX_KEYSET_CURSOR_LENGTH or not cursor.isascii():
        return None
    try:
        body = json.loads(base64.b64decode(cursor, validate=True), parse_constant=_no_constant)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if (
        not isinstance(body, dict)
        or set(body) != {"v", "o", "k"}
        or body["v"] != _CURSOR_VERSION
        or not isinstance(body["o"], str)
        or not isinstance(body["k"], list)
    ):
        return None
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a key value")


def _json_value(value: Any) -> Any:
    if isinstance(value, date):  # datetime too: ISO 8601 keeps the offset and microseconds
        return value.isoformat()
    return value


def _db_value(field: fields.Field[Any], value: Any) -> Any:
    """A cursor's key value as the database value of `field`, or BadCursor."""
    try:
        if isinstance(field, fields.DatetimeField):
            if not isinstance(value, str):
                raise ValueError
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None or not 1900 <= moment.year <= 2200:
                raise ValueError
            return field.to_db_value(moment, field.model)
        if isinstance(field, fields.DateField):
            if not isinstance(value, str):
                raise ValueError
            day = date.fromisoformat(value)
            if not 1900 <= day.year <= 2200:
                raise ValueError
            return day
        if isinstance(field, fields.FloatField):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError
            return float(value)
        if isinstance(value, bool) or not isinstance(value, int) or value not in _INT_RANGE:
            raise ValueError
        return value
    except (ValueError, OverflowError):
        raise BadCursor("Malformed cursor: pass a cursor from this list's edges or pageInfo.") from None


async def rows_from(query: ListQuery, start: int, limit: int) -> list[Any]:
    """At most `limit` rows from offset `start` (the caller asks for one more to learn whether
    another page follows)."""
    return list(await query.offset(start).limit(limit))


async def rows_after(query: ListQuery, keyset: Keyset, values: Sequence[Any] | None, limit: int) -> list[Any]:
    """At most `limit` rows after the row whose key is `values` (from the first row without)."""
    if values is not None:
        query = query.filter(keyset.after(values))
    return list(await query.limit(limit))


async def count(query: ListQuery) -> int:
    return int(await query.count())
