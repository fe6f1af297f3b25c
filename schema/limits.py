"""Query limits, all from settings: depth, aliases, tokens, and a cost that multiplies by page sizes.

Cost: every field costs 1; a connection's selection costs its page size (`first`, or the default
page size when absent or given by a variable, which validation cannot see) times; a plain list
field's selection costs LIST_ESTIMATE times. A query over the limit is refused before it runs.
At run time, every connection page draws on a per-request row budget (RowBudget): page sizes
given by variables are held there.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
)

from server.settings import settings

LIST_ESTIMATE = 10


def _unwrap(type_: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        if isinstance(type_, GraphQLList):
            is_list = True
        type_ = type_.of_type
    return type_, is_list


class QueryCostRule(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        schema = self.context.schema
        root = {
            "query": schema.query_type,
            "mutation": schema.mutation_type,
            "subscription": schema.subscription_type,
        }[node.operation.value]
        cost = self._cost(node.selection_set, root, depth=0)
        if cost > settings.max_query_cost:
            self.report_error(
                GraphQLError(
                    f"This query would cost {cost:,} (each field 1, times the page size of each connection "
                    f"around it); the limit is {settings.max_query_cost:,}. Ask for smaller pages.",
                    node,
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": settings.max_query_cost},
                )
            )

    def _cost(self, selection_set: SelectionSetNode | None, parent: Any, depth: int) -> int:
        if selection_set is None or depth > 64 or parent is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, depth)
            elif isinstance(selection, InlineFragmentNode):
                cond = selection.type_condition
                target = self.context.schema.get_type(cond.name.value) if cond else parent
                total += self._cost(selection.selection_set, target, depth + 1)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.context.get_fragment(selection.name.value)
                if fragment is not None:
                    target = self.context.schema.get_type(fragment.type_condition.name.value)
                    total += self._cost(fragment.selection_set, target, depth + 1)
            if total > settings.max_query_cost * 10:
                return total  # far over already: stop counting
        return total

    def _field_cost(self, node: FieldNode, parent: Any, depth: int) -> int:
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 1
        field = parent.fields.get(node.name.value)
        if field is None:
            return 1
        type_, is_list = _unwrap(field.type)
        multiplier = 1
        if getattr(type_, "name", "").endswith("Connection"):
            multiplier = settings.default_page_size
            for arg in node.arguments or ():
                if arg.name.value == "first":
                    if isinstance(arg.value, IntValueNode):
                        multiplier = max(int(arg.value.value), 0)
                    elif isinstance(arg.value, VariableNode):
                        # Unknown until run time, where the row budget holds the real sizes.
                        multiplier = settings.default_page_size
        elif is_list and not parent.name.endswith("Connection"):
            # a connection's nodes/edges are its page, already counted by the connection itself
            multiplier = LIST_ESTIMATE
        return 1 + multiplier * self._cost(node.selection_set, type_, depth + 1)


class RowBudget:
    """Rows a request may ask for across all its connection pages."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.limit = limit

    def spend(self, rows: int) -> None:
        self.left -= rows
        if self.left < 0:
            raise GraphQLError(
                f"This request asks for more than {self.limit:,} rows across its pages; "
                "ask for smaller pages.",
                extensions={"code": "QUERY_TOO_COSTLY", "limit": self.limit},
            )


current_budget: ContextVar[RowBudget | None] = ContextVar("lianxin_row_budget", default=None)


# Root fields that scan a large table each time they run: one per request, however many aliases ask.
ONCE_PER_REQUEST = frozenset({"personalDataReport", "erasePersonalData"})


class OncePerRequestRule(ValidationRule):
    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._seen: set[str] = set()

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        name = node.name.value
        if name not in ONCE_PER_REQUEST:
            return
        parent = self.context.get_parent_type()
        schema = self.context.schema
        if parent not in (schema.query_type, schema.mutation_type):
            return
        if name in self._seen:
            self.report_error(
                GraphQLError(
                    f"{name} may be asked once per request; send another request for another phone.",
                    node,
                    extensions={"code": "BAD_USER_INPUT"},
                )
            )
        self._seen.add(name)
