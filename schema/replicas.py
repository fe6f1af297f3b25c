"""Which database an operation reads from (server.replicas decides): a query may run on a read
replica, a mutation runs on the primary and keeps its caller's next reads there for a while."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from server import replicas


class ReadReplicas(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context: Any = execution.context
        caller = getattr(context, "actor", None) or "anonymous"
        operation_type = execution.operation_type
        if operation_type is OperationType.QUERY:
            with replicas.reading_from(await replicas.choose(caller)):
                yield
            return
        yield
        if operation_type is OperationType.MUTATION and caller != "anonymous":
            await replicas.wrote(caller)
