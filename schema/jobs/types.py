"""Scheduled jobs as the admin sees them."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="A scheduled job: its schedule, its last run and the next.")
class ScheduledJob:
    name: str
    description: str
    every_seconds: int = strawberry.field(description="How often it runs when it succeeds.")
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_outcome: str = strawberry.field(
        description="NEVER_RUN, RUNNING, SUCCEEDED, FAILED, or ABANDONED (its runner stopped mid-run; "
        "it is due again and another runner retries it)."
    )
    last_error: str = strawberry.field(description="The last failure's message; empty after a success.")
    next_run_at: datetime | None = strawberry.field(
        description="When it is due next (after a failure: a backoff that doubles with each failure "
        "in a row); null before any runner has seen it."
    )
    failures: int = strawberry.field(description="Failures in a row; 0 after a success.")
    attempts: int = strawberry.field(description="Runs started, ever.")
    running_on: str | None = strawberry.field(description="The runner running it now (host:pid:…).")
