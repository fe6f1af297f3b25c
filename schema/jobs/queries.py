"""Scheduled jobs (admin)."""

from __future__ import annotations

import dataclasses

import strawberry

from schema.jobs.types import ScheduledJob
from server.jobs import service


@strawberry.type
class JobsQuery:
    @strawberry.field(
        description="Every scheduled job, with its last run, outcome and next run. Needs job:read."
    )
    async def jobs(self, info: strawberry.Info) -> list[ScheduledJob]:
        states = await service.list_jobs(caller=info.context.caller)
        return [ScheduledJob(**dataclasses.asdict(s)) for s in states]
