"""Every migration applies to an empty database, and the models need no new migration.

Runs the real `lianxin` commands in a subprocess so the suite's own connection is untouched.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import create_empty_database, drop_database


def _lianxin(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIANXIN_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "lianxin.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_migrations_apply_to_empty_database_and_match_models() -> None:
    url = await create_empty_database("migrations")
    try:
        before = _lianxin("check-migrations", database_url=url)
        migrate = _lianxin("migrate", database_url=url)
        assert migrate.returncode == 0, migrate.stderr
        assert "applied lianxin.0001_initial" in migrate.stdout
        again = _lianxin("migrate", database_url=url)
        assert again.returncode == 0, again.stderr
        assert "applied" not in again.stdout  # nothing left to apply
        after = _lianxin("check-migrations", database_url=url)
        assert after.returncode == 0, after.stdout + after.stderr
        assert "match the models" in after.stdout
        assert before.returncode == 0  # the check reads files, not the database
    finally:
        await drop_database(url)
