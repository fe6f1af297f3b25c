"""Opening and closing the database, applying migrations, and checking for model drift."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from tortoise import Tortoise
from tortoise.migrations.api import migrate as migrate_api

from server.db import tortoise_config


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
            print(f"  applied {app_label}.{name}", flush=True)

    try:
        await migrate_api(config=tortoise_config(database_url), progress=progress)
    finally:
        await Tortoise.close_connections()
    # The access table ships in policies/policy.csv; it enters the database once, at the first
    # migrate. Later changes are made by admins through GraphQL (or `lianxin policy load`).
    from server.authz.engine import load_policy_file_if_empty

    async with open_database(database_url):
        await load_policy_file_if_empty(progress=(lambda _m: None) if quiet else print)


async def pending_model_changes(database_url: str | None = None) -> list[str]:
    """Names of the migrations `makemigrations` would write now; empty when models and files agree."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    config = tortoise_config(database_url)
    apps = {label: dict(app) for label, app in config["apps"].items()}
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, apps).changes()
    return [w.name for w in writers]
