"""The PostgreSQL client Tortoise uses here: asyncpg's, with pooled connections returned without
asyncpg's reset statement (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`).

That statement is a second round trip after every statement run outside a transaction (Tortoise
takes a pooled connection per statement), about a third of what authenticating a request cost.
Nothing here leaves session state on a pooled connection: no `SET`, no advisory locks, no cursors,
and the ticket broker LISTENs on a connection of its own (server/tickets/events.py). An open
transaction is still rolled back on release (asyncpg does that whatever the reset query is).
Named as the engine of the `default` connection by server.database.tortoise_config.

Its pool is metered (server.metrics): the wait for a connection and the connections in use.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from server.metrics import MeteredPool


class PooledConnection(asyncpg.connection.Connection):
    def get_reset_query(self) -> str:
        return ""


class PostgresClient(AsyncpgDBClient):
    connection_class = PooledConnection

    async def create_pool(self, **kwargs: Any) -> Any:
        return MeteredPool(await super().create_pool(**kwargs), self.connection_name)


client_class = PostgresClient
