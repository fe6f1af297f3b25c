"""Proposals (代表建议): listing, drafting, and the workflow from submission to closing.

Every change follows the same steps: the proposal must be visible to the caller (else NOT_FOUND);
then access.check: the caller must hold the action's policy line and relation, the version must be
the one the caller last read (else CONFLICT), the transition table must list the action for the
current state, and the data must make it possible (a reply the caller has not rated yet…); then
the input must be valid. Only then one transaction writes the change (guarded by the version
again, for races), its history event(s) and its audit entry. Proposal.availableActions offers
exactly what passes access.check. Handling by the lead
unit (plan, tasks, contacts, reply) and the deputies' ratings are in handling.py.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from server import clock
from server.audit.service import record
from server.authz.authorizer import Authorizer
from server.caller import Caller
from server.clock import local
from server.enums import HandlingUnitRole, ProposalStatus
from server.errors import FieldProblem, Forbidden, NotFound, ValidationFailed
from server.geo.service import within
from server.proposals import access, workflow
from server.proposals.models import (
    Deputy,
    Proposal,
    ProposalCosigner,
    ProposalEvent,
    ProposalUnit,
)
from server.staff.models import Department
from server.validation import Problems
from server.workflow_step import load_visible, write_step

TITLE_MAX = 300
TEXT_MAX = 20_000
COMMENT_MAX = 2_000


def list_proposals(
    *,
    visible: Q,
    status: str | None = None,
    within_id: int | None = None,
    key_supervision: bool | None = None,
    search: str | None = None,
    submitted_from: datetime | None = None,
    submitted_to: datetime | None = None,
    author_id: int | None = None,
    cosigner_id: int | None = None,
) -> QuerySet[Proposal]:
    submitted_from, submitted_to = local(submitted_from), local(submitted_to)
    if submitted_from and submitted_to and submitted_from > submitted_to:
        raise ValidationFailed(problems=[FieldProblem("submittedTo", "is before submittedFrom", "BAD_RANGE")])
    query = Proposal.filter(visible)
    if status is not None:
        query = query.filter(status=status)
    if within_id is not None:
        query = query.filter(within("jurisdiction", within_id))
    if key_supervision is not None:
        query = query.filter(key_supervision=key_supervision)
    if search:
        query = query.filter(Q(number__icontains=search) | Q(title__icontains=search))
    if submitted_from is not None:
        query = query.filter(submitted_at__gte=submitted_from)
    if submitted_to is not None:
        query = query.filter(submitted_at__lt=submitted_to)
    if author_id is not None:
        query = query.filter(author_id=author_id)
    if cosigner_id is not None:  # one cosigner row per (proposal, deputy): no duplicates
        query = query.filter(cosigners__deputy_id=cosigner_id)
    return query


def list_deputies(*, search: str | None = None, within_id: int | None = None) -> QuerySet[Deputy]:
    """Deputies, e.g. to choose co-signers from: reference data, the same for everyone who reads
    reference data."""
    query = Deputy.all()
    if search:
        query = query.filter(Q(name__icontains=search) | Q(delegation__icontains=search))
    if within_id is not None:
        query = query.filter(within("jurisdiction", within_id))
    return query


# ---- the machinery every change goes through ----------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One history entry to write with a change."""

    action: str
    from_status: ProposalStatus | None
    to_status: ProposalStatus | None
    comment: str = ""
    data: dict[str, Any] | None = None


async def visible_proposal(proposal_id: int, authz: Authorizer) -> Proposal:
    return await load_visible(Proposal, proposal_id, lambda p: access.may_read(authz, p))


@dataclass
class Step:
    """A change about to happen: the proposal as read, the caller's relation, the target state."""

    proposal: Proposal
    relation: access.Relation
    to: ProposalStatus
    version: int

    @property
    def current(self) -> ProposalStatus:
        return self.proposal.status

    def event(self, action: str, comment: str = "", data: dict[str, Any] | None = None) -> Event:
        return Event(action, self.current, self.to, comment, data)


async def begin(proposal_id: int, version: int, action: str, caller: Caller) -> Step:
    """Visible, then access.check: allowed, current, listed in the table, and possible given the
    data — or the matching typed error. Proposal.availableActions offers what passes the same
    check."""
    proposal = await visible_proposal(proposal_id, caller.authz)
    rel = await access.relation(caller.authz, proposal)
    facts = await access.facts_for(proposal, {action})
    access.check(caller.authz, proposal, action, rel, facts, version=version)
    return Step(proposal, rel, workflow.target(proposal.status, action, proposal.id), version)


async def commit(
    conn: BaseDBAsyncClient,
    step: Step,
    caller: Caller,
    *,
    operation: str,
    events: list[Event],
    changes: dict[str, Any] | None = None,
) -> Proposal:
    """Write the change under the version guard, then its events and audit entry, in `conn`'s
    transaction (server.workflow_step). Zero rows updated means someone else got there first:
    CONFLICT, and the transaction (with anything written before) rolls back."""
    proposal = step.proposal
    values = dict(changes or {})
    target = events[-1].to_status if events else step.to
    if target is not None and target != proposal.status:
        values["status"] = target

    async def history(conn: BaseDBAsyncClient, fresh: Proposal) -> None:
        at = clock.now()
        for event in events:
            await write_event(conn, proposal.id, caller.actor, event, at)

    return await write_step(
        conn, proposal, step.version, caller, operation=operation, changes=values, history=history
    )


async def write_event(
    conn: BaseDBAsyncClient,
    proposal_id: int,
    actor: str,
    event: Event,
    at: datetime,
    task_id: int | None = None,
    task_from: str | None = None,
    task_to: str | None = None,
) -> None:
    await ProposalEvent.create(
        proposal_id=proposal_id,
        task_id=task_id,
        actor=actor,
        action=event.action,
        from_status=task_from if task_id else (event.from_status.value if event.from_status else None),
        to_status=task_to if task_id else (event.to_status.value if event.to_status else None),
        comment=event.comment,
        data=event.data,
        at=at,
        using_db=conn,
    )


def comment_problem(problems: Problems, value: str, name: str = "comment", *, required: bool = False) -> None:
    problems.text(name, value, max_length=COMMENT_MAX, required=required)


def raise_if(problems: Problems) -> None:
    if problems:
        raise ValidationFailed(problems=list(problems))


def not_past(problems: Problems, name: str, day: date | None) -> None:
    if day is not None and day < clock.today():
        problems.add(
            name, f"{day.isoformat()} is in the past (today is {clock.today().isoformat()})", "PAST_DATE"
        )


# ---- drafting (the deputy) ------------------------------------------------------------------------


@dataclass
class DraftData:
    """Input for a new draft (congress term, session and title required) or changes to one."""

    congress_term: int | None = None
    session: int | None = None
    title: str | None = None
    summary: str | None = None
    body: str | None = None
    category: str | None = None
    cosigner_ids: list[int] | None = None

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def _check_draft(values: dict[str, Any], problems: Problems, *, creating: bool) -> None:
    for name, label in (("congress_term", "congressTerm"), ("session", "session")):
        value = values.get(name)
        if value is None:
            if creating:
                problems.add(label, "is required", "REQUIRED")
        elif not 1 <= value <= 99:
            problems.add(label, "must be between 1 and 99", "OUT_OF_RANGE")
    title = values.get("title")
    problems.text("title", title, max_length=TITLE_MAX, required=creating or title is not None)
    problems.text("summary", values.get("summary"), max_length=TEXT_MAX)
    problems.text("body", values.get("body"), max_length=TEXT_MAX)
    problems.text("category", values.get("category"), max_length=64)


async def _check_cosigners(ids: list[int] | None, author_id: int, problems: Problems) -> list[int]:
    if ids is None:
        return []
    unique = list(dict.fromkeys(ids))
    if author_id in unique:
        problems.add("cosignerIds", "the author cannot co-sign its own proposal", "INVALID")
    found = set(await Deputy.filter(id__in=unique).values_list("id", flat=True))
    for missing in unique:
        if missing not in found:
            raise NotFound("Deputy", missing)
    return unique


async def _next_number(conn: BaseDBAsyncClient, term: int, session: int) -> str:
    """Numbers run per session: 16-7-0001, 16-7-0002, … (the unique index settles races)."""
    prefix = f"{term}-{session}-"
    # flat=True yields the values themselves; Tortoise types every values_list as tuples
    numbers: list[Any] = (
        await Proposal.filter(number__startswith=prefix).using_db(conn).values_list("number", flat=True)
    )
    last = max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{last + 1:04d}"


async def create_proposal(data: DraftData, caller: Caller) -> Proposal:
    viewer = caller.authz.require_viewer()
    deputy = await Deputy.get_or_none(id=viewer.deputy_id) if viewer.deputy_id is not None else None
    if deputy is None:
        raise Forbidden("Only a deputy (人大代表) can author a proposal.")
    caller.authz.require("own_proposal", "create", deputy.jurisdiction_id)
    values = data.given()
    problems = Problems()
    _check_draft(values, problems, creating=True)
    cosigners = await _check_cosigners(values.pop("cosigner_ids", None), deputy.id, problems)
    raise_if(problems)
    for attempt in range(5):
        try:
            async with in_transaction() as conn:
                proposal = await Proposal.create(
                    **values,
                    number=await _next_number(conn, values["congress_term"], values["session"]),
                    status=ProposalStatus.DRAFT,
                    jurisdiction_id=deputy.jurisdiction_id,
                    author_id=deputy.id,
                    using_db=conn,
                )
                for deputy_id in cosigners:
                    await ProposalCosigner.create(proposal_id=proposal.id, deputy_id=deputy_id, using_db=conn)
                await write_event(
                    conn,
                    proposal.id,
                    caller.actor,
                    Event(
                        "create",
                        None,
                        ProposalStatus.DRAFT,
                        data={"cosigners": cosigners} if cosigners else None,
                    ),
                    clock.now(),
                )
                await record(caller, "createProposal", proposal, using=conn)
            return proposal
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


async def update_proposal(proposal_id: int, version: int, data: DraftData, caller: Caller) -> Proposal:
    step = await begin(proposal_id, version, "update", caller)
    changes = data.given()
    problems = Problems()
    _check_draft(changes, problems, creating=False)
    cosigner_ids = changes.pop("cosigner_ids", None)
    cosigners = await _check_cosigners(cosigner_ids, step.proposal.author_id, problems)
    if not changes and cosigner_ids is None:
        problems.add("id", "nothing to change", "NO_CHANGES")
    raise_if(problems)
    async with in_transaction() as conn:
        proposal = await commit(
            conn,
            step,
            caller,
            operation="updateProposal",
            events=[
                step.event(
                    "update",
                    data={"fields": sorted(changes)}
                    | ({"cosigners": cosigners} if cosigner_ids is not None else {}),
                )
            ],
            changes=changes,
        )
        if cosigner_ids is not None:
            await ProposalCosigner.filter(proposal_id=proposal_id).using_db(conn).delete()
            for deputy_id in cosigners:
                await ProposalCosigner.create(proposal_id=proposal_id, deputy_id=deputy_id, using_db=conn)
    return proposal


async def _commented_step(
    proposal_id: int,
    version: int,
    action: str,
    operation: str,
    comment: str,
    caller: Caller,
    *,
    stamp: str | None = None,
) -> Proposal:
    """A step whose only input is an optional comment; `stamp` names the column that records
    when it happened (submitted_at, registered_at, closed_at)."""
    step = await begin(proposal_id, version, action, caller)
    problems = Problems()
    comment_problem(problems, comment)
    raise_if(problems)
    async with in_transaction() as conn:
        return await commit(
            conn,
            step,
            caller,
            operation=operation,
            events=[step.event(action, comment)],
            changes={stamp: clock.now()} if stamp else None,
        )


async def submit_proposal(proposal_id: int, version: int, comment: str, caller: Caller) -> Proposal:
    return await _commented_step(
        proposal_id, version, "submit", "submitProposal", comment, caller, stamp="submitted_at"
    )


async def withdraw_proposal(proposal_id: int, version: int, comment: str, caller: Caller) -> Proposal:
    return await _commented_step(proposal_id, version, "withdraw", "withdrawProposal", comment, caller)


# ---- registering, assigning, deadlines, supervision (the standing committee) ---------------------


async def register_proposal(proposal_id: int, version: int, comment: str, caller: Caller) -> Proposal:
    return await _commented_step(
        proposal_id, version, "register", "registerProposal", comment, caller, stamp="registered_at"
    )


async def _departments(ids: list[int]) -> dict[int, Department]:
    found = {d.id: d for d in await Department.filter(id__in=ids)}
    for missing in ids:
        if missing not in found:
            raise NotFound("Department", missing)
    return found


async def assign_proposal(
    proposal_id: int,
    version: int,
    caller: Caller,
    *,
    lead_unit_id: int,
    co_handling_unit_ids: list[int],
    reply_due: date | None = None,
    comment: str = "",
) -> Proposal:
    """Hand the proposal to a lead unit (牵头单位) and co-handling units (协办单位). The reply is due
    3 months after assignment unless the committee sets a date (urgent ones sooner); each
    co-handler's opinion 1 month after, and never after the reply."""
    step = await begin(proposal_id, version, "assign", caller)
    problems = Problems()
    comment_problem(problems, comment)
    co_ids = list(dict.fromkeys(co_handling_unit_ids))
    if len(co_ids) != len(co_handling_unit_ids):
        problems.add("coHandlingUnitIds", "names a unit twice", "DUPLICATE")
    if lead_unit_id in co_ids:
        problems.add("coHandlingUnitIds", "the lead unit cannot also co-handle", "INVALID")
    not_past(problems, "replyDue", reply_due)
    raise_if(problems)
    units = await _departments([lead_unit_id, *co_ids])
    today = clock.today()
    due = reply_due or await workflow.deadline_after_months(today, workflow.REPLY_MONTHS)
    opinion_due = min(await workflow.deadline_after_months(today, workflow.OPINION_MONTHS), due)
    async with in_transaction() as conn:
        proposal = await commit(
            conn,
            step,
            caller,
            operation="assignProposal",
            events=[
                step.event(
                    "assign",
                    comment,
                    {
                        "lead": units[lead_unit_id].code,
                        "co_handling": [units[i].code for i in co_ids],
                        "reply_due": due.isoformat(),
                        "opinion_due": opinion_due.isoformat() if co_ids else None,
                    },
                )
            ],
            changes={"assigned_at": clock.now(), "reply_due": due},
        )
        await ProposalUnit.create(
            proposal_id=proposal_id, department_id=lead_unit_id, role=HandlingUnitRole.LEAD, using_db=conn
        )
        for unit_id in co_ids:
            await ProposalUnit.create(
                proposal_id=proposal_id,
                department_id=unit_id,
                role=HandlingUnitRole.CO_HANDLING,
                opinion_due=opinion_due,
                using_db=conn,
            )
    return proposal


async def co_handling_unit(proposal_id: int, department_id: int) -> ProposalUnit:
    unit = await ProposalUnit.get_or_none(
        proposal_id=proposal_id, department_id=department_id, role=HandlingUnitRole.CO_HANDLING
    )
    if unit is None:
        raise ValidationFailed(
            problems=[FieldProblem("unitId", "is not a co-handling unit of this proposal", "NOT_A_UNIT")]
        )
    return unit


async def _move_deadline(
    proposal_id: int,
    version: int,
    caller: Caller,
    *,
    action: str,
    due: date,
    unit_id: int | None,
    comment: str,
) -> Proposal:
    """set_deadline may only bring a date forward (urgent ones sooner); extend_deadline may only
    push it back, with a reason. Either way the old and new dates go into the history."""
    extending = action == "extend_deadline"
    step = await begin(proposal_id, version, action, caller)
    problems = Problems()
    comment_problem(problems, comment, "reason" if extending else "comment", required=extending)
    not_past(problems, "due", due)
    unit = await co_handling_unit(proposal_id, unit_id) if unit_id is not None else None
    reply_due = step.proposal.reply_due
    current = unit.opinion_due if unit is not None else reply_due
    if current is not None and not problems:
        if extending and due <= current:
            problems.add(
                "due", f"an extension must be later than the current {current.isoformat()}", "NOT_LATER"
            )
        elif not extending and due > current:
            problems.add(
                "due",
                f"{due.isoformat()} is later than the current {current.isoformat()}: "
                "an extension needs extendProposalDeadline and a reason",
                "EXTENSION_NEEDS_ACTION",
            )
        elif not extending and due == current:
            problems.add("due", "is the current due date already", "NO_CHANGES")
    if unit is not None and reply_due is not None and due > reply_due:
        problems.add(
            "due", f"an opinion cannot be due after the reply ({reply_due.isoformat()})", "AFTER_REPLY"
        )
    raise_if(problems)
    data: dict[str, Any] = {"from": current.isoformat() if current else None, "to": due.isoformat()}
    async with in_transaction() as conn:
        if unit is not None:
            department = await Department.get(id=unit.department_id)
            data["unit"] = department.code
            proposal = await commit(
                conn, step, caller, operation=_OPERATIONS[action], events=[step.event(action, comment, data)]
            )
            await ProposalUnit.filter(id=unit.id).using_db(conn).update(opinion_due=due)
            return proposal
        proposal = await commit(
            conn,
            step,
            caller,
            operation=_OPERATIONS[action],
            events=[step.event(action, comment, data)],
            changes={"reply_due": due},
        )
        # A co-handler's opinion is never due after the reply it feeds into.
        await (
            ProposalUnit.filter(
                proposal_id=proposal_id, role=HandlingUnitRole.CO_HANDLING, opinion_due__gt=due
            )
            .using_db(conn)
            .update(opinion_due=due)
        )
        return proposal


_OPERATIONS = {"set_deadline": "setProposalDeadline", "extend_deadline": "extendProposalDeadline"}


async def set_deadline(
    proposal_id: int,
    version: int,
    caller: Caller,
    *,
    due: date,
    unit_id: int | None = None,
    comment: str = "",
) -> Proposal:
    return await _move_deadline(
        proposal_id, version, caller, action="set_deadline", due=due, unit_id=unit_id, comment=comment
    )


async def extend_deadline(
    proposal_id: int, version: int, caller: Caller, *, due: date, reason: str, unit_id: int | None = None
) -> Proposal:
    return await _move_deadline(
        proposal_id, version, caller, action="extend_deadline", due=due, unit_id=unit_id, comment=reason
    )


async def flag_supervision(
    proposal_id: int, version: int, caller: Caller, *, key_supervision: bool, comment: str = ""
) -> Proposal:
    """Key supervision (重点督办): the committee follows the proposal closely."""
    step = await begin(proposal_id, version, "flag_supervision", caller)
    problems = Problems()
    comment_problem(problems, comment)
    if step.proposal.key_supervision == key_supervision:
        problems.add("keySupervision", f"is already {str(key_supervision).lower()}", "NO_CHANGES")
    raise_if(problems)
    async with in_transaction() as conn:
        return await commit(
            conn,
            step,
            caller,
            operation="flagKeySupervision",
            events=[step.event("flag_supervision", comment, {"key_supervision": key_supervision})],
            changes={"key_supervision": key_supervision},
        )


async def close_proposal(proposal_id: int, version: int, comment: str, caller: Caller) -> Proposal:
    """Closing (办结) follows the author's rating of the latest reply (access.check): a deputy's
    dissatisfaction would have sent it back already, silence is not yet an answer."""
    return await _commented_step(
        proposal_id, version, "close", "closeProposal", comment, caller, stamp="closed_at"
    )


def require_deputy(caller: Caller) -> int:
    viewer = caller.authz.require_viewer()
    if viewer.deputy_id is None:
        raise Forbidden("Only a deputy (人大代表) can do this.")
    return viewer.deputy_id
