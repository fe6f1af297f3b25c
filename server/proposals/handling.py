"""Handling a proposal (建议办理): the lead unit's work plan (办理工作方案), the co-handlers'
opinions, the task breakdown table (任务分解表), the contact log, the reply — and the deputies'
ratings of it, where a dissatisfied one sends the proposal back for re-handling.

The work plan has no column of its own: each version of it is the comment of a "plan" event, so
the proposal's history is also the plan's revision history, and the current plan is the latest.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from server import clock
from server.audit.service import record, snapshot
from server.caller import Caller
from server.clock import local
from server.enums import Rating, ReplyResult, TaskStatus
from server.errors import Conflict, NotFound
from server.proposals import access, workflow
from server.proposals.models import (
    ContactLog,
    HandlingTask,
    Proposal,
    ProposalRating,
    ProposalReply,
    ProposalUnit,
)
from server.proposals.service import (
    TEXT_MAX,
    TITLE_MAX,
    Event,
    begin,
    co_handling_unit,
    comment_problem,
    commit,
    not_past,
    raise_if,
    require_deputy,
    visible_proposal,
    write_event,
)
from server.proposals.vocabulary import ContactPhase
from server.staff.models import Department
from server.validation import Problems
from server.versioning import update_at_version

# ---- work plan and co-handlers' opinions -------------------------------------------------------


async def submit_plan(proposal_id: int, version: int, plan: str, caller: Caller) -> Proposal:
    """The lead unit's work plan. The first one starts handling (ASSIGNED → HANDLING); later ones
    revise it."""
    step = await begin(proposal_id, version, "plan", caller)
    problems = Problems()
    problems.text("plan", plan, max_length=TEXT_MAX, required=True)
    raise_if(problems)
    async with in_transaction() as conn:
        return await commit(
            conn, step, caller, operation="submitHandlingPlan", events=[step.event("plan", plan.strip())]
        )


async def record_opinion(
    proposal_id: int, version: int, unit_id: int, opinion: str, caller: Caller
) -> Proposal:
    """A co-handling unit's opinion (协办意见), as received by the lead unit. Its timeliness counts
    from the first time it was recorded; a later version replaces the text only."""
    step = await begin(proposal_id, version, "record_opinion", caller)
    problems = Problems()
    problems.text("opinion", opinion, max_length=TEXT_MAX, required=True)
    raise_if(problems)
    unit = await co_handling_unit(proposal_id, unit_id)
    department = await Department.get(id=unit.department_id)
    async with in_transaction() as conn:
        proposal = await commit(
            conn,
            step,
            caller,
            operation="recordUnitOpinion",
            events=[step.event("record_opinion", opinion.strip(), {"unit": department.code})],
        )
        await (
            ProposalUnit.filter(id=unit.id)
            .using_db(conn)
            .update(opinion=opinion.strip(), opinion_at=unit.opinion_at or clock.now())
        )
    return proposal


# ---- the task breakdown table ------------------------------------------------------------------


def task_status(progress: int) -> TaskStatus:
    """A task's status follows its progress, so that the two never disagree."""
    if progress >= 100:
        return TaskStatus.DONE
    return TaskStatus.IN_PROGRESS if progress > 0 else TaskStatus.NOT_STARTED


def proposal_progress(tasks: list[HandlingTask]) -> int | None:
    """The proposal's progress: the mean of its tasks' (None without tasks)."""
    if not tasks:
        return None
    return round(sum(t.progress for t in tasks) / len(tasks))


def _check_task(values: dict[str, Any], problems: Problems, *, creating: bool) -> None:
    title = values.get("title")
    problems.text("title", title, max_length=TITLE_MAX, required=creating or title is not None)
    problems.text("notes", values.get("notes"), max_length=TEXT_MAX)
    progress = values.get("progress")
    if progress is not None and not 0 <= progress <= 100:
        problems.add("progress", f"must be between 0 and 100 (got {progress})", "OUT_OF_RANGE")
    if creating and values.get("due_on") is None:
        problems.add("dueOn", "is required", "REQUIRED")
    not_past(problems, "dueOn", values.get("due_on"))


async def _department(department_id: int | None) -> None:
    if department_id is not None and not await Department.exists(id=department_id):
        raise NotFound("Department", department_id)


async def create_task(
    proposal_id: int,
    version: int,
    caller: Caller,
    *,
    title: str,
    responsible_unit_id: int,
    due_on: date,
    notes: str = "",
) -> HandlingTask:
    """A row of the task breakdown table. The proposal's version moves too: the table is part of
    the proposal, and two people adding rows from the same stale view should know of each other."""
    step = await begin(proposal_id, version, "create_task", caller)
    values = {"title": title, "due_on": due_on, "notes": notes}
    problems = Problems()
    _check_task(values, problems, creating=True)
    raise_if(problems)
    await _department(responsible_unit_id)
    async with in_transaction() as conn:
        await commit(conn, step, caller, operation="createHandlingTask", events=[])
        task = await HandlingTask.create(
            proposal_id=proposal_id,
            title=title.strip(),
            responsible_unit_id=responsible_unit_id,
            due_on=due_on,
            notes=notes,
            status=TaskStatus.NOT_STARTED,
            using_db=conn,
        )
        await write_event(
            conn,
            proposal_id,
            caller.actor,
            Event("create_task", None, None, data={"title": task.title, "due_on": due_on.isoformat()}),
            clock.now(),
            task_id=task.id,
            task_to=task.status.value,
        )
        await record(caller, "createHandlingTask", task, using=conn)
    return task


@dataclass
class TaskChanges:
    title: str | None = None
    responsible_unit_id: int | None = None
    due_on: date | None = None
    progress: int | None = None
    notes: str | None = None

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


async def update_task(
    task_id: int, version: int, changes: TaskChanges, caller: Caller, *, comment: str = ""
) -> HandlingTask:
    """Progress, due date, notes… of one task; its status follows its progress. Moving the due
    date later is an extension: it needs a comment saying why."""
    task = await HandlingTask.get_or_none(id=task_id)
    if task is None:
        raise NotFound("HandlingTask", task_id)
    try:
        proposal = await visible_proposal(task.proposal_id, caller.authz)
    except NotFound:
        raise NotFound("HandlingTask", task_id) from None
    if not caller.authz.can("handling_task", "read", proposal.jurisdiction_id):
        raise NotFound("HandlingTask", task_id)
    rel = await access.relation(caller.authz, proposal)
    access.require(caller.authz, proposal, "update_task", rel)
    if task.version != version:
        raise Conflict("HandlingTask", task_id, task.version)
    access.check(caller.authz, proposal, "update_task", rel, access.Facts(has_tasks=True))
    # Fields sent unchanged are no change (a form sends them all): an overdue task's unchanged
    # due date is not "a date in the past".
    values = {k: v for k, v in changes.given().items() if getattr(task, k) != v}
    problems = Problems()
    _check_task(values, problems, creating=False)
    extended = "due_on" in values and values["due_on"] > task.due_on
    comment_problem(problems, comment)
    if extended and not comment.strip():
        problems.add("comment", "moving a task's due date later is an extension: say why", "REQUIRED")
    if not values:
        problems.add("id", "nothing to change", "NO_CHANGES")
    raise_if(problems)
    await _department(values.get("responsible_unit_id"))
    if "progress" in values:
        values["status"] = task_status(values["progress"])
        if values["status"] != task.status:
            values["completed_at"] = clock.now() if values["status"] == TaskStatus.DONE else None
    before = snapshot(task)
    diff = {k: [_plain(getattr(task, k)), _plain(v)] for k, v in values.items() if k != "completed_at"}
    async with in_transaction() as conn:
        fresh = await update_at_version(HandlingTask, task_id, version, values, using=conn)
        await write_event(
            conn,
            proposal.id,
            caller.actor,
            Event("update_task", None, None, comment.strip(), diff),
            clock.now(),
            task_id=task_id,
            task_from=task.status.value,
            task_to=fresh.status.value,
        )
        await record(caller, "updateHandlingTask", fresh, before=before, using=conn)
    return fresh


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "value", value)


# ---- contacts with the deputy -------------------------------------------------------------------


async def record_contact(
    proposal_id: int,
    version: int,
    caller: Caller,
    *,
    phase: ContactPhase,
    channel: str,
    summary: str,
    contacted_at: datetime | None = None,
) -> Proposal:
    """Contacts with the deputy before, during and after handling (办前、办中、办后沟通). The
    summary is correspondence, read like the reply; the history notes only that it happened."""
    step = await begin(proposal_id, version, "contact", caller)
    problems = Problems()
    problems.text("channel", channel, max_length=32, required=True)
    problems.text("summary", summary, max_length=TEXT_MAX, required=True)
    when = local(contacted_at) or clock.now()
    if when > clock.now():
        problems.add("contactedAt", "is in the future", "FUTURE_TIME")
    raise_if(problems)
    async with in_transaction() as conn:
        proposal = await commit(
            conn,
            step,
            caller,
            operation="recordProposalContact",
            events=[step.event("contact", data={"phase": phase.value, "channel": channel.strip()})],
        )
        contact = await ContactLog.create(
            proposal_id=proposal_id,
            phase=phase.value,
            channel=channel.strip(),
            summary=summary.strip(),
            contacted_by=caller.actor,
            contacted_at=when,
            using_db=conn,
        )
        await record(caller, "recordProposalContact", contact, using=conn)
    return proposal


# ---- reply and rating ---------------------------------------------------------------------------

CONTACT_MAX = 100


async def reply(
    proposal_id: int,
    version: int,
    caller: Caller,
    *,
    result: ReplyResult,
    body: str,
    reason: str = "",
    contact: str = "",
) -> Proposal:
    """The lead unit's reply (答复). "Cannot be solved" must say why. A reply after its due date
    is recorded as late: that is what per-unit timeliness counts. The contact person (联系人) is
    printed on the reply letter."""
    step = await begin(proposal_id, version, "reply", caller)
    problems = Problems()
    problems.text("body", body, max_length=TEXT_MAX, required=True)
    problems.text("reason", reason, max_length=TEXT_MAX, required=result == ReplyResult.CANNOT_BE_SOLVED)
    problems.text("contact", contact, max_length=CONTACT_MAX)
    raise_if(problems)
    now = clock.now()
    due = step.proposal.reply_due
    late = due is not None and clock.local_date(now) > due
    async with in_transaction() as conn:
        proposal = await commit(
            conn,
            step,
            caller,
            operation="replyToProposal",
            events=[step.event("reply", data={"result": result.value, "late": late})],
            changes={"replied_at": now},
        )
        answer = await ProposalReply.create(
            proposal_id=proposal_id,
            result=result,
            body=body.strip(),
            reason=reason.strip(),
            contact=contact.strip(),
            replied_by=caller.actor,
            replied_at=now,
            late=late,
            using_db=conn,
        )
        await record(caller, "replyToProposal", answer, using=conn)
    return proposal


async def rate(
    proposal_id: int, version: int, caller: Caller, *, rating: Rating, comment: str = ""
) -> Proposal:
    """The author and each co-signer rate the latest reply once (满意 / 基本满意 / 不满意).
    A dissatisfied rating, which must say why, sends the proposal back to HANDLING in the same
    transaction: the re-handling is counted and answered again within a month."""
    # begin refuses anyone but the author and co-signers, and a second rating of the same reply.
    step = await begin(proposal_id, version, "rate", caller)
    deputy_id = require_deputy(caller)
    problems = Problems()
    comment_problem(problems, comment, required=rating == Rating.DISSATISFIED)
    raise_if(problems)
    latest = await ProposalReply.filter(proposal_id=proposal_id).order_by("-id").first()
    if latest is None:
        raise NotFound("ProposalReply", f"of proposal {proposal_id}")
    events = [step.event("rate", data={"rating": rating.value})]
    changes: dict[str, Any] = {}
    if rating == Rating.DISSATISFIED:
        back = workflow.target(step.current, "rehandle", step.proposal.id)
        due = await workflow.deadline_after_months(clock.today(), workflow.REHANDLING_MONTHS)
        count = step.proposal.rehandling_count + 1
        events.append(
            Event(
                "rehandle",
                step.current,
                back,
                "returned for re-handling after a dissatisfied rating",
                {
                    "rehandling": count,
                    "reply_due": {"from": _plain(step.proposal.reply_due), "to": due.isoformat()},
                },
            )
        )
        changes = {"rehandling_count": count, "reply_due": due}
    async with in_transaction() as conn:
        proposal = await commit(
            conn, step, caller, operation="rateProposalReply", events=events, changes=changes
        )
        row = await ProposalRating.create(
            proposal_id=proposal_id,
            reply_id=latest.id,
            deputy_id=deputy_id,
            rating=rating,
            comment=comment.strip(),
            rated_at=clock.now(),
            using_db=conn,
        )
        await record(caller, "rateProposalReply", row, using=conn)
    return proposal
