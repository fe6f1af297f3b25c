"""An older installation, for tests of a migration that adds policy lines: migrated up to a target,
its policy loaded as it was then (without one object's lines), in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys

OLDER_INSTALLATION = """
import asyncio, sys
from tortoise.migrations.api import migrate
from server.database import open_database, tortoise_config
from server.authz.engine import load_policy_file_if_empty
from server.authz.models import CasbinRule
from tortoise import Tortoise

async def main(url, target, without, *statements):
    await migrate(config=tortoise_config(url), target=target)
    await Tortoise.close_connections()
    async with open_database(url):
        await load_policy_file_if_empty(progress=lambda _m: None)
        await CasbinRule.filter(v1=without).delete()
        for statement in statements:
            await Tortoise.get_connection("default").execute_script(statement)

asyncio.run(main(*sys.argv[1:]))
"""


def run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    """python ARGS with LIANXIN_DATABASE_URL=url."""
    env = {**os.environ, "LIANXIN_DATABASE_URL": url}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=180)


def older_installation(
    url: str, target: str, without_object: str, *statements: str
) -> subprocess.CompletedProcess[str]:
    """Migrate `url` to `target` (e.g. "lianxin.0016_attachments"), load the policy file without
    the lines of `without_object`, then run `statements` (rows the installation had then)."""
    return run("-c", OLDER_INSTALLATION, url, target, without_object, *statements, url=url)
