"""The restore drill, on either database: back up, destroy, restore, then `lianxin rollup check`
passes and every table's row count and the append-only tables' rows are what they were. A restore
over data is refused without --force; a file that is not a backup is refused and changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

from server.privacy.inventory import APPEND_ONLY_TABLES
from tests.conftest import TEST_DB, create_empty_database, drop_database

# Rows are added, never changed or deleted: a restore must give back exactly these.
APPEND_ONLY = APPEND_ONLY_TABLES


def lianxin(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lianxin.cli", *args],
        env={**os.environ, "LIANXIN_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


async def contents(database_url: str) -> dict[str, Any]:
    """Every table's row count, and the append-only tables' rows in id order."""
    found: dict[str, Any] = {}
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url[len("sqlite://") :]) as conn:
            tables = [
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            ]
            for table in tables:
                found[table] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in (t for t in APPEND_ONLY if t in tables):
                found[f"{table} rows"] = conn.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
        return found
    conn = await asyncpg.connect(database_url.replace("asyncpg://", "postgresql://"))
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        for table in tables:
            found[table] = await conn.fetchval(f'SELECT count(*) FROM "{table}"')
        for table in (t for t in APPEND_ONLY if t in tables):
            found[f"{table} rows"] = [
                tuple(r) for r in await conn.fetch(f'SELECT * FROM "{table}" ORDER BY id')
            ]
    finally:
        await conn.close()
    return found


async def destroy(database_url: str) -> None:
    """The database is gone; an empty one of the same name is all that is left."""
    if database_url.startswith("sqlite://"):
        path = Path(database_url[len("sqlite://") :])
        for leftover in path.parent.glob(path.name + "*"):  # the file, its -wal and -shm
            leftover.unlink()
        return
    server, name = database_url.rsplit("/", 1)
    admin = f"{server}/postgres"  # the same server's maintenance database
    conn = await asyncpg.connect(admin.replace("asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def test_restore_drill(database_url: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="lianxin-drill-"))
    drill = await create_empty_database("drill")
    try:
        # a database of the drill's own, from the suite's demo data
        seed = lianxin(database_url, "backup", str(work / "suite.backup"))
        assert seed.returncode == 0, seed.stderr
        assert "backup written to" in seed.stderr  # progress goes to stderr
        first = lianxin(drill, "restore", str(work / "suite.backup"))
        assert first.returncode == 0, first.stderr
        before = await contents(drill)
        assert before["ticket"] > 0 and before["ticket_event rows"]

        made = lianxin(drill, "backup", str(work / "drill.backup"))
        assert made.returncode == 0, made.stderr
        await destroy(drill)
        restored = lianxin(drill, "restore", str(work / "drill.backup"))
        assert restored.returncode == 0, restored.stderr

        check = lianxin(drill, "rollup", "check")
        assert check.returncode == 0, check.stderr
        assert "rollup matches a recomputation" in check.stdout
        after = await contents(drill)
        assert after == before

        # over data: refused unless forced, and the refusal changes nothing
        refused = lianxin(drill, "restore", str(work / "drill.backup"))
        assert refused.returncode == 1 and "not empty" in refused.stderr and "--force" in refused.stderr
        forced = lianxin(drill, "restore", "--force", str(work / "drill.backup"))
        assert forced.returncode == 0, forced.stderr
        assert await contents(drill) == before
    finally:
        await drop_database(drill)


async def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    drill = await create_empty_database("notbackup")
    try:
        bogus = tmp_path / "notes.txt"
        bogus.write_text("not a backup\n")
        refused = lianxin(drill, "restore", str(bogus))
        assert refused.returncode == 1
        kind = "PostgreSQL custom-format dump" if TEST_DB == "postgres" else "SQLite database"
        assert f"is not a {kind}" in refused.stderr or f"is not an {kind}" in refused.stderr
        missing = lianxin(drill, "restore", str(tmp_path / "absent.backup"))
        assert missing.returncode == 1 and "no such file" in missing.stderr
        assert not (await contents(drill)).get("ticket")  # nothing was put there
    finally:
        await drop_database(drill)
