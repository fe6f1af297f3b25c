"""The PostgreSQL client Tortoise uses here: asyncpg's, with pooled connections returned without
asyncpg's reset statement (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`).

That statement is a second round trip after every statement run outside a transaction (Tortoise
takes a pooled connection per statement), about a third of what authenticating a request cost.
Nothing here leaves session state on a pooled connection: no `SET`, no advisory locks, no cursors,
and the ticket broker LISTENs on a connection of its own (server/tickets/events.py). An open
transaction is still rolled back on release (asyncpg does that whatever the reset query is).
Named as the engine of the `default` connection by server.database.tortoise_config.

Its pool is metered (server.metrics): the wait for a connection and the connections in use; and
each statement is counted for the request it serves (lianxin_request_statements).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    NestedTransactionContext,
    TransactionContext,
    TransactionContextPooled,
)

from server.metrics import MeteredPool, count_statement


class PooledConnection(asyncpg.connection.Connection):
    def get_reset_query(self) -> str:
        return ""


class _CountingStatements:
    """Each statement counted for the request it serves, in and outside of transactions."""

    async def execute_insert(self, query: str, values: list[Any]) -> Any:
        count_statement()
        return await super().execute_insert(query, values)  # type: ignore[misc]

    async def execute_many(self, query: str, values: list[Any]) -> None:
        count_statement()
        await super().execute_many(query, values)  # type: ignore[misc]

    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        count_statement()
        return await super().execute_query(query, values)  # type: ignore[misc]

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> Any:
        count_statement()
        return await super().execute_query_dict(query, values)  # type: ignore[misc]

    async def execute_script(self, query: str) -> None:
        count_statement()
        await super().execute_script(query)  # type: ignore[misc]


class CountingTransaction(_CountingStatements, TransactionWrapper):
    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(CountingTransaction(self))


class PostgresClient(_CountingStatements, AsyncpgDBClient):
    connection_class = PooledConnection

    async def create_pool(self, **kwargs: Any) -> Any:
        return MeteredPool(await super().create_pool(**kwargs), self.connection_name)

    def _in_transaction(self) -> TransactionContext:
        return TransactionContextPooled(CountingTransaction(self), self._pool_init_lock)


client_class = PostgresClient
