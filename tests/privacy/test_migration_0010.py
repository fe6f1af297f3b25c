"""A database whose policy was loaded before migration 0010 gets the personal_data_request lines
from the migration (policy.csv enters a database at its first migrate only)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import create_empty_database, drop_database

# Migrate to 0006 and load the policy as it was then (without the new lines), as an older
# installation would have it; then the real `lianxin migrate`.
BEFORE_0010 = """
import asyncio, sys
from tortoise.migrations.api import migrate
from server.database import open_database, tortoise_config
from server.authz.engine import load_policy_file_if_empty
from server.authz.models import CasbinRule
from tortoise import Tortoise

async def main(url):
    await migrate(config=tortoise_config(url), target="lianxin.0006_ticket_queue_index")
    await Tortoise.close_connections()
    async with open_database(url):
        await load_policy_file_if_empty(progress=lambda _m: None)
        await CasbinRule.filter(v1="personal_data_request").delete()

asyncio.run(main(sys.argv[1]))
"""
COUNT = """
import asyncio, sys
from server.database import open_database
from server.authz.models import CasbinRule, PolicyState

async def main(url):
    async with open_database(url):
        lines = await CasbinRule.filter(
            ptype="p", v0="bureau-staff", v1="personal_data_request"
        ).values_list("v2", flat=True)
        version = await PolicyState.get(id=1).values_list("version", flat=True)
        print(",".join(sorted(lines)), version)

asyncio.run(main(sys.argv[1]))
"""


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIANXIN_DATABASE_URL": url}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=180)


async def test_an_existing_database_gets_the_personal_data_request_lines() -> None:
    url = await create_empty_database("m0010")
    try:
        old = _run("-c", BEFORE_0010, url, url=url)
        assert old.returncode == 0, old.stderr
        before = _run("-c", COUNT, url, url=url)
        assert before.stdout.split() == ["1"], before.stdout + before.stderr  # no lines, version 1
        migrated = _run("-m", "lianxin.cli", "migrate", url=url)
        assert migrated.returncode == 0, migrated.stderr
        assert "applied lianxin.0010_personal_data_retention" in migrated.stdout
        after = _run("-c", COUNT, url, url=url)
        assert after.stdout.split() == ["erase,read", "2"], after.stdout + after.stderr
    finally:
        await drop_database(url)


async def test_a_new_database_gets_the_lines_once_from_the_policy_file() -> None:
    url = await create_empty_database("m0010new")
    try:
        migrated = _run("-m", "lianxin.cli", "migrate", url=url)
        assert migrated.returncode == 0, migrated.stderr
        after = _run("-c", COUNT, url, url=url)
        assert after.stdout.split() == ["erase,read", "1"], after.stdout + after.stderr
    finally:
        await drop_database(url)
