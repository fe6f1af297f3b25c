"""Admins manage data-sharing keys from the command line too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

from tests.helpers import data, error_codes


def _lianxin(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIANXIN_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "lianxin.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_apikey_create_and_revoke_from_the_command_line(gql: Any, database_url: str) -> None:
    created = _lianxin(
        database_url,
        "apikey",
        "create",
        "--name",
        "交通局",
        "--scope",
        "station",
        "--scope",
        "stats",
        "--department",
        "transport",
    )
    assert created.returncode == 0, created.stderr
    key = re.search(r"key \(shown once\): (\S+)", created.stdout)
    prefix = re.search(r"prefix: (\S+)", created.stdout)
    assert key and prefix
    assert data(await gql("{ stations { totalCount } }", token=key.group(1)))["stations"]["totalCount"] > 0
    assert error_codes(await gql("{ tickets { totalCount } }", token=key.group(1))) == ["FORBIDDEN"]

    listed = _lianxin(database_url, "apikey", "list")
    assert prefix.group(1) in listed.stdout and "scopes=station,stats" in listed.stdout
    revoked = _lianxin(database_url, "apikey", "revoke", prefix.group(1))
    assert revoked.returncode == 0, revoked.stderr
    assert error_codes(await gql("{ stations { totalCount } }", token=key.group(1))) == ["UNAUTHENTICATED"]


def test_bad_cli_input_is_refused_with_a_message(database_url: str) -> None:
    bad_scope = _lianxin(database_url, "apikey", "create", "--name", "x", "--scope", "everything")
    assert bad_scope.returncode == 1 and "unknown scopes" in bad_scope.stderr
    bad_role = _lianxin(database_url, "user", "grant", "bureau", "emperor", "dongguan")
    assert bad_role.returncode == 1 and "unknown role" in bad_role.stderr
    unknown = _lianxin(database_url, "apikey", "revoke", "nosuchkey")
    assert unknown.returncode == 1 and "no API key" in unknown.stderr
