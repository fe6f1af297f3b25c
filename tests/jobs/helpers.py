"""Running `lianxin worker` and `lianxin jobs` against the suite's database."""

from __future__ import annotations

import os
import subprocess
import sys

# Quick enough for a test: runners look every 0.2 s, the sweep runs every second.
FAST = {
    "LIANXIN_JOB_POLL_SECONDS": "0.2",
    "LIANXIN_ESCALATION_SWEEP_SECONDS": "1",
    "LIANXIN_JOB_LEASE_SECONDS": "5",
}


def environment(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "LIANXIN_DATABASE_URL": database_url, **FAST, **extra}


def start_worker(database_url: str, **settings: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "lianxin.cli", "worker"],
        env=environment(database_url, **settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lianxin.cli", *args],
        env=environment(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
