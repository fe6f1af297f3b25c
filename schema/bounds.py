"""Bounds on every argument: one check between coercion and the resolver, for every field of the schema.

Each String and ID a client sends — as an argument, inside an input object or a list — is at most
some length and holds no control characters (free text may hold line breaks and tabs); each list
holds at most some items; each Date and DateTime lies in the supported years
(server.validation.EARLIEST_YEAR–LATEST_YEAR). The limit of a value is, in order: the `bounds`
declared in its field's or argument's metadata (`strawberry.field(metadata={"bounds": Bound(…)})`),
the limit of its name in BY_NAME, or the default of its type. A new argument is therefore bounded
the day it is written; a longer limit is a declaration.

A refused value is BAD_USER_INPUT: the mutation's ValidationError where the field returns a union
with one, otherwise a GraphQL error with extensions.code and the problems in extensions.fields.
Nothing runs and nothing is written. One log line (no traceback, no values) records it. Domain
rules (a station name of at most 100 characters, a period of at most five years) stay in the
services; these limits are the ceiling in front of them.

Search strings become LIKE patterns; Tortoise's `icontains` escapes `%`, `_` and `\\` (with
ESCAPE '\\') on both databases, and FILTER keeps the pattern short.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    default_field_resolver,
)

from schema.errors import as_graphql_error, error_member
from server.errors import FieldProblem, ValidationFailed
from server.validation import text_defect, year_defect

log = logging.getLogger("lianxin.graphql")


@dataclass(frozen=True)
class Bound:
    """Limits of one argument or input field: of its text (each item's, for a list) and of a list."""

    max_length: int = 200
    multiline: bool = False
    max_items: int = 100


LINE = Bound(200)  # any String without a declaration: a name, a code, a password
IDENTIFIER = Bound(100)  # any ID: a global ID is about 30 characters
FILTER = Bound(100)  # search and exact-match filter strings: short, so cheap as LIKE patterns
COMMENT = Bound(2_000, multiline=True)
FREE_TEXT = Bound(20_000, multiline=True)  # the longest free text a service accepts (proposal bodies)

# Limits by argument or input-field name, the same wherever the name is used.
BY_NAME: dict[str, Bound] = {
    # filters
    "search": FILTER,
    "actor": FILTER,
    "objectType": FILTER,
    "ticketNumber": FILTER,
    "number": FILTER,
    "prefix": FILTER,
    # single lines longer than the default
    "title": Bound(300),
    "address": Bound(300),
    "source": Bound(300),  # the notice a holiday schedule comes from
    # free text: comments and notes, and the long texts of proposals and tickets
    "comment": COMMENT,
    "note": COMMENT,
    "notes": FREE_TEXT,
    "description": FREE_TEXT,
    "summary": FREE_TEXT,
    "body": FREE_TEXT,
    "plan": FREE_TEXT,
    "opinion": FREE_TEXT,
    "reason": FREE_TEXT,
    # lists
    "tickets": Bound(max_items=200),  # bulkDispatchTickets: the service's own limit
    "days": Bound(max_items=120),  # importWorkCalendar: a year's holidays and make-up days
}

Check = Callable[[Any, str, list[FieldProblem]], None]


def _declared(definition: Any) -> Bound | None:
    metadata = getattr(definition, "metadata", None) or {}
    bound = metadata.get("bounds")
    return bound if isinstance(bound, Bound) else None


def _bound_of(name: str, owner: GraphQLArgument | GraphQLInputField, named_type: Any) -> Bound:
    declared = _declared((owner.extensions or {}).get("strawberry-definition"))
    if declared is not None:
        return declared
    if name in BY_NAME:
        return BY_NAME[name]
    return IDENTIFIER if getattr(named_type, "name", "") == "ID" else LINE


def _named(type_: Any) -> Any:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_


def _checker(type_: Any, bound: Bound, depth: int = 0) -> Check | None:
    """A check of values of `type_`, or None when no value of that type needs one."""
    if isinstance(type_, GraphQLNonNull):
        return _checker(type_.of_type, bound, depth)
    if isinstance(type_, GraphQLList):
        item = _checker(type_.of_type, bound, depth)

        def check_list(value: Any, path: str, problems: list[FieldProblem]) -> None:
            if not isinstance(value, list):
                value = [value]  # GraphQL coerces a single value into a list of one
            if len(value) > bound.max_items:
                problems.append(
                    FieldProblem(
                        path, f"must hold at most {bound.max_items:,} items (got {len(value):,})", "TOO_MANY"
                    )
                )
                return
            if item is not None:
                for index, element in enumerate(value):
                    if element is not None:
                        item(element, f"{path}[{index}]", problems)

        return check_list
    if isinstance(type_, GraphQLInputObjectType):
        if depth > 8:
            return None
        fields = [
            (name, checker)
            for name, field in type_.fields.items()
            if (checker := _checker(field.type, _bound_of(name, field, _named(field.type)), depth + 1))
        ]
        if not fields:
            return None

        def check_input(value: Any, path: str, problems: list[FieldProblem]) -> None:
            if not isinstance(value, dict):
                return
            for name, checker in fields:
                element = value.get(name)
                if element is not None:
                    checker(element, f"{path}.{name}" if path else name, problems)

        return check_input
    if isinstance(type_, GraphQLScalarType) and type_.name in ("String", "ID"):

        def check_text(value: Any, path: str, problems: list[FieldProblem]) -> None:
            if isinstance(value, str) and (
                defect := text_defect(value, max_length=bound.max_length, multiline=bound.multiline)
            ):
                problems.append(FieldProblem(path, defect[1], defect[0]))

        return check_text
    if isinstance(type_, GraphQLScalarType) and type_.name in ("Date", "DateTime"):

        def check_date(value: Any, path: str, problems: list[FieldProblem]) -> None:
            if isinstance(value, date) and (defect := year_defect(value.year)):
                problems.append(FieldProblem(path, defect[1], defect[0]))

        return check_date
    return None


def _arguments_check(field: GraphQLField) -> Check | None:
    checks = [
        (name, checker)
        for name, argument in field.args.items()
        if (checker := _checker(argument.type, _bound_of(name, argument, _named(argument.type))))
    ]
    if not checks:
        return None

    def check(arguments: Any, _path: str, problems: list[FieldProblem]) -> None:
        for name, checker in checks:
            value = arguments.get(name)
            if value is not None:
                # `input` is the whole of a mutation's input: its fields are named as the services name them
                checker(value, "" if name == "input" else name, problems)

    return check


def _returns_validation_error(field: GraphQLField) -> bool:
    type_ = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    return isinstance(type_, GraphQLUnionType) and any(t.name == "ValidationError" for t in type_.types)


def _refuse(where: str, problems: list[FieldProblem]) -> ValidationFailed:
    log.info(
        "refused input to %s: %s",
        where,
        ", ".join(f"{p.field} {p.code}" for p in problems),
        extra={"field": where, "problems": [f"{p.field} {p.code}" for p in problems]},
    )
    return ValidationFailed(problems=problems)


def _bounded(resolve: Callable[..., Any], check: Check, where: str, typed: bool) -> Callable[..., Any]:
    def resolve_within_bounds(source: Any, info: Any, **arguments: Any) -> Any:
        problems: list[FieldProblem] = []
        check(arguments, "", problems)
        if problems:
            refusal = _refuse(where, problems)
            if typed:
                return error_member(refusal)
            raise as_graphql_error(refusal)
        return resolve(source, info, **arguments)

    return resolve_within_bounds


_CHECKS: dict[int, Check | None] = {}


def within_bounds(field: GraphQLField, arguments: dict[str, Any]) -> bool:
    """Whether the arguments pass the check `bound_arguments` puts in front of the field's
    resolver, for code that answers the field without calling it (schema/planner, which then
    leaves a refusal to the resolver)."""
    key = id(field)
    if key not in _CHECKS:
        _CHECKS[key] = _arguments_check(field) if field.args else None
    check = _CHECKS[key]
    if check is None:
        return True
    problems: list[FieldProblem] = []
    check(arguments, "", problems)
    return not problems


def bound_arguments(schema: GraphQLSchema) -> int:
    """Puts the check in front of the resolver of every field that takes arguments; returns how many."""
    count = 0
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if not field.args or (check := _arguments_check(field)) is None:
                continue
            where = f"{type_.name}.{name}"
            field.resolve = _bounded(
                field.resolve or default_field_resolver, check, where, _returns_validation_error(field)
            )
            if field.subscribe is not None:
                field.subscribe = _bounded(field.subscribe, check, where, typed=False)
            count += 1
    return count
