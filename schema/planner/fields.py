"""How a field is read, declared next to it: `strawberry.field(metadata=planned(...))`.

A field without a resolver is a column of its type's `row_model` (its python name); the `id` of a
Node is its primary key. A field with a resolver says one of:

- `Computed(columns)`: its own resolver, called on the row (with the caller's context as `info`),
  computes it from those columns: a label, a share, a masked value, a personal-data read that is
  logged or refused exactly as through the resolvers. `label(column)` is a Computed that depends
  on that column alone (`pure`): computed once per distinct value.
- `ToOne(fk, permission)`: the object whose id is the row's `fk`, joined in the same statement; the
  caller's `permission` scope (by the target's jurisdiction) limits what it sees, and a target it
  may not see is null (or, with `hidden="resolvers"`, left to the resolvers, which refuse it).
- `ToMany(fk, permission)`: the objects whose `fk` is the row's id, one statement for all rows.
- `NotPlanned(reason)`: a query selecting it runs through the resolvers.

tests/planner/test_declarations.py fails when a field of a type on a hot path says nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PLAN = "lianxin.plan"

# `permission` values besides a policy object: reference data is all or nothing.
REFERENCE = "reference"


@dataclass(frozen=True)
class Computed:
    columns: tuple[str, ...]
    # A pure function of those columns and nothing else (no caller, no clock): a label. A plan
    # computes it once per distinct value and remembers it.
    pure: bool = False


@dataclass(frozen=True)
class Relation:
    """What a relation reads: the key joining it, the permission whose scope limits the targets the
    caller sees (None: all), and, for a type that is not a row type, the model read, how a row
    becomes the object served (called with the request's info, the parent row and the row) and the
    columns of the parent and of the row it uses."""

    fk: str | None
    permission: str | None = None
    model: Any = None
    transform: Callable[[Any, Any, Any], Any] | None = None
    parent_columns: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToOne(Relation):
    # "null": a target the caller may not see reads as none; "resolvers": the resolvers answer.
    hidden: str = "null"
    # The latest (largest id) row of `model` whose `latest_of` is the parent's id, instead of `fk`.
    latest_of: str | None = None


@dataclass(frozen=True)
class ToMany(Relation):
    fk: str
    # When the caller's permission scope is empty: "empty" lists, or "resolvers" (they refuse it).
    nowhere: str = "empty"


@dataclass(frozen=True)
class NotPlanned:
    reason: str


Declaration = Computed | ToOne | ToMany | NotPlanned


def planned(declaration: Declaration | str, *columns: str) -> Mapping[str, Any]:
    """Field metadata: `planned("status")` is `Computed(("status",))`."""
    if isinstance(declaration, str):
        declaration = Computed((declaration, *columns))
    return {PLAN: declaration}


def label(column: str) -> Mapping[str, Any]:
    """Field metadata of a label: its resolver is a pure function of one column (the Chinese label
    of an enum value), so a plan computes it once per distinct value."""
    return {PLAN: Computed((column,), pure=True)}
