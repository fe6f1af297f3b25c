"""Running scheduled jobs: in `lianxin worker` processes (any number, on any machine) and, where
settings say so, inside the server (the default on SQLite, so `make run` needs nothing else).

A job runs exactly once per due time however many runners race for it. A runner takes a job with
one guarded UPDATE — `next_run_at <= now AND (lease_until IS NULL OR lease_until < now)` — that
sets its own name and a lease: the database serialises the two UPDATEs on the row (PostgreSQL
re-checks the condition on the row the first one committed; SQLite runs one writer at a time), so
the second changes no row and moves on. The same statement on both databases, through Tortoise.
While the job runs the runner renews the lease; a runner killed mid-job stops renewing, the lease
runs out, and the next runner to look takes the job again. A failure is retried after a backoff
that doubles with each consecutive failure (capped at the job's interval); a success schedules
the next run one interval later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from server import clock, metrics
from server.jobs import catalog  # noqa: F401 - registers the jobs
from server.jobs.models import ScheduledJob
from server.jobs.registry import JOBS, POLL_WORK, Job
from server.settings import settings

log = logging.getLogger("lianxin.jobs")

RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
MAX_ERROR = 2000


def runner_name() -> str:
    """Who holds a lease: host, process and a random tail (a restarted process is another runner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(job: Job, failures: int) -> timedelta:
    """Wait before retrying after `failures` consecutive failures: the base doubled each time, never
    longer than the job's own interval."""
    seconds = settings.job_retry_seconds * 2 ** max(0, failures - 1)
    return timedelta(seconds=min(seconds, max(settings.job_retry_seconds, job.every_seconds())))


async def ensure_rows(now: datetime | None = None) -> None:
    """A row for every registered job, due now if it has never run."""
    now = now or clock.now()
    known = set(await ScheduledJob.all().values_list("name", flat=True))
    for name in JOBS:
        if name not in known:
            with contextlib.suppress(IntegrityError):  # another runner made it first
                await ScheduledJob.create(name=name, next_run_at=now)


async def claim(name: str, runner: str, *, force: bool = False) -> bool:
    """Take the lease of job `name` if it is due (or `force`: now, if nobody holds it)."""
    now = clock.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    rows = ScheduledJob.filter(free, name=name)
    if not force:
        rows = rows.filter(next_run_at__lte=now)
    taken = await rows.update(
        locked_by=runner,
        lease_until=now + timedelta(seconds=settings.job_lease_seconds),
        last_started_at=now,
        last_outcome=RUNNING,
        attempts=F("attempts") + 1,
    )
    return bool(taken)


async def _renew(name: str, runner: str) -> None:
    while True:
        await asyncio.sleep(max(0.2, settings.job_lease_seconds / 3))
        until = clock.now() + timedelta(seconds=settings.job_lease_seconds)
        with contextlib.suppress(Exception):  # a missed renewal is retried; the lease has slack
            await ScheduledJob.filter(name=name, locked_by=runner).update(lease_until=until)


@dataclass
class Outcome:
    name: str
    succeeded: bool
    summary: str


async def run_claimed(job: Job, runner: str) -> Outcome:
    """Run a job whose lease `runner` holds, renewing it meanwhile, and record how it went. The
    record is written only while the lease is still this runner's: a runner that lost it (paused
    past its lease, the job taken by another) leaves the other's record alone."""
    renewal = asyncio.create_task(_renew(job.name, runner))
    started = time.perf_counter()
    try:
        summary = await job.run()
        succeeded = True
    except Exception as exc:
        log.exception("job %s failed", job.name)
        summary, succeeded = f"{type(exc).__name__}: {exc}"[:MAX_ERROR], False
    finally:
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal
    metrics.JOB_RUNS.labels(job.name, "succeeded" if succeeded else "failed").inc()
    metrics.JOB_SECONDS.labels(job.name).observe(time.perf_counter() - started)
    now = clock.now()
    mine = ScheduledJob.filter(name=job.name, locked_by=runner)
    if succeeded:
        await mine.update(
            locked_by=None,
            lease_until=None,
            last_finished_at=now,
            last_outcome=SUCCEEDED,
            last_error="",
            failures=0,
            next_run_at=now + timedelta(seconds=job.every_seconds()),
        )
        log.info("job %s succeeded: %s", job.name, summary)
    else:
        row = await ScheduledJob.get_or_none(name=job.name)
        failures = (row.failures if row else 0) + 1
        await mine.update(
            locked_by=None,
            lease_until=None,
            last_finished_at=now,
            last_outcome=FAILED,
            last_error=summary,
            failures=failures,
            next_run_at=now + backoff(job, failures),
        )
    return Outcome(job.name, succeeded, summary)


async def run_due(runner: str) -> list[Outcome]:
    """Every job that is due and free, each taken and run by this runner; the others are left."""
    # The queues first: a long job (a rollup check) must not hold back a webhook.
    for work in POLL_WORK:
        try:
            await work(runner)
        except Exception:
            log.exception("job runner %s: %s failed", runner, getattr(work, "__name__", work))
    outcomes = []
    for name, job in JOBS.items():
        if await claim(name, runner):
            outcomes.append(await run_claimed(job, runner))
    return outcomes


async def run_now(name: str, runner: str) -> Outcome | None:
    """Run job `name` now, due or not; None when another runner holds it."""
    job = JOBS[name]
    await ensure_rows()
    if not await claim(name, runner, force=True):
        return None
    return await run_claimed(job, runner)


async def run_forever(stop: asyncio.Event, runner: str | None = None) -> None:
    """Look for due jobs every `job_poll_seconds` until `stop` is set; a database that goes away
    for a while is waited out."""
    from server.stats.rollup import ensure_tree

    runner = runner or runner_name()
    log.info("job runner %s started", runner)
    ready = False
    while not stop.is_set():
        try:
            if not ready:
                await ensure_tree()
                await ensure_rows()
                ready = True
            await run_due(runner)
        except Exception:
            log.exception("job runner %s: could not look for due jobs", runner)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.job_poll_seconds)
    log.info("job runner %s stopped", runner)
