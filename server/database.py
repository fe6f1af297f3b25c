"""The database: Tortoise configuration (one app, every domain's models, native migrations),
opening and closing it, applying migrations, checking for model drift, and telling an unreachable
database from a failing statement."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise
from tortoise.migrations.api import migrate as migrate_api

import server.logs  # noqa: F401 - withholds SQL parameters from the logs wherever the database is used
from server.clock import CITY_TZ
from server.settings import settings

MODEL_MODULES = [
    "server.geo.models",
    "server.staff.models",
    "server.stations.models",
    "server.proposals.models",
    "server.tickets.models",
    "server.audit.models",
    "server.auth.models",
    "server.authz.models",
    "server.stats.models",
    "server.calendar.models",
    "server.escalation.models",
    "server.jobs.models",
    "server.attachments.models",
    "server.notifications.models",
    "server.replicas.models",
]


def _connection_defaults(*, serving: bool) -> dict[str, str]:
    """When PostgreSQL is gone, a request must fail in well under a second, not hang: a stopped
    server refuses connections at once, and the connect timeout bounds the rest (an unreachable
    host, a hung server). While serving requests every statement is bounded too (the slowest report
    takes well under a second); migrations and admin commands are not, whose index builds may
    rightly take minutes. The pool's size is per process. A database URL that names a parameter
    keeps its own value."""
    defaults = {
        "timeout": str(settings.database_connect_timeout_seconds),
        "minsize": str(settings.database_pool_min),
        "maxsize": str(settings.database_pool_max),
    }
    if serving:
        defaults["command_timeout"] = str(settings.database_statement_timeout_seconds)
    return defaults


def _tortoise_url(url: str, *, serving: bool = False) -> str:
    # asyncpg is the production driver; accept the usual postgres:// spellings.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "asyncpg://" + url[len(prefix) :]
    if not url.startswith("asyncpg://"):
        return url
    parts = urlsplit(url)
    params = {**_connection_defaults(serving=serving), **dict(parse_qsl(parts.query, keep_blank_values=True))}
    return urlunsplit(parts._replace(query=urlencode(params)))


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether an exception (or one it was raised from) says the database cannot be reached: refused
    or dropped connections, a server shutting down or starting up, a timed-out connect or statement.
    Errors in the statements themselves (syntax, constraints) are not: those are bugs or conflicts."""
    import asyncpg
    from tortoise.exceptions import DBConnectionError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(
            exc,
            ConnectionError  # refused, reset, aborted, broken pipe
            | TimeoutError  # connect or command timeout (asyncio.TimeoutError is TimeoutError)
            | DBConnectionError
            | asyncpg.PostgresConnectionError  # incl. "connection was closed in the middle of operation"
            | asyncpg.CannotConnectNowError  # the server is starting up or shutting down
            | asyncpg.AdminShutdownError
            | asyncpg.CrashShutdownError
            | asyncpg.TooManyConnectionsError,
        ):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
            return True  # "connection is closed", "pool is closed"
        if isinstance(exc, asyncpg.InternalClientError) and "another operation" in str(exc):
            # A server that shut down mid-statement leaves the connection's protocol half-way;
            # returning it to the pool then fails with "cannot switch to state …".
            return True
        if isinstance(exc, OSError) and exc.errno is None and "connect" in str(exc).lower():
            return True  # asyncpg's "Multiple exceptions: [Errno 111] Connect call failed ..."
        exc = exc.__cause__ or exc.__context__
    return False


def tortoise_config(database_url: str | None = None, *, serving: bool = False) -> dict[str, Any]:
    """`serving=True` for `lianxin serve`: every statement is bounded in time as well."""
    url = _tortoise_url(database_url or settings.database_url, serving=serving)
    if url.startswith("sqlite://"):
        from pathlib import Path

        path = url[len("sqlite://") :]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection: str | dict[str, Any] = url
    if url.startswith("asyncpg://"):
        from tortoise.backends.base.config_generator import expand_db_url

        connection = expand_db_url(url)
        connection["engine"] = "server.postgres_client"  # asyncpg's, without the reset round trip
    return {
        "connections": {"default": connection},
        "apps": {
            "lianxin": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": CITY_TZ.key,
    }


# The `tortoise` CLI reads this: `tortoise -c server.database.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config()


@contextlib.asynccontextmanager
async def open_database(database_url: str | None = None) -> AsyncIterator[None]:
    """Tortoise for the length of a block; connections are always closed (SQLite hangs otherwise)."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def apply_migrations(database_url: str | None = None, *, quiet: bool = False) -> None:
    def progress(event: str, app_label: str, name: str) -> None:
        if not quiet and event == "apply_done":
            print(f"  applied {app_label}.{name}", flush=True)  # noqa: T201 - `lianxin migrate` reports to its operator

    try:
        await migrate_api(config=tortoise_config(database_url), progress=progress)
    finally:
        await Tortoise.close_connections()
    # The access table ships in policies/policy.csv; it enters the database once, at the first
    # migrate. Later changes are made by admins through GraphQL (or `lianxin policy load`).
    from server.authz.engine import load_policy_file_if_empty

    async with open_database(database_url):
        await load_policy_file_if_empty(progress=(lambda _m: None) if quiet else print)
        # Statutory holidays from the chinese-calendar package: here rather than in a migration, so
        # that a newer release's years arrive at the next migrate (an imported year is never replaced).
        from server.calendar.service import seed_from_package

        await seed_from_package(progress=None if quiet else print)


async def pending_model_changes(database_url: str | None = None) -> list[str]:
    """Names of the migrations `makemigrations` would write now; empty when models and files agree."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    config = tortoise_config(database_url)
    apps = {label: dict(app) for label, app in config["apps"].items()}
    async with tortoise_cli_context(config) as ctx:
        if ctx.apps is None:
            raise RuntimeError("Tortoise did not load the model registry; cannot compare with migrations")
        writers = await MigrationAutodetector(ctx.apps, apps).changes()
    return [w.name for w in writers]
