"""Backups that restore: `lianxin backup FILE` and `lianxin restore FILE [--force]`.

PostgreSQL: a custom-format dump (`pg_dump -Fc`), restored by `pg_restore` in one transaction, so
a restore that fails half-way leaves the database as it was. The client programs are Debian's
postgresql-client of the server's major version when installed (/usr/lib/postgresql/N/bin), else
those on PATH: pg_dump refuses a server newer than itself.
SQLite: the online backup API (a consistent copy while the server keeps serving), restored by the
same API into the database file.

A restore refuses a database that holds tables unless told `force`: restoring over live data by
mistake is the one thing a backup tool must not make easy."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

Progress = Callable[[str], None]

PGDUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
# Query parameters libpq understands; the rest of a Lianxin database URL's (pool sizes, asyncpg's
# timeouts) are not for pg_dump.
LIBPQ_PARAMS = {"sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "application_name", "options"}
SQLITE_PAGES_PER_STEP = 256


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


@dataclass(frozen=True)
class Target:
    kind: str  # "postgres" or "sqlite"
    location: str  # a libpq URL, or the SQLite file's path


def target_of(database_url: str) -> Target:
    for prefix in ("postgresql://", "postgres://", "asyncpg://"):
        if database_url.startswith(prefix):
            parts = urlsplit("postgresql://" + database_url[len(prefix) :])
            query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k in LIBPQ_PARAMS]
            return Target("postgres", urlunsplit(parts._replace(query=urlencode(query))))
    if database_url.startswith("sqlite://"):
        path = database_url[len("sqlite://") :]
        if not path or path == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up or restored")
        return Target("sqlite", path)
    raise BackupError(f"no backup method for this database URL: {database_url.split(':', 1)[0]}://…")


# PostgreSQL -----------------------------------------------------------------------------------


def _server_major(url: str) -> int | None:
    psql = shutil.which("psql")
    if psql is None:
        return None
    answer = subprocess.run(  # noqa: S603 - our own arguments; the URL is the operator's setting
        [psql, "-X", "-A", "-t", "-d", url, "-c", "SHOW server_version_num"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    text = answer.stdout.strip()
    return int(text) // 10000 if answer.returncode == 0 and text.isdigit() else None


def pg_program(name: str, url: str) -> str:
    """Debian's client of the server's major version when installed, else the one on PATH."""
    major = _server_major(url)
    if major is not None:
        versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
        if versioned.exists():
            return str(versioned)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: install Debian's postgresql-client")
    return found


def _run(command: list[str], progress: Progress) -> None:
    """Run a client program; its verbose output is the progress."""
    process = subprocess.Popen(  # noqa: S603 - our own arguments; the URL is the operator's setting
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    for line in process.stderr or ():
        lines.append(line.rstrip())
        progress(line.rstrip())
    if process.wait() != 0:
        errors = [line for line in lines if "error" in line.lower()] or lines[-1:]
        raise BackupError(f"{Path(command[0]).name} failed: {errors[-1] if errors else 'no output'}")


def _postgres_tables(url: str) -> int:
    psql = pg_program("psql", url)
    count = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    answer = subprocess.run(  # noqa: S603 - our own arguments; the URL is the operator's setting
        [psql, "-X", "-A", "-t", "-d", url, "-c", count],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if answer.returncode != 0:
        raise BackupError(f"cannot reach the database: {answer.stderr.strip()}")
    return int(answer.stdout.strip() or 0)


# SQLite ---------------------------------------------------------------------------------------


def _sqlite_tables(path: str) -> int:
    if not Path(path).exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])


def _sqlite_copy(source: str, destination: str, progress: Progress) -> None:
    def report(_status: int, remaining: int, total: int) -> None:
        progress(f"copied {total - remaining} of {total} pages")

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(destination)
        try:
            src.backup(dst, pages=SQLITE_PAGES_PER_STEP, progress=report)
        finally:
            dst.close()
    finally:
        src.close()


# The commands ---------------------------------------------------------------------------------


def backup(database_url: str, file: Path, progress: Progress) -> None:
    """Write a backup of the database to `file` (written beside it first, then renamed: a failed
    backup never leaves a truncated file where the last good one was)."""
    target = target_of(database_url)
    file = file.resolve()
    file.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial_name = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
    os.close(descriptor)
    partial = Path(partial_name)
    try:
        if target.kind == "postgres":
            pg_dump = pg_program("pg_dump", target.location)
            _run(
                [pg_dump, "-Fc", "--no-owner", "--verbose", "-f", str(partial), "-d", target.location],
                progress,
            )
        else:
            if _sqlite_tables(target.location) == 0:
                raise BackupError(f"no database at {target.location}")
            partial.unlink()
            _sqlite_copy(target.location, str(partial), progress)
        partial.replace(file)
    finally:
        partial.unlink(missing_ok=True)
    progress(f"backup written to {file} ({file.stat().st_size:,} bytes)")


def restore(database_url: str, file: Path, progress: Progress, *, force: bool = False) -> None:
    """Put a backup back. Refuses a database that holds tables unless `force`, a file that is not a
    backup of this kind of database, and changes nothing when it fails."""
    target = target_of(database_url)
    if not file.is_file():
        raise BackupError(f"no such file: {file}")
    with file.open("rb") as head:
        magic = head.read(16)
    expected = PGDUMP_MAGIC if target.kind == "postgres" else SQLITE_MAGIC
    if not magic.startswith(expected):
        kind = "a PostgreSQL custom-format dump" if target.kind == "postgres" else "an SQLite database"
        raise BackupError(f"{file} is not {kind} (made by `lianxin backup` on this kind of database)")
    tables = (
        _postgres_tables(target.location) if target.kind == "postgres" else _sqlite_tables(target.location)
    )
    if tables and not force:
        raise BackupError(
            f"the database is not empty ({tables} tables): restoring would replace its data; "
            "pass --force to do so"
        )
    if target.kind == "postgres":
        pg_restore = pg_program("pg_restore", target.location)
        command = [pg_restore, "--no-owner", "--single-transaction", "--exit-on-error", "--verbose"]
        if tables:
            command += ["--clean", "--if-exists"]
        _run([*command, "-d", target.location, str(file)], progress)
    else:
        _sqlite_copy(str(file), target.location, progress)
    progress(f"restored {file} " + ("over the data that was there" if tables else "into an empty database"))
