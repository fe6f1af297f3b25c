"""Shared fixtures. The whole suite runs once per database:

    LIANXIN_TEST_DB=sqlite   (default) a fresh SQLite file
    LIANXIN_TEST_DB=postgres a fresh database on LIANXIN_TEST_POSTGRES_URL's server

`make test` runs both when LIANXIN_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

TEST_DB = os.environ.get("LIANXIN_TEST_DB", "sqlite")
_TMP = Path(tempfile.mkdtemp(prefix="lianxin-test-"))
os.environ["LIANXIN_VAR_DIR"] = str(_TMP)
os.environ.setdefault("LIANXIN_MODE", "demo")


def _postgres_admin_url() -> str:
    url = os.environ.get("LIANXIN_TEST_POSTGRES_URL")
    if not url:
        raise pytest.UsageError("LIANXIN_TEST_DB=postgres needs LIANXIN_TEST_POSTGRES_URL")
    return url


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def create_empty_database(label: str) -> str:
    """A new, empty database of the kind under test; returns its URL."""
    if TEST_DB == "postgres":
        import asyncpg

        admin = _postgres_admin_url()
        name = f"lianxin_{label}_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(admin.replace("asyncpg://", "postgresql://"))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return _with_database(admin, name)
    return f"sqlite://{_TMP / f'{label}-{uuid.uuid4().hex[:8]}.sqlite3'}"


async def drop_database(url: str) -> None:
    if TEST_DB != "postgres":
        return
    import asyncpg

    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(_postgres_admin_url().replace("asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """One migrated database with the demo data, shared by the session."""
    from server.database import apply_migrations, open_database
    from server.demo import load_demo

    url = await create_empty_database("suite")
    await apply_migrations(url, quiet=True)
    async with open_database(url):
        await load_demo(progress=lambda _msg: None)
        yield url
    await drop_database(url)


@pytest.fixture(scope="session")
async def app(database_url: str) -> Any:
    from lianxin.app import create_app

    return create_app(manage_database=False)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[Any]:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


DEMO_PASSWORD = "lianxin-demo"
_TOKENS: dict[str, str] = {}


class GraphQLClient:
    """Posts GraphQL as a demo account (default `bureau`); `as_user=None` sends no token."""

    def __init__(self, http: Any) -> None:
        self.http = http

    async def token(self, username: str) -> str:
        if username not in _TOKENS:
            result = await self.raw(
                "mutation($u: String!, $p: String!) { login(username: $u, password: $p) {"
                " __typename ... on LoginSuccess { token } ... on LoginError { message } } }",
                {"u": username, "p": DEMO_PASSWORD},
            )
            login = result["data"]["login"]
            assert login["__typename"] == "LoginSuccess", login
            _TOKENS[username] = login["token"]
        return _TOKENS[username]

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
        )
        assert response.status_code < 500, response.text
        return dict(response.json())

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_user: str | None = "bureau",
        token: str | None = None,
    ) -> dict[str, Any]:
        if token is None and as_user is not None:
            token = await self.token(as_user)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.raw(query, variables, headers)


@pytest.fixture
async def gql(client: Any) -> GraphQLClient:
    return GraphQLClient(client)


class SQLCounter(logging.Handler):
    """Counts statements sent to the database, at the database client's logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(("Created connection", "Closed connection")):
            return
        self.statements.append(message)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextlib.contextmanager
def count_sql() -> Iterator[SQLCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = SQLCounter()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)
