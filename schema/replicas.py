"""Which database an operation reads from (server.replicas decides): a query may run on a read
replica, a mutation runs on the primary and keeps its caller's next reads there for a while.
schema.schema.OperationSteps runs a query's execution inside `reading_for` and calls `executed`
after any other operation."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from strawberry.types.graphql import OperationType

from server import replicas


def _caller(execution: Any) -> str:
    return getattr(execution.context, "actor", None) or "anonymous"


async def reading_for(execution: Any) -> AbstractContextManager[None]:
    """Where a query reads: the replica chosen for its caller, for the whole execution."""
    return replicas.reading_from(await replicas.choose(_caller(execution)))


async def executed(execution: Any) -> None:
    """After a mutation: its caller's next reads stay on the primary for a while."""
    caller = _caller(execution)
    if execution.operation_type is OperationType.MUTATION and caller != "anonymous":
        await replicas.wrote(caller)
