"""What the admin sees of the scheduled jobs (job: read), and running one now (the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server import clock
from server.authz.engine import CITY
from server.caller import Caller
from server.jobs.models import ScheduledJob
from server.jobs.registry import JOBS
from server.jobs.runner import RUNNING

ABANDONED = "ABANDONED"  # its runner stopped renewing the lease mid-run; the job is due again


@dataclass(frozen=True)
class JobState:
    name: str
    description: str
    every_seconds: int
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_outcome: str
    last_error: str
    next_run_at: datetime | None
    failures: int
    attempts: int
    running_on: str | None


async def job_states() -> list[JobState]:
    """Every registered job, whether or not a runner has started it yet (then NEVER_RUN, no next run)."""
    rows = {row.name: row for row in await ScheduledJob.all()}
    now = clock.now()
    states = []
    for name, job in JOBS.items():
        row = rows.get(name)
        outcome = row.last_outcome if row else "NEVER_RUN"
        running = row is not None and outcome == RUNNING
        if running and row is not None and (row.lease_until is None or row.lease_until < now):
            outcome, running = ABANDONED, False
        states.append(
            JobState(
                name=name,
                description=job.description,
                every_seconds=job.every_seconds(),
                last_started_at=row.last_started_at if row else None,
                last_finished_at=row.last_finished_at if row else None,
                last_outcome=outcome,
                last_error=row.last_error if row else "",
                next_run_at=row.next_run_at if row else None,
                failures=row.failures if row else 0,
                attempts=row.attempts if row else 0,
                running_on=row.locked_by if running and row else None,
            )
        )
    return states


async def list_jobs(*, caller: Caller) -> list[JobState]:
    caller.authz.require("job", "read", caller.authz.engine.tree.id_by_code.get(CITY))
    return await job_states()
