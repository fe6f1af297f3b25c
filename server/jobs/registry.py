"""The jobs there are: a name, how often, and the coroutine that does the work.

A domain adds a job with `register(Job(...))` from server/jobs/catalog.py; the runner, the `jobs`
query and `lianxin jobs` see every registered job. A job must be safe to run again after a runner
died in the middle of it (it is retried), which every job here is: each writes its effect in
transactions that check what is already done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    every_seconds: Callable[[], int]  # read at each run, so that a setting takes effect on restart
    run: Callable[[], Awaitable[str]]  # returns a one-line summary; raises to fail


JOBS: dict[str, Job] = {}

# Work every runner does at each poll, beside the jobs: queues whose items each runner takes one by
# one with a lease of their own (notifications), so any number of runners share them.
POLL_WORK: list[Callable[[str], Awaitable[object]]] = []


def register(job: Job) -> None:
    if job.name in JOBS:
        raise ValueError(f"job {job.name!r} is registered twice")
    JOBS[job.name] = job
