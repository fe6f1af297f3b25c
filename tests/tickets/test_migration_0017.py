"""A database whose policy was loaded before migration 0017 gets the line that lets bureau staff
change a category's times (policy.csv enters a database at its first migrate only)."""

from __future__ import annotations

from tests.conftest import create_empty_database, drop_database
from tests.migration_helpers import older_installation, run

COUNT = """
import asyncio, sys
from server.database import open_database
from server.authz.models import CasbinRule, PolicyState
from server.tickets.models import TicketCategory

async def main(url):
    async with open_database(url):
        lines = await CasbinRule.filter(ptype="p", v1="ticket_category").values_list("v0", "v2")
        version = await PolicyState.get(id=1).values_list("version", flat=True)
        categories = await TicketCategory.all().values_list("code", "version")
        print(";".join(sorted(f"{role}:{act}" for role, act in lines)), version, categories)

asyncio.run(main(sys.argv[1]))
"""


# a category the installation had before 0017 (its columns then)
CATEGORY = (
    "INSERT INTO ticket_category (code, name, name_en, response_minutes, resolution_minutes) "
    "VALUES ('hotline', '热线转办', 'Hotline referral', 60, 1440)"
)


async def test_an_existing_database_gets_the_ticket_category_line_once() -> None:
    url = await create_empty_database("m0017")
    try:
        old = older_installation(url, "lianxin.0016_attachments", "ticket_category", CATEGORY)
        assert old.returncode == 0, old.stderr
        migrated = run("-m", "lianxin.cli", "migrate", url=url)
        assert migrated.returncode == 0, migrated.stderr
        assert "applied lianxin.0017_ticket_category_versions" in migrated.stdout
        after = run("-c", COUNT, url, url=url)
        # the line, the policy version moved on, and the category that was there is at version 1
        assert after.stdout.strip().split(maxsplit=2) == ["bureau-staff:update", "2", "[('hotline', 1)]"], (
            after.stdout + after.stderr
        )
    finally:
        await drop_database(url)
