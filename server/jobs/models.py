"""Scheduled work: one row per job, which is both its schedule and its lock."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ScheduledJob(Model):
    """The state of a job. A runner takes a due job by one guarded UPDATE (due, and no live lease) that
    sets `locked_by` and `lease_until`; it renews the lease while the job runs, and on finishing
    sets the outcome and the next run. A runner that dies leaves its lease to run out, and the job
    is due again for any other runner."""

    name = fields.CharField(max_length=64, primary_key=True)
    next_run_at = fields.DatetimeField()
    locked_by = fields.CharField(max_length=128, null=True, description="the runner holding the lease")
    lease_until = fields.DatetimeField(null=True)
    last_started_at = fields.DatetimeField(null=True)
    last_finished_at = fields.DatetimeField(null=True)
    last_outcome = fields.CharField(max_length=16, default="NEVER_RUN")
    last_error = fields.TextField(default="")
    failures = fields.IntField(default=0, description="consecutive failures, 0 after a success")
    attempts = fields.IntField(default=0, description="runs started, ever")

    class Meta:
        table = "scheduled_job"
