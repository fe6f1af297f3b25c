"""Migration 0015 on a database that already holds tickets: the citizen feedback recorded before
return visits becomes one visit each, the new rollup metrics are there for the old tickets (equal to
a recomputation, without `lianxin rollup rebuild`), and the visits table is append-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import create_empty_database, drop_database


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIANXIN_DATABASE_URL": url}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=180)


async def test_0015_turns_feedback_into_visits_and_fills_the_new_rollup_metrics() -> None:
    url = await create_empty_database("m0015")
    try:
        old = _run("-m", "tests.stats.at_0012", "setup", url, url=url)
        assert old.returncode == 0, old.stderr
        migrated = _run("-m", "lianxin.cli", "migrate", url=url)
        assert migrated.returncode == 0, migrated.stderr
        assert "applied lianxin.0015_return_visits" in migrated.stdout
        looked = _run("-m", "tests.stats.at_0012", "inspect", url, url=url)
        assert looked.returncode == 0, looked.stderr
        found = json.loads(looked.stdout)
        assert found["visits"] == [
            {
                "ticket_id": 1,
                "round": 0,
                "attempt": 1,
                "channel": None,
                "reached": True,
                "rating": "SATISFIED",
                "comment": "",
            },
            {
                "ticket_id": 2,
                "round": 0,
                "attempt": 1,
                "channel": None,
                "reached": True,
                "rating": "DISSATISFIED",
                "comment": "",
            },
        ]
        assert found["stored"] == found["recomputed"]
        # the community, the town and the city (ids 3, 2, 1) each count one on time, one late, and the
        # two visits
        for jurisdiction in (1, 2, 3):
            mine = {m: n for _, j, m, n in found["stored"] if j == jurisdiction}
            assert mine == {"resp_on_time": 1, "resp_late": 1, "visit:satisfied": 1, "visit:dissatisfied": 1}
        assert found["refused"] == [True, True]
    finally:
        await drop_database(url)
