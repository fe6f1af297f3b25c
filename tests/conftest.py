"""Shared fixtures. The whole suite runs once per database:

    LIANXIN_TEST_DB=sqlite   (default) a fresh SQLite file
    LIANXIN_TEST_DB=postgres a fresh database on LIANXIN_TEST_POSTGRES_URL's server

`make test` runs both when LIANXIN_TEST_POSTGRES_URL is set, in one pytest process per core
(pytest-xdist): each process builds its own database, on the server of its own when
LIANXIN_TEST_POSTGRES_URL names several (space-separated; .ci/run starts two). Tests run in random order
(pytest-randomly prints the seed; `-p randomly --randomly-seed=N` repeats an order,
`-p no:randomly` turns it off).

The fixtures' contract:

- `database_url` (session): the URL of the suite's database, migrated, with the demo data.
  **Every test starts from that state**: after a test that wrote to it (in this process, through
  the app, a `lianxin` command or a server it started), the database is put back. Tests that only
  read cost nothing. Tests may pass the URL to subprocesses (`tests.servers.serve`, the CLI).
- Fixtures wider than a function (module, session) must not write to the database: whatever they
  write is undone after the first test that writes. They may start servers on it; a server's
  connections stay open across resets (on PostgreSQL, a session holding a lock the reset needs, a
  transaction left open, is cut, and the server reconnects).
- `suite_database` (session): the SuiteDatabase behind `database_url` (how many resets, the
  demo accounts' tokens); tests rarely need it.
- `app` (session): the ASGI app, in process, on that database. `client` (function): an httpx
  client on it. `gql` (function): a GraphQLClient posting as a demo account (`bureau` by
  default) with a token logged in when the database was built, so asking for one writes nothing.
- `create_empty_database(label)` / `drop_database(url)`: a database of one's own (migration tests).
- `count_sql()`: counts the statements sent to the database within a block.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

TEST_DB = os.environ.get("LIANXIN_TEST_DB", "sqlite")
_TMP = Path(tempfile.mkdtemp(prefix="lianxin-test-"))
os.environ["LIANXIN_VAR_DIR"] = str(_TMP)
os.environ.setdefault("LIANXIN_MODE", "demo")
# Servers the tests start run no scheduled jobs (on SQLite they would by default): a sweep or a
# retention run in the background would change the data under other tests. tests/jobs/ turns it on.
os.environ.setdefault("LIANXIN_RUN_JOBS_IN_SERVER", "false")


def for_this_worker(urls: str) -> str | None:
    """Of several servers' URLs (space- or comma-separated), this process's: pytest-xdist's worker
    gwN takes the Nth, round robin (LIANXIN_TEST_POSTGRES_URL, and its replicas in the same order).
    A server of its own keeps the other process's transactions from looking like this one's writes
    (SuiteDatabase.dirty counts transaction ids, which are the server's, not the database's)."""
    listed = urls.replace(",", " ").split()
    if not listed:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return listed[int(worker.removeprefix("gw") or "0") % len(listed)]


def _postgres_admin_url() -> str:
    url = for_this_worker(os.environ.get("LIANXIN_TEST_POSTGRES_URL", ""))
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


DEMO_PASSWORD = "lianxin-demo"
# Tokens of the demo accounts, by username: logged in when the database was built, so valid in
# every test; a test's own logins are forgotten with its writes.
_TOKENS: dict[str, str] = {}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The catalogs a change of schema writes to (or deletes from): a table, column, index, constraint,
# trigger, function, type, view, sequence, large object. Put back by row, the database would keep it.
_CATALOGS = (
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_index",
    "pg_constraint",
    "pg_trigger",
    "pg_proc",
    "pg_type",
    "pg_rewrite",
    "pg_sequence",
    "pg_namespace",
    "pg_largeobject_metadata",
)


class SuiteDatabase:
    """The session's database and the snapshot it is put back to after every test that wrote.

    SQLite: the snapshot is an in-memory copy; a test wrote when `PRAGMA data_version` moved on a
    connection that only watches (it moves on every commit by any other connection, other
    processes' included); the file is put back with SQLite's online backup, so the connections
    the app and any server hold stay valid.

    PostgreSQL: the snapshot is in memory too: every table's rows (COPY, binary), its row count and
    every sequence's value. A test wrote when PostgreSQL handed out a transaction id since the last
    look (any write needs one: every connection and process counts, plain reads never take one).
    The tables it changed are then the ones holding a row version newer than the last put-back
    (`xmin`: inserted or updated since) or fewer rows than the snapshot (deleted): one statement
    reads that for all tables. In one transaction, with triggers off (`session_replication_role`
    silences the foreign keys' checks; the append-only tables' ENABLE ALWAYS triggers are disabled
    and enabled again within it), those tables are emptied and copied back, every sequence is set
    back and the policy version moved on. The connections the app and any server hold stay open
    (a session that holds a lock the put-back waits for is cut, as a dropped database would cut it).
    A test that changed the schema (a catalog row newer than the put-back, or one fewer) gets the
    database dropped and created again from a template database made with the snapshot.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.resets = 0
        self.reset_seconds = 0.0
        self.created_again = 0
        self.tokens: dict[str, str] = {}
        self._policy_version = 0
        self._watch: Any = None  # SQLite: the watching connection; PostgreSQL: an admin connection
        self._snapshot: Any = None  # SQLite: in-memory copy; PostgreSQL: the template's name
        self._seen: int = 0
        # PostgreSQL: a connection on the database, which puts it back; the rows as COPY gives
        # them and their count, by table; each sequence's (last_value, is_called); the catalogs'
        # row counts; the transaction id that the last put-back (or the build) came before.
        self._restorer: Any = None
        self._rows: dict[str, tuple[bytes, int]] = {}
        self._sequences: dict[str, tuple[int, bool]] = {}
        self._catalog_rows: dict[str, int] = {}
        self._always_triggers: list[tuple[str, str]] = []
        self._put_back_at = 0

    @property
    def _name(self) -> str:
        return self.url.rsplit("/", 1)[1]

    async def build(self) -> None:
        """Migrate, load the demo, log every demo account in (so tests need not), snapshot."""
        from server.auth.demo_accounts import DEMO_ACCOUNTS
        from server.auth.service import login
        from server.authz.engine import current_version
        from server.database import apply_migrations, open_database
        from server.demo import load_demo

        await apply_migrations(self.url, quiet=True)
        async with open_database(self.url):
            await load_demo(progress=lambda _msg: None)
            for username in DEMO_ACCOUNTS:
                self.tokens[username] = (await login(username, DEMO_PASSWORD)).token
            self._policy_version = await current_version()
        if TEST_DB == "postgres":
            import asyncpg

            self._snapshot = f"{self._name}_template"
            self._watch = await asyncpg.connect(_postgres_admin_url().replace("asyncpg://", "postgresql://"))
            await self._watch.execute(f'CREATE DATABASE "{self._snapshot}" TEMPLATE "{self._name}"')
            await self._take_rows()
            self._seen = self._put_back_at = await self._next_transaction_id()
        else:
            import sqlite3

            self._watch = sqlite3.connect(self.url[len("sqlite://") :], isolation_level=None, timeout=30)
            self._snapshot = sqlite3.connect(":memory:")
            self._watch.backup(self._snapshot)
            self._seen = self._data_version()

    async def _take_rows(self) -> None:
        import io

        import asyncpg

        self._restorer = await asyncpg.connect(self.url.replace("asyncpg://", "postgresql://"))
        conn = self._restorer
        for (table,) in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"):
            copied = io.BytesIO()
            await conn.copy_from_table(table, output=copied, format="binary")
            count = await conn.fetchval(f"SELECT count(*) FROM {_quoted(table)}")
            self._rows[table] = (copied.getvalue(), count)
        for (name,) in await conn.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"):
            last_value, is_called = await conn.fetchrow(f"SELECT last_value, is_called FROM {_quoted(name)}")
            self._sequences[name] = (last_value, is_called)
        for catalog in _CATALOGS:
            self._catalog_rows[catalog] = await conn.fetchval(f"SELECT count(*) FROM {catalog}")
        self._always_triggers = [
            (table, trigger)
            for table, trigger in await conn.fetch(
                "SELECT relname, tgname FROM pg_trigger JOIN pg_class ON pg_class.oid = tgrelid"
                " WHERE NOT tgisinternal AND tgenabled = 'A'"
            )
        ]

    def _data_version(self) -> int:
        return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    async def _next_transaction_id(self) -> int:
        # Takes an id itself: the next look expects exactly this one plus one.
        return int(await self._watch.fetchval("SELECT pg_current_xact_id()::text::bigint"))

    async def dirty(self) -> bool:
        if TEST_DB == "postgres":
            now = await self._next_transaction_id()
            wrote, self._seen = now != self._seen + 1, now
            return wrote
        return self._data_version() != self._seen

    @property
    def counts(self) -> tuple[int, float, int]:
        return self.resets, self.reset_seconds, self.created_again

    async def reset(self) -> None:
        started = time.perf_counter()
        await self._reset()
        self.reset_seconds += time.perf_counter() - started

    async def _reset(self) -> None:
        self.resets += 1
        # Each reset moves the policy version on to a number no process has seen: a worker whose
        # enforcer holds a version a test made (then undone by this reset) must not take a later
        # test's change, at the same number, for the one it already has.
        version = self._policy_version + 1000 * self.resets
        if TEST_DB == "postgres":
            changed = await self._changed()
            if changed is None:
                await self._create_again(version)
            else:
                await self._put_rows_back(changed, version)
            self._seen = self._put_back_at = await self._next_transaction_id()
        else:
            self._snapshot.backup(self._watch)
            self._watch.execute("UPDATE policy_state SET version = ? WHERE id = 1", (version,))
            self._seen = self._data_version()  # the backup moves it on the watching connection too
        _TOKENS.clear()
        _TOKENS.update(self.tokens)
        # The app in this process loads the new version now, as it had the old one loaded: the next
        # test's first request costs what any request costs (tests count statements).
        from server.authz.engine import engine
        from server.calendar.service import invalidate

        await engine.reload()
        invalidate()  # the put-back database may hold another year's schedule than the cache

    async def _changed(self) -> list[str] | None:
        """The tables written since the last put-back; None when the schema changed."""
        # age() compares transaction ids modulo 2^32, as PostgreSQL does: a smaller age is newer.
        newer = "coalesce(bool_or(age(xmin) < age($1::text::xid)), false)"
        looks = [
            f"SELECT '' WHERE (SELECT count(*) <> {count} OR {newer} FROM {catalog})"
            for catalog, count in self._catalog_rows.items()
        ] + [
            f"SELECT '{table}' WHERE (SELECT count(*) <> {count} OR {newer} FROM {_quoted(table)})"
            for table, (_, count) in self._rows.items()
        ]
        since = str(self._put_back_at % 2**32)
        found = [name for (name,) in await self._restorer.fetch(" UNION ALL ".join(looks), since)]
        return None if "" in found else found

    async def _put_rows_back(self, tables: list[str], version: int) -> None:
        import io

        import asyncpg

        silenced = [(table, trigger) for table, trigger in self._always_triggers if table in tables]
        for attempt in range(2):
            try:
                async with self._restorer.transaction():
                    # A session of a server that holds a lock on a changed table (a transaction left
                    # open) would hold the put-back up: cut it (below) rather than wait.
                    await self._restorer.execute("SET LOCAL lock_timeout = '2s'")
                    await self._restorer.execute("SET LOCAL session_replication_role = replica")
                    for table, trigger in silenced:
                        await self._restorer.execute(
                            f"ALTER TABLE {_quoted(table)} DISABLE TRIGGER {_quoted(trigger)}"
                        )
                    for table in tables:
                        await self._restorer.execute(f"DELETE FROM {_quoted(table)}")
                        rows, count = self._rows[table]
                        if count:
                            await self._restorer.copy_to_table(
                                table, source=io.BytesIO(rows), format="binary"
                            )
                    for table, trigger in silenced:
                        await self._restorer.execute(
                            f"ALTER TABLE {_quoted(table)} ENABLE ALWAYS TRIGGER {_quoted(trigger)}"
                        )
                    await self._restorer.execute(
                        "SELECT "
                        + ", ".join(
                            f"setval('{_quoted(name)}', {value}, {'true' if called else 'false'})"
                            for name, (value, called) in self._sequences.items()
                        )
                    )
                    await self._restorer.execute("UPDATE policy_state SET version = $1 WHERE id = 1", version)
                return
            except asyncpg.LockNotAvailableError:
                if attempt:
                    raise
                await self._cut_other_sessions()

    @staticmethod
    async def _close_this_process_connections() -> None:
        """The app's and the ticket broker's: they reconnect at their next use."""
        from tortoise import connections

        from server.tickets.events import broker

        await broker.close()
        await connections.get("default").close()

    async def _cut_other_sessions(self) -> None:
        await self._close_this_process_connections()  # this process's own first
        await self._restorer.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    async def _create_again(self, version: int) -> None:
        import asyncpg

        self.created_again += 1
        await self._close_this_process_connections()
        await self._restorer.close()
        await self._watch.execute(f'DROP DATABASE "{self._name}" WITH (FORCE)')
        # FILE_COPY: for a database this small, copying its files beats logging every block
        await self._watch.execute(
            f'CREATE DATABASE "{self._name}" TEMPLATE "{self._snapshot}" STRATEGY FILE_COPY'
        )
        self._restorer = await asyncpg.connect(self.url.replace("asyncpg://", "postgresql://"))
        await self._restorer.execute("UPDATE policy_state SET version = $1 WHERE id = 1", version)

    async def close(self) -> None:
        if TEST_DB == "postgres":
            await self._restorer.close()
            await self._watch.execute(f'DROP DATABASE IF EXISTS "{self._snapshot}"')
            await self._watch.close()
        else:
            self._watch.close()
            self._snapshot.close()


_SUITES: list[SuiteDatabase] = []
# (resets, seconds, how many by creating it again) of each database: this process's, and under
# pytest-xdist its workers'
_RESETS: list[tuple[int, float, int]] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: tell the controller
        workeroutput["lianxin_resets"] = [suite.counts for suite in _SUITES]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _RESETS.extend(getattr(node, "workeroutput", {}).get("lianxin_resets", []))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    # pytest-randomly prints its seed in the header, which -q hides: repeat it at the end.
    seed = getattr(config.option, "randomly_seed", None)
    if seed is not None and config.pluginmanager.has_plugin("randomly"):
        terminalreporter.write_line(f"random order: -p randomly --randomly-seed={seed}")
    for resets, seconds, created in [*_RESETS, *(suite.counts for suite in _SUITES)]:
        again = f" ({created} created again: the schema had changed)" if created else ""
        terminalreporter.write_line(f"{TEST_DB} database put back {resets} times in {seconds:.1f} s{again}")


@pytest.fixture(scope="session")
async def suite_database() -> AsyncIterator[SuiteDatabase]:
    """The session's database (see SuiteDatabase); tests ask for `database_url` instead."""
    from server.database import open_database

    suite = SuiteDatabase(await create_empty_database("suite"))
    await suite.build()
    _SUITES.append(suite)
    _TOKENS.update(suite.tokens)
    try:
        async with open_database(suite.url):
            yield suite
    finally:
        await suite.close()
        await drop_database(suite.url)


@pytest.fixture(scope="session")
async def database_url(suite_database: SuiteDatabase) -> str:
    """The URL of the migrated database with the demo data; every test gets it as the demo left it."""
    return suite_database.url


@pytest.fixture(autouse=True)
async def _fresh_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After a test that used the database and wrote to it, the database is put back."""
    if "database_url" not in request.fixturenames:
        yield
        return
    suite: SuiteDatabase = request.getfixturevalue("suite_database")
    yield
    if await suite.dirty():
        await suite.reset()
    else:
        _TOKENS.clear()
        _TOKENS.update(suite.tokens)


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
