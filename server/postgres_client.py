"""The PostgreSQL client Tortoise uses here: asyncpg's, with pooled connections returned without
asyncpg's reset statement (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`).

That statement is a second round trip after every statement run outside a transaction (Tortoise
takes a pooled connection per statement), about a third of what authenticating a request cost.
Nothing here leaves session state on a pooled connection: no `SET`, no advisory locks, no cursors,
and the ticket broker LISTENs on a connection of its own (server/tickets/events.py). An open
transaction is still rolled back on release (asyncpg does that whatever the reset query is).
Named as the engine of the `default` connection by server.database.tortoise_config.

Connections given back are kept at hand for the next statement (KeptConnections), rather than
going through asyncpg's release and acquire each time.

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


class KeptConnections:
    """asyncpg's pool, with each connection given back kept at hand and handed to the next acquire.

    asyncpg's release and acquire cost about 120 µs of CPU together (a queue, futures, a task for
    the shielded release, its reset bookkeeping): as much as running a small statement on a
    connection one holds. Tortoise takes a connection per statement, so a request's two or three
    statements paid it two or three times. A connection given back goes on a stack (the most
    recently used is taken first, so few stay busy) unless
    - someone is waiting in asyncpg's acquire: it goes back through asyncpg, which hands it on,
      so a full pool never waits on a kept connection;
    - it is closed, in a transaction (asyncpg's release rolls it back), or has run the queries
      after which asyncpg retires a connection.
    A kept connection found closed when taken goes back through asyncpg, which replaces it.
    Closing, terminating or expiring the pool gives every kept connection back first: asyncpg's
    close waits for every connection to come back. Kept connections are idle, but asyncpg counts
    them in use, so its closing of idle connections after a while does not apply to them."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._kept: list[Any] = []
        self._waiting = 0
        self._max_queries = getattr(pool, "_max_queries", 50000)

    async def acquire(self, **kwargs: Any) -> Any:
        while self._kept:
            connection = self._kept.pop()
            if connection._con is None:
                continue  # asyncpg closed it while kept and has its place back already
            if not connection.is_closed():
                return connection
            await self._pool.release(connection)
        self._waiting += 1
        try:
            return await self._pool.acquire(**kwargs)
        finally:
            self._waiting -= 1

    async def release(self, connection: Any, **kwargs: Any) -> None:
        if connection._con is None:
            return  # closed on an error, and given back by asyncpg itself
        if (
            self._waiting
            or kwargs
            or connection.is_closed()
            or connection.is_in_transaction()
            or connection._con._protocol.queries_count >= self._max_queries
        ):
            await self._pool.release(connection, **kwargs)
        else:
            self._kept.append(connection)

    async def _give_back(self) -> None:
        kept, self._kept = self._kept, []
        for connection in kept:
            if connection._con is not None:
                await self._pool.release(connection)

    async def close(self) -> None:
        await self._give_back()
        await self._pool.close()

    def terminate(self) -> None:
        self._kept.clear()  # terminate closes every connection, acquired or not
        self._pool.terminate()

    async def expire_connections(self) -> None:
        await self._give_back()
        await self._pool.expire_connections()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


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
        return MeteredPool(KeptConnections(await super().create_pool(**kwargs)), self.connection_name)

    def _in_transaction(self) -> TransactionContext:
        return TransactionContextPooled(CountingTransaction(self), self._pool_init_lock)


client_class = PostgresClient
