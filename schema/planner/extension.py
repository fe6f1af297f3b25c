"""The planner inside strawberry's execution: after parsing and validation (cached, every limit
applied), a query operation whose plan answers sets the result, and graphql-core's per-field
execution does not run; otherwise (a plan miss) the resolvers answer as before. Errors of either
path go through the same masking and the same HTTP status rules."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from graphql import ExecutionResult, GraphQLError, is_non_null_type
from graphql.execution.values import get_variable_values

from schema.limits import current_budget
from schema.planner.plan import HITS, Compiler, Decline, Run, directive_variables, miss, operation_of
from schema.planner.roots import compile_root
from server.database import database_unavailable
from server.settings import settings

log = logging.getLogger("lianxin.planner")

CACHE_SIZE = 256


class Plan:
    """A compiled operation: its root fields in the order of the response."""

    def __init__(self, roots: list[tuple[str, Any]]) -> None:
        self.roots = roots


# (document text, operation name, the @skip/@include variables' values) → Plan, or why not.
_plans: OrderedDict[tuple[Any, ...], Plan | str] = OrderedDict()
_directive_variables: dict[tuple[str, str | None], tuple[str, ...]] = {}


def _compile(schema: Any, document: Any, operation_name: str | None, variables: Any) -> Plan:
    operation = operation_of(document, operation_name)
    compiler = Compiler(schema, document, variables)
    query_type = compiler.schema.query_type
    if query_type is None:
        raise Decline("no query type")
    roots: list[tuple[str, Any]] = []
    for key, nodes in compiler.collect(query_type, [operation.selection_set]).items():
        name = nodes[0].name.value
        roots.append((key, compile_root(compiler, query_type.fields[name], name, nodes)))
    if not roots:
        raise Decline("no fields")
    return Plan(roots)


def plan_for(schema: Any, document: Any, query: str, operation_name: str | None, variables: Any) -> Plan:
    shape_key = (query, operation_name)
    names = _directive_variables.get(shape_key)
    if names is None:
        names = _directive_variables[shape_key] = directive_variables(document)
        if len(_directive_variables) > CACHE_SIZE * 4:
            _directive_variables.clear()
    key = (query, operation_name, tuple(variables.coerced.get(n) for n in names))
    found = _plans.get(key)
    if found is None:
        try:
            found = _compile(schema, document, operation_name, variables)
        except Decline as exc:
            found = str(exc)
        _plans[key] = found
        if len(_plans) > CACHE_SIZE:
            _plans.popitem(last=False)
    else:
        _plans.move_to_end(key)
    if isinstance(found, str):
        raise Decline(found)
    return found


async def answer(execution: Any) -> ExecutionResult | None:
    """The planned result of this operation, or None to leave it to the resolvers."""
    document = execution.graphql_document
    context = execution.context
    if document is None or getattr(context, "authz", None) is None or context.live is not None:
        return None
    operation = getattr(execution, "operation_type", None)
    if operation is not None and getattr(operation, "value", operation) != "query":
        return None  # mutations and subscriptions are never planned
    schema = execution.schema
    budget = current_budget.get()
    budget_left = budget.left if budget is not None else None
    reads_before = len(context.personal_reads)
    roots: list[tuple[str, Any]] = []
    reading: tuple[str, Any] | None = None  # the root field being read
    try:
        variables = get_variable_values(
            schema._schema,
            operation_of(document, execution.operation_name).variable_definitions or (),
            execution.variables or {},
        )
        if isinstance(variables, list):
            raise Decline("variables the resolvers refuse")
        plan = plan_for(schema, document, execution.query or "", execution.operation_name, variables)
        run = Run(context)
        data = {}
        roots = plan.roots
        for key, root in roots:
            reading = (key, root)
            data[key] = await root.run(run, variables, key)
    except Decline as exc:
        miss(str(exc))
    except Exception as exc:
        if reading is not None and database_unavailable(exc):
            # The resolvers would ask the same database again and wait as long (a statement
            # timeout, twice): the answer is the one they would give, an error at the root field.
            del context.personal_reads[reads_before:]  # nothing was answered
            return _unavailable(roots, reading, exc)
        miss(f"{type(exc).__name__} while planning")
        log.debug("planner: %r", exc, exc_info=True)
    else:
        HITS[execution.operation_name or "-"] += 1
        return ExecutionResult(data=data, errors=run.errors or None)
    if budget is not None and budget_left is not None:
        budget.left = budget_left  # the resolvers spend it again
    del context.personal_reads[reads_before:]  # and log their reads themselves
    return None


def _unavailable(roots: list[tuple[str, Any]], reading: tuple[str, Any], exc: Exception) -> ExecutionResult:
    """The database went away while `reading` read: its field's error (masked, and answered with
    HTTP 503, as a resolver's would be), null in its place, and null for the whole answer when the
    field may not be null; the other root fields are not read."""
    key, root = reading
    error = GraphQLError(str(exc), nodes=[root.field_node], path=[key], original_error=exc)
    if any(is_non_null_type(each.gfield.type) for _key, each in roots):
        return ExecutionResult(data=None, errors=[error])
    return ExecutionResult(data=dict.fromkeys(key for key, _root in roots), errors=[error])


def enabled() -> bool:
    """Whether plans run (LIANXIN_PLANNER); the differential tests turn it off to compare."""
    return settings.planner


async def plan_into(execution: Any) -> None:
    """Before graphql-core executes (schema.schema.OperationSteps): the planned result, when
    there is one, becomes the execution's result, and graphql-core does not run."""
    if enabled() and execution.result is None:
        result = await answer(execution)
        if result is not None:
            execution.result = result
