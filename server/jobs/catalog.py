"""Every scheduled job, registered at import (the runner, the `jobs` query and the CLI import this).

A domain's job is added here the same way: a coroutine that returns a summary line (and raises to
fail) and a setting for how often it runs. Every job must be safe to run again.
"""

from __future__ import annotations

from tortoise.expressions import Q

from server.jobs.registry import POLL_WORK, Job, register
from server.settings import settings

SYSTEM_ACTOR = "scheduler"


async def _escalation_sweep() -> str:
    from server.escalation.sweep import apply_rules

    applied = await apply_rules(Q(), actor=SYSTEM_ACTOR)
    return f"{len(applied.escalated)} escalated, {len(applied.reminded)} reminded"


async def _retention_run() -> str:
    from server.privacy import retention

    result = await retention.run()
    return f"{result.anonymised} tickets anonymised"


async def _return_visit_sweep() -> str:
    from server.caller import Caller
    from server.tickets.visits import close_unreachable

    closed = await close_unreachable(caller=Caller.system(SYSTEM_ACTOR))
    return f"{len(closed)} closed as unreachable"


async def _attachment_cleanup() -> str:
    from server.attachments.service import cleanup_orphans

    done = await cleanup_orphans()
    return f"{done.removed} orphan files removed, {done.kept_young} left for the next run"


async def _overdue_proposal_notice() -> str:
    from server.notifications.fanout import overdue_proposals

    return f"{await overdue_proposals()} deputies told of an overdue proposal"


async def _notifications(runner: str) -> object:
    from server.notifications.delivery import run_once

    return await run_once(runner)


class RollupMismatch(Exception):
    pass


async def _rollup_check() -> str:
    from server.stats import rollup

    stored, fresh = await rollup.stored(), await rollup.recompute()
    if stored != fresh:
        # A failure, so that the admin's `jobs` list shows it; `lianxin rollup rebuild` repairs.
        raise RollupMismatch("the ticket figures differ from a recomputation: run `lianxin rollup rebuild`")
    return f"rollup matches a recomputation ({len(stored)} rows)"


register(
    Job(
        "escalation_sweep",
        "Apply the escalation and reminder rules to open tickets (催办, 升级督办).",
        lambda: settings.escalation_sweep_seconds,
        _escalation_sweep,
    )
)
register(
    Job(
        "return_visit_sweep",
        "Close resolved tickets whose citizen was not reached in time (回访无法联系办结).",
        lambda: settings.return_visit_sweep_seconds,
        _return_visit_sweep,
    )
)
register(
    Job(
        "attachment_cleanup",
        "Remove stored files no attachment points to (uploads interrupted before their commit).",
        lambda: settings.attachment_cleanup_seconds,
        _attachment_cleanup,
    )
)
register(
    Job(
        "retention_run",
        "Anonymise citizens' personal data past its retention period (PIPL), as `lianxin retention run`.",
        lambda: settings.retention_run_seconds,
        _retention_run,
    )
)
register(
    Job(
        "rollup_check",
        "Compare the ticket figures behind the scorecard with a recomputation, as `lianxin rollup check`.",
        lambda: settings.rollup_check_seconds,
        _rollup_check,
    )
)
register(
    Job(
        "overdue_proposal_notice",
        "Tell deputies whose proposal is past its reply date unanswered (建议超期提醒).",
        lambda: settings.escalation_sweep_seconds,
        _overdue_proposal_notice,
    )
)
POLL_WORK.append(_notifications)
