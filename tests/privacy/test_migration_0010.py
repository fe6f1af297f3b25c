"""A database whose policy was loaded before migration 0010 gets the personal_data_request lines
from the migration (policy.csv enters a database at its first migrate only)."""

from __future__ import annotations

from tests.conftest import create_empty_database, drop_database
from tests.migration_helpers import older_installation, run

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


async def test_an_existing_database_gets_the_personal_data_request_lines() -> None:
    url = await create_empty_database("m0010")
    try:
        # an older installation: at 0006, its policy loaded as it was then
        old = older_installation(url, "lianxin.0006_ticket_queue_index", "personal_data_request")
        assert old.returncode == 0, old.stderr
        before = run("-c", COUNT, url, url=url)
        assert before.stdout.split() == ["1"], before.stdout + before.stderr  # no lines, version 1
        migrated = run("-m", "lianxin.cli", "migrate", url=url)
        assert migrated.returncode == 0, migrated.stderr
        assert "applied lianxin.0010_personal_data_retention" in migrated.stdout
        after = run("-c", COUNT, url, url=url)
        assert after.stdout.split() == ["erase,read", "2"], after.stdout + after.stderr
    finally:
        await drop_database(url)


async def test_a_new_database_gets_the_lines_once_from_the_policy_file() -> None:
    url = await create_empty_database("m0010new")
    try:
        migrated = run("-m", "lianxin.cli", "migrate", url=url)
        assert migrated.returncode == 0, migrated.stderr
        after = run("-c", COUNT, url, url=url)
        assert after.stdout.split() == ["erase,read", "1"], after.stdout + after.stderr
    finally:
        await drop_database(url)
