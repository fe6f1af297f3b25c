"""Planned reads: fixed-text SQL statements returning plain rows, for the GraphQL planner
(schema/planner), which decides what to read; this module owns how it is read.

- Names come from the Tortoise models (`table`, `column`), so a renamed column breaks here loudly.
- A caller's scope is one condition with ONE array parameter (`= ANY($n)` on PostgreSQL,
  `IN (SELECT value FROM json_each(?))` on SQLite): the statement's text depends on the shape of
  the request, never on how many jurisdictions the caller holds, so PostgreSQL reuses the prepared
  statement (asyncpg keeps one per text per connection).
- Statements are written with `?` markers, put in the dialect's form once per text (`fetch`).
- Values are decoded as the ORM decodes them (the model field's `to_python_value`), so the
  planned and the ORM path read the same Python values from the same rows.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from tortoise import connections, fields, timezone
from tortoise.models import Model

from server.authz.authorizer import Scope

_MARKER = re.compile(r"\?")


def dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


def table(model: type[Model]) -> str:
    return str(model._meta.db_table)


def column(model: type[Model], field: str) -> str:
    """The database column of a model field (a foreign key's `<name>_id` included)."""
    found = model._meta.fields_map[field]
    return str(found.source_field or field)


def remembered(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`convert` for values of which there are few (enum values), each converted once."""
    results: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        try:
            return results[value]
        except KeyError:
            results[value] = result = convert(value)
            return result

    return converted


def decoder(model: type[Model], field: str) -> Callable[[Any], Any]:
    """How the ORM turns the column's value into the attribute's: enum members, aware datetimes
    in the city's time zone, dates, booleans from SQLite's integers. The ORM's own conversion,
    with the common cases answered without it (it reads the environment for every datetime):
    a value already of the field's type, an enum value seen before, an aware datetime."""
    found = model._meta.fields_map[field]
    convert: Callable[[Any], Any] = found.to_python_value
    if isinstance(found, fields.data.CharEnumFieldInstance):
        return remembered(convert)
    if isinstance(found, fields.DatetimeField):
        if not timezone.get_use_tz():
            return convert
        zone = timezone.get_default_timezone()

        def moment(value: Any) -> Any:
            if type(value) is datetime and value.tzinfo is not None:
                return value.astimezone(zone)
            return convert(value)

        return moment
    if type(found).to_python_value is fields.Field.to_python_value:
        kind = found.field_type

        def plain(value: Any) -> Any:
            return value if value is None or type(value) is kind else convert(value)

        return plain
    return convert


def passes_through(model: type[Model], field: str) -> bool:
    """Whether the driver already returns the attribute's value itself, so that `decoder` would
    return its argument: plain numbers, text and booleans on PostgreSQL (SQLite returns integers
    for floats and booleans)."""
    found = model._meta.fields_map[field]
    return (
        dialect() == "postgres"
        and type(found).to_python_value is fields.Field.to_python_value
        and found.field_type in (int, str, float, bool)
    )


def has_field(model: type[Model], field: str) -> bool:
    return field in model._meta.fields_map


def in_scope(column_sql: str, scope: Scope) -> tuple[str | None, list[Any]]:
    """The condition "column lies in the scope" with its one parameter; (None, []) when the scope
    is everywhere (no condition at all), and a false condition when it is nowhere."""
    if scope.everywhere:
        return None, []
    if not scope.ids:
        return "1 = 0", []
    return in_list(column_sql), [list_param(sorted(scope.ids))]


def in_list(column_sql: str) -> str:
    """`column IN (the one array parameter)`, in the dialect's words, with a `?` marker."""
    if dialect() == "postgres":
        return f"{column_sql} = ANY(?)"
    return f"{column_sql} IN (SELECT value FROM json_each(?))"


def list_param(values: Sequence[Any]) -> Any:
    """The value of an `in_list` parameter: an array on PostgreSQL, JSON text for SQLite."""
    return list(values) if dialect() == "postgres" else json.dumps(list(values))


@functools.lru_cache(maxsize=1024)
def _compiled(kind: str, text: str) -> str:
    """`text` with its `?` markers as the dialect writes parameters, once per text: the texts are
    those of the cached plans, each rendered again per request."""
    if kind != "postgres":
        return text
    counter = iter(range(1, 10_000))
    return _MARKER.sub(lambda _m: f"${next(counter)}", text)


async def fetch(text: str, params: Sequence[Any]) -> Sequence[Sequence[Any]]:
    """Run one read statement (written with `?` markers) on the default connection; rows as
    sequences of column values."""
    _count, rows = await connections.get("default").execute_query(_compiled(dialect(), text), list(params))
    return rows


# What to read: a tree of tables joined to-one, rendered as one statement ----------------------


class Join:
    """A to-one relation read in the parent's statement: the target row whose id is the parent's
    `fk`, or (`latest_of`) the target row with the largest id among those whose `latest_of` field
    is the parent's id (a ticket's latest event). `permission` names the scope (by the caller's
    `Scopes`) that limits the targets the caller may see by their jurisdiction; None: all."""

    __slots__ = ("fk", "latest_of", "permission", "read")

    def __init__(
        self, fk: str | None, read: Read, permission: str | None = None, latest_of: str | None = None
    ) -> None:
        self.fk, self.read, self.permission, self.latest_of = fk, read, permission, latest_of


class Read:
    """Fields of one model (its id first), and the to-one relations read with it. Its statements'
    texts are remembered by their shape (`texts`): a Read belongs to a cached plan."""

    __slots__ = ("fields", "joins", "model", "texts")

    def __init__(self, model: type[Model], fields: Sequence[str], joins: Sequence[Join] = ()) -> None:
        self.model = model
        self.fields = ["id", *(f for f in dict.fromkeys(fields) if f != "id")]
        self.joins = list(joins)
        self.texts: dict[tuple[Any, ...], str] = {}

    def width(self) -> int:
        """Columns this read adds to a row, its joins' included."""
        return len(self.fields) + sum(join.read.width() for join in self.joins)


class Rendered:
    __slots__ = ("columns", "joins", "params")

    def __init__(self) -> None:
        self.columns: list[str] = []
        self.joins: list[str] = []
        self.params: list[Any] = []


# The caller's scope for a permission name (a Join's `permission`).
Scopes = Callable[[str], Scope]

_TEXTS_PER_READ = 64

# How a join's scope shapes the text: no condition, a false one, or the one array parameter.
_ANYWHERE, _NOWHERE, _AMONG = range(3)


def _scoped(read: Read, scopes: Scopes, shapes: list[int], params: list[Any]) -> None:
    """The shape of each join's scope condition and the parameters they take, in the order the
    text is written (`_render`): what a statement's text depends on besides the plan."""
    for join in read.joins:
        if join.permission:
            scope = scopes(join.permission)
            if scope.everywhere:
                shapes.append(_ANYWHERE)
            elif not scope.ids:
                shapes.append(_NOWHERE)
            else:
                shapes.append(_AMONG)
                params.append(list_param(sorted(scope.ids)))
        else:
            shapes.append(_ANYWHERE)
        _scoped(join.read, scopes, shapes, params)


def _render(read: Read, alias: str, out: Rendered, shapes: Iterator[int]) -> None:
    out.columns.extend(f'{alias}."{column(read.model, f)}"' for f in read.fields)
    for index, join in enumerate(read.joins):
        target = join.read.model
        child = f"{alias}_{index}"
        if join.latest_of is not None:
            key = column(target, join.latest_of)
            on = (
                f'{child}."id" = (SELECT max(l."id") FROM "{table(target)}" l WHERE l."{key}" = {alias}."id")'
            )
        elif join.fk is not None:
            on = f'{child}."id" = {alias}."{column(read.model, join.fk)}"'
        else:
            raise ValueError("a join needs a foreign key or latest_of")
        shape = next(shapes)
        if shape == _NOWHERE:
            on = f"{on} AND 1 = 0"
        elif shape == _AMONG:
            on = f"{on} AND " + in_list(child + '."jurisdiction_id"')
        out.joins.append(f'LEFT JOIN "{table(target)}" {child} ON {on}')
        _render(join.read, child, out, shapes)


def _statement(
    read: Read, scopes: Scopes, key: tuple[Any, ...], write: Callable[[Rendered], str]
) -> tuple[str, Rendered]:
    """The statement's text (written by `write` once per shape of the caller's scopes) and its
    joins' parameters for this caller."""
    shapes: list[int] = []
    out = Rendered()
    _scoped(read, scopes, shapes, out.params)
    full_key = (*key, dialect(), *shapes)
    text = read.texts.get(full_key)
    if text is None:
        _render(read, "r", out, iter(shapes))
        text = write(out)
        if len(read.texts) >= _TEXTS_PER_READ:  # filters set in ever new combinations
            read.texts.clear()
        read.texts[full_key] = text
    return text, out


def _order_by(model: type[Model], order: Sequence[tuple[str, bool]], alias: str = "") -> str:
    """ORDER BY's list for (field, descending) pairs, on `alias` when given."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{column(model, n)}"{" DESC" if d else ""}' for n, d in order)


def inner_columns(read: Read, extra: Sequence[str] = ()) -> str:
    """The root's own columns for a paged subquery: what the outer statement reads of it."""
    fields = dict.fromkeys([*read.fields, *(j.fk for j in read.joins if j.fk), *extra])
    return ", ".join(f'"{column(read.model, f)}"' for f in fields)


def page_statement(
    read: Read, scopes: Scopes, where: str | None, order: Sequence[tuple[str, bool]], *, total: bool
) -> tuple[str, Rendered]:
    """One page of `read.model`'s rows: WHERE, ORDER BY and LIMIT ? OFFSET ? in a subquery, its
    to-one relations joined outside it (the join never sees more than the page). With `total`, the
    last column is the count of all rows matching (a window over the rows before LIMIT).
    Parameters: the where's, then limit and offset, then the joins' (the text's order)."""

    def write(out: Rendered) -> str:
        order_fields = [name for name, _desc in order]
        counted = ", count(*) OVER () AS _total" if total else ""
        select = ", ".join([*out.columns, *(["r._total"] if total else [])])
        inner_order, outer_order = _order_by(read.model, order), _order_by(read.model, order, "r")
        return (
            f"SELECT {select} FROM (SELECT {inner_columns(read, order_fields)}{counted} "
            f'FROM "{table(read.model)}"{f" WHERE {where}" if where else ""} ORDER BY {inner_order} '
            f"LIMIT ? OFFSET ?) r {' '.join(out.joins)} ORDER BY {outer_order}"
        )

    return _statement(read, scopes, ("page", where, tuple(order), total), write)


def rows_statement(
    read: Read, scopes: Scopes, where: str, order: Sequence[tuple[str, bool]] = ()
) -> tuple[str, Rendered]:
    """Rows of `read.model` matching `where` (written on alias r), to-one relations joined.
    Parameters: the joins', then the where's."""

    def write(out: Rendered) -> str:
        ordering = _order_by(read.model, order, "r")
        return (
            f'SELECT {", ".join(out.columns)} FROM "{table(read.model)}" r {" ".join(out.joins)} '
            f"WHERE {where}{f' ORDER BY {ordering}' if ordering else ''}"
        )

    return _statement(read, scopes, ("rows", where, tuple(order)), write)


def encode(model: type[Model], field: str, value: Any) -> Any:
    """A parameter compared with a model field, as the ORM would bind it (SQLite keeps datetimes
    as text in the ORM's format)."""
    return model._meta.fields_map[field].to_db_value(value, model)


def ordering(spec: Sequence[Any]) -> list[tuple[str, bool]]:
    """An ORM ordering ("-registered_at", "-id"), or a model's (field, Order) pairs, as
    (field, descending) pairs."""
    pairs = []
    for item in spec:
        if isinstance(item, str):
            pairs.append((item.lstrip("-"), item.startswith("-")))
        else:
            name, direction = item
            pairs.append((name, str(getattr(direction, "value", direction)).upper() == "DESC"))
    return pairs


class Where:
    """AND of conditions on alias r, with their parameters in the text's order."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: list[Any] = []

    def add(self, condition: str | None, *params: Any) -> None:
        if condition is not None:
            self.parts.append(condition)
            self.params.extend(params)

    def among(self, column_sql: str, values: Sequence[Any]) -> None:
        """The column holds one of `values` (one array parameter)."""
        self.add(in_list(column_sql), list_param(values))

    def equal(self, model: type[Model], field: str, value: Any) -> None:
        self.add(f'"{column(model, field)}" = ?', encode(model, field, value))

    def sql(self) -> str | None:
        return " AND ".join(f"({p})" for p in self.parts) if self.parts else None


_KEYSETS: dict[tuple[Any, tuple[str, ...]], Any] = {}


def keyset_for(model: type[Model], order: tuple[str, ...]) -> Any:
    """The `server.paging.Keyset` of a list's order (None where it pages by offset), as
    `schema.pagination.paginate` finds it for the same list: once per order."""
    from server.paging import keyset_of

    key = (model, order)
    if key not in _KEYSETS:
        _KEYSETS[key] = keyset_of(model.all().order_by(*order))
    return _KEYSETS[key]


def after_keys(model: type[Model], keys: Sequence[Any], values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`server.paging.after_condition` in planned SQL: rows sorting after the row whose key is
    `values` (database values, as `Keyset.decode` gives them), for the order `keys` (SortKeys)."""
    columns = [f'"{column(model, key.column)}"' for key in keys]
    if len({key.descending for key in keys}) == 1:
        sign = "<" if keys[0].descending else ">"
        marks = ", ".join("?" for _ in keys)
        return f"({', '.join(columns)}) {sign} ({marks})", list(values)

    def beyond(i: int) -> str:
        return f"{columns[i]} {'<' if keys[i].descending else '>'} ?"

    text, params = beyond(len(keys) - 1), [values[-1]]
    for i in reversed(range(len(keys) - 1)):
        text = f"{beyond(i)} OR ({columns[i]} = ? AND ({text}))"
        params = [values[i], values[i], *params]
    return text, params
