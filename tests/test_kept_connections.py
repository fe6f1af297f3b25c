"""PostgreSQL connections given back are kept for the next statement (server.postgres_client.
KeptConnections): the next acquire takes the same connection, and yet a full pool still hands
connections to whoever waits, a connection left in a transaction is rolled back, a connection the
server closed is replaced, and closing the pool does not wait on the kept ones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from server.database import database_unavailable
from server.postgres_client import KeptConnections, PooledConnection
from tests.conftest import TEST_DB

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(TEST_DB != "postgres", reason="asyncpg's pool: PostgreSQL only"),
]


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[KeptConnections]:
    dsn = database_url.replace("asyncpg://", "postgresql://")
    kept = KeptConnections(
        await asyncpg.create_pool(dsn, min_size=1, max_size=2, connection_class=PooledConnection)
    )
    try:
        yield kept
    finally:
        await asyncio.wait_for(kept.close(), 10)


async def _pid(connection: Any) -> int:
    return int(await connection.fetchval("SELECT pg_backend_pid()"))


async def test_a_connection_given_back_is_the_next_one_taken(pool: KeptConnections) -> None:
    first = await pool.acquire()
    pid = await _pid(first)
    await pool.release(first)
    again = await pool.acquire()
    assert await _pid(again) == pid
    await pool.release(again)


async def test_a_full_pool_hands_connections_to_those_waiting(pool: KeptConnections) -> None:
    async def statement(n: int) -> int:
        connection = await pool.acquire()
        try:
            return int(await connection.fetchval("SELECT $1::int FROM pg_sleep(0.01)", n))
        finally:
            await pool.release(connection)

    # 20 statements on 2 connections: a connection kept while someone waits would hang them
    answers = await asyncio.wait_for(asyncio.gather(*(statement(n) for n in range(20))), 60)
    assert answers == list(range(20))


async def test_a_connection_left_in_a_transaction_is_rolled_back(pool: KeptConnections) -> None:
    connection = await pool.acquire()
    await connection.execute("BEGIN")
    await connection.execute("CREATE TEMPORARY TABLE left_behind (n int)")
    await pool.release(connection)
    connections = [await pool.acquire(), await pool.acquire()]  # whichever comes back
    for taken in connections:
        assert not taken.is_in_transaction()
        assert await taken.fetchval("SELECT to_regclass('pg_temp.left_behind')") is None
    for taken in connections:
        await pool.release(taken)


async def test_a_connection_the_server_closed_is_replaced(pool: KeptConnections, database_url: str) -> None:
    connection = await pool.acquire()
    pid = await _pid(connection)
    await pool.release(connection)
    admin = await asyncpg.connect(database_url.replace("asyncpg://", "postgresql://"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    answered = None
    for _attempt in range(50):  # until the client has seen the connection go
        connection = await pool.acquire()
        try:
            answered = await _pid(connection)
            break
        except Exception as exc:
            # what the server answers 503 for: the client has not seen the connection go yet
            # (asyncpg may first say "another operation is in progress", then see it closed)
            if not database_unavailable(exc):
                raise
            await asyncio.sleep(0.1)
        finally:
            await pool.release(connection)
    assert answered is not None and answered != pid


async def test_closing_the_pool_gives_kept_connections_back(database_url: str) -> None:
    dsn = database_url.replace("asyncpg://", "postgresql://")
    kept = KeptConnections(
        await asyncpg.create_pool(dsn, min_size=2, max_size=2, connection_class=PooledConnection)
    )
    taken = [await kept.acquire(), await kept.acquire()]
    for connection in taken:
        await kept.release(connection)
    await asyncio.wait_for(kept.close(), 10)  # asyncpg's close waits for every connection
    assert all(connection.is_closed() for connection in [c._con for c in taken if c._con is not None])
