"""What the admin sees of the scheduled jobs (job: read), and running one now (the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


async def job_figures() -> list[Any]:
    """Metric families for /metrics, read from the jobs' rows (whichever runner runs them): how
    many are due and waiting for a runner, how late each is, and its consecutive failures."""
    from prometheus_client.core import GaugeMetricFamily

    now = clock.now()
    due = GaugeMetricFamily("lianxin_jobs_due", "Scheduled jobs due now and not running (the queue)")
    lag = GaugeMetricFamily(
        "lianxin_job_lag_seconds", "How long past its due time a job is still waiting", labels=["job"]
    )
    failures = GaugeMetricFamily(
        "lianxin_job_consecutive_failures", "A job's failures since its last success", labels=["job"]
    )
    waiting = 0
    for job in await job_states():
        late = 0.0
        if job.next_run_at is not None and job.running_on is None and job.next_run_at <= now:
            waiting += 1
            late = (now - job.next_run_at).total_seconds()
        lag.add_metric([job.name], late)
        failures.add_metric([job.name], float(job.failures))
    due.add_metric([], float(waiting))
    return [due, lag, failures]
