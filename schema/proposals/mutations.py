"""Mutations of the proposal workflow (建议办理). Each takes the version the caller last read and
returns the payload or a typed error; nothing is written when an error is returned. The workflow
table is `proposalWorkflow`; what the caller may do now is `Proposal.availableActions`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from schema.enums import Rating, ReplyResult
from schema.ids import decode_id
from schema.proposals.enums import ContactPhase
from schema.proposals.errors import ProposalErrors, proposal_error
from schema.proposals.types import HandlingTask, Proposal, as_proposal, as_task
from server.caller import Caller
from server.errors import DomainError
from server.proposals import handling, service
from server.proposals.models import HandlingTask as TaskModel
from server.proposals.models import Proposal as ProposalModel
from server.proposals.vocabulary import ContactPhase as PhaseValue


@strawberry.type
class ProposalPayload:
    proposal: Proposal


@strawberry.type
class HandlingTaskPayload:
    task: HandlingTask
    proposal_id: strawberry.Private[int]

    @strawberry.field(description="The task's proposal, at its new version.")
    async def proposal(self, info: strawberry.Info) -> Proposal | None:
        from schema.proposals.loaders import ProposalByIdLoader

        return await info.context.load(ProposalByIdLoader, self.proposal_id)


ProposalResult = Annotated[ProposalPayload | ProposalErrors, strawberry.union("ProposalResult")]
HandlingTaskResult = Annotated[HandlingTaskPayload | ProposalErrors, strawberry.union("HandlingTaskResult")]

VERSION = "The version you last read; a stale one is a CONFLICT."


@strawberry.input(description="A new draft proposal; you are its author.")
class CreateProposalInput:
    congress_term: int = strawberry.field(description="e.g. 16 for the 16th congress")
    session: int = strawberry.field(description="e.g. 7 for its 7th session")
    title: str
    summary: str = ""
    body: str = ""
    category: str = ""
    cosigner_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Deputies co-signing (附议)."
    )


@strawberry.input(description="Changes to your draft: only the fields given change.")
class UpdateProposalInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    title: str | None = None
    summary: str | None = None
    body: str | None = None
    category: str | None = None
    cosigner_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Replaces the co-signers."
    )


@strawberry.input(description="A workflow step that needs nothing but an optional comment.")
class ProposalStepInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    comment: str = ""


@strawberry.input(description="Hand a registered proposal to its handling units (交办).")
class AssignProposalInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    lead_unit_id: strawberry.ID = strawberry.field(description="The lead unit (牵头单位), a Department.")
    co_handling_unit_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Co-handling units (协办单位); each owes an opinion in 1 month."
    )
    reply_due: date | None = strawberry.field(
        default=None, description="Defaults to 3 months after assignment; not in the past."
    )
    comment: str = ""


@strawberry.input(description="Bring a due date forward (urgent proposals sooner).")
class SetProposalDeadlineInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    due: date
    unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="A co-handling unit (Department): moves its opinion due date instead."
    )
    comment: str = ""


@strawberry.input(description="Move a due date later: an extension, with its reason recorded.")
class ExtendProposalDeadlineInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    due: date
    reason: str
    unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="A co-handling unit (Department): extends its opinion due date instead."
    )


@strawberry.input
class FlagKeySupervisionInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    key_supervision: bool
    comment: str = ""


@strawberry.input(description="The lead unit's work plan (办理工作方案); a new one revises it.")
class HandlingPlanInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    plan: str


@strawberry.input(description="A co-handling unit's opinion (协办意见), as the lead unit received it.")
class UnitOpinionInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    unit_id: strawberry.ID
    opinion: str


@strawberry.input(description="A new row of the task breakdown table.")
class CreateHandlingTaskInput:
    proposal_id: strawberry.ID
    version: int = strawberry.field(description="The proposal's version you last read.")
    title: str
    responsible_unit_id: strawberry.ID
    due_on: date = strawberry.field(description="Not in the past.")
    notes: str = ""


@strawberry.input(description="Changes to a task: only the fields given change.")
class UpdateHandlingTaskInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The task's version you last read.")
    title: str | None = None
    responsible_unit_id: strawberry.ID | None = None
    due_on: date | None = strawberry.field(default=None, description="Later than now: say why in comment.")
    progress: int | None = strawberry.field(default=None, description="0–100; 100 marks the task done.")
    notes: str | None = None
    comment: str = ""


@strawberry.input(description="A contact with the deputy (沟通记录).")
class RecordProposalContactInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    phase: ContactPhase
    channel: str = strawberry.field(description="e.g. phone, visit, meeting")
    summary: str
    contacted_at: datetime | None = strawberry.field(default=None, description="Defaults to now.")


@strawberry.input(description="The lead unit's reply (答复).")
class ReplyToProposalInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    result: ReplyResult
    body: str
    reason: str = strawberry.field(default="", description="Required for CANNOT_BE_SOLVED.")
    contact: str = strawberry.field(
        default="",
        description="联系人: the handling staff member and work phone, printed on the reply letter "
        "(at most 100 characters).",
    )


@strawberry.input(description="Your rating of the latest reply, as its author or a co-signer.")
class RateProposalReplyInput:
    id: strawberry.ID
    version: int = strawberry.field(description=VERSION)
    rating: Rating
    comment: str = strawberry.field(default="", description="Required when DISSATISFIED.")


def _caller(info: strawberry.Info) -> Caller:
    return info.context.caller


def _pid(value: strawberry.ID, field: str = "id") -> int:
    return decode_id(value, "Proposal", field)


def _dept(value: strawberry.ID | None, field: str) -> int | None:
    return None if value is None else decode_id(value, "Department", field)


def _deputies(values: list[strawberry.ID] | None) -> list[int] | None:
    return None if values is None else [decode_id(v, "Deputy", "cosignerIds") for v in values]


async def _proposal(run: Callable[[], Awaitable[ProposalModel]]) -> ProposalResult:
    try:
        proposal = await run()
    except DomainError as exc:
        return proposal_error(exc)
    return ProposalPayload(proposal=as_proposal(proposal))


async def _task(run: Callable[[], Awaitable[TaskModel]]) -> HandlingTaskResult:
    try:
        task = await run()
    except DomainError as exc:
        return proposal_error(exc)
    return HandlingTaskPayload(task=as_task(task), proposal_id=task.proposal_id)


@strawberry.type
class ProposalsMutation:
    @strawberry.mutation(description="Draft a proposal as its author. Needs own_proposal:create.")
    async def create_proposal(self, info: strawberry.Info, input: CreateProposalInput) -> ProposalResult:
        async def run() -> ProposalModel:
            data = service.DraftData(
                congress_term=input.congress_term,
                session=input.session,
                title=input.title,
                summary=input.summary,
                body=input.body,
                category=input.category,
                cosigner_ids=_deputies(input.cosigner_ids),
            )
            return await service.create_proposal(data, _caller(info))

        return await _proposal(run)

    @strawberry.mutation(description="Change your draft (DRAFT only). Needs own_proposal:update.")
    async def update_proposal(self, info: strawberry.Info, input: UpdateProposalInput) -> ProposalResult:
        async def run() -> ProposalModel:
            data = service.DraftData(
                title=input.title,
                summary=input.summary,
                body=input.body,
                category=input.category,
                cosigner_ids=_deputies(input.cosigner_ids),
            )
            return await service.update_proposal(_pid(input.id), input.version, data, _caller(info))

        return await _proposal(run)

    @strawberry.mutation(description="DRAFT → SUBMITTED (提交). Needs own_proposal:submit.")
    async def submit_proposal(self, info: strawberry.Info, input: ProposalStepInput) -> ProposalResult:
        return await _proposal(
            lambda: service.submit_proposal(_pid(input.id), input.version, input.comment, _caller(info))
        )

    @strawberry.mutation(description="DRAFT or SUBMITTED → WITHDRAWN (撤回). Needs own_proposal:withdraw.")
    async def withdraw_proposal(self, info: strawberry.Info, input: ProposalStepInput) -> ProposalResult:
        return await _proposal(
            lambda: service.withdraw_proposal(_pid(input.id), input.version, input.comment, _caller(info))
        )

    @strawberry.mutation(description="SUBMITTED → REGISTERED (登记). Needs proposal:register.")
    async def register_proposal(self, info: strawberry.Info, input: ProposalStepInput) -> ProposalResult:
        return await _proposal(
            lambda: service.register_proposal(_pid(input.id), input.version, input.comment, _caller(info))
        )

    @strawberry.mutation(
        description="REGISTERED → ASSIGNED (交办): a lead unit and co-handling units; the reply is due "
        "3 months later unless replyDue says otherwise. Needs proposal:assign."
    )
    async def assign_proposal(self, info: strawberry.Info, input: AssignProposalInput) -> ProposalResult:
        async def run() -> ProposalModel:
            lead = decode_id(input.lead_unit_id, "Department", "leadUnitId")
            return await service.assign_proposal(
                _pid(input.id),
                input.version,
                _caller(info),
                lead_unit_id=lead,
                co_handling_unit_ids=[
                    decode_id(v, "Department", "coHandlingUnitIds") for v in input.co_handling_unit_ids
                ],
                reply_due=input.reply_due,
                comment=input.comment,
            )

        return await _proposal(run)

    @strawberry.mutation(
        description="Bring the reply (or a co-handler's opinion) due date forward. A later date is an "
        "extension: use extendProposalDeadline. Needs proposal:set_deadline."
    )
    async def set_proposal_deadline(
        self, info: strawberry.Info, input: SetProposalDeadlineInput
    ) -> ProposalResult:
        return await _proposal(
            lambda: service.set_deadline(
                _pid(input.id),
                input.version,
                _caller(info),
                due=input.due,
                unit_id=_dept(input.unit_id, "unitId"),
                comment=input.comment,
            )
        )

    @strawberry.mutation(
        description="Extend the reply (or a co-handler's opinion) due date, with a reason. "
        "Needs proposal:extend_deadline."
    )
    async def extend_proposal_deadline(
        self, info: strawberry.Info, input: ExtendProposalDeadlineInput
    ) -> ProposalResult:
        return await _proposal(
            lambda: service.extend_deadline(
                _pid(input.id),
                input.version,
                _caller(info),
                due=input.due,
                reason=input.reason,
                unit_id=_dept(input.unit_id, "unitId"),
            )
        )

    @strawberry.mutation(
        description="Flag or unflag key supervision (重点督办). Needs proposal:flag_supervision."
    )
    async def flag_key_supervision(
        self, info: strawberry.Info, input: FlagKeySupervisionInput
    ) -> ProposalResult:
        return await _proposal(
            lambda: service.flag_supervision(
                _pid(input.id),
                input.version,
                _caller(info),
                key_supervision=input.key_supervision,
                comment=input.comment,
            )
        )

    @strawberry.mutation(
        description="The lead unit's work plan: ASSIGNED → HANDLING, or a revision while HANDLING. "
        "Needs proposal:plan, as staff of the lead unit."
    )
    async def submit_handling_plan(self, info: strawberry.Info, input: HandlingPlanInput) -> ProposalResult:
        return await _proposal(
            lambda: handling.submit_plan(_pid(input.id), input.version, input.plan, _caller(info))
        )

    @strawberry.mutation(
        description="Record a co-handling unit's opinion. Needs proposal:plan, as staff of the lead unit."
    )
    async def record_unit_opinion(self, info: strawberry.Info, input: UnitOpinionInput) -> ProposalResult:
        async def run() -> ProposalModel:
            unit = decode_id(input.unit_id, "Department", "unitId")
            return await handling.record_opinion(
                _pid(input.id), input.version, unit, input.opinion, _caller(info)
            )

        return await _proposal(run)

    @strawberry.mutation(
        description="Add a row to the task breakdown table (HANDLING). Needs handling_task:create, as "
        "staff of the lead unit; takes and moves the proposal's version."
    )
    async def create_handling_task(
        self, info: strawberry.Info, input: CreateHandlingTaskInput
    ) -> HandlingTaskResult:
        async def run() -> Any:
            unit = decode_id(input.responsible_unit_id, "Department", "responsibleUnitId")
            return await handling.create_task(
                _pid(input.proposal_id, "proposalId"),
                input.version,
                _caller(info),
                title=input.title,
                responsible_unit_id=unit,
                due_on=input.due_on,
                notes=input.notes,
            )

        return await _task(run)

    @strawberry.mutation(
        description="Update a task: progress, due date, notes… Needs handling_task:update, as staff of "
        "the lead unit."
    )
    async def update_handling_task(
        self, info: strawberry.Info, input: UpdateHandlingTaskInput
    ) -> HandlingTaskResult:
        async def run() -> Any:
            changes = handling.TaskChanges(
                title=input.title,
                responsible_unit_id=_dept(input.responsible_unit_id, "responsibleUnitId"),
                due_on=input.due_on,
                progress=input.progress,
                notes=input.notes,
            )
            task_id = decode_id(input.id, "HandlingTask", "id")
            return await handling.update_task(
                task_id, input.version, changes, _caller(info), comment=input.comment
            )

        return await _task(run)

    @strawberry.mutation(
        description="Log a contact with the deputy. Needs proposal:contact, as staff of the lead unit."
    )
    async def record_proposal_contact(
        self, info: strawberry.Info, input: RecordProposalContactInput
    ) -> ProposalResult:
        return await _proposal(
            lambda: handling.record_contact(
                _pid(input.id),
                input.version,
                _caller(info),
                phase=PhaseValue(input.phase),
                channel=input.channel,
                summary=input.summary,
                contacted_at=input.contacted_at,
            )
        )

    @strawberry.mutation(
        description="HANDLING → REPLIED (答复), with a result class; CANNOT_BE_SOLVED needs a reason. "
        "Needs proposal:reply, as staff of the lead unit."
    )
    async def reply_to_proposal(self, info: strawberry.Info, input: ReplyToProposalInput) -> ProposalResult:
        return await _proposal(
            lambda: handling.reply(
                _pid(input.id),
                input.version,
                _caller(info),
                result=input.result,
                body=input.body,
                reason=input.reason,
                contact=input.contact,
            )
        )

    @strawberry.mutation(
        description="Rate the latest reply, once, as the author or a co-signer. DISSATISFIED (with a "
        "comment) sends the proposal back to HANDLING and counts a re-handling. Needs own_proposal:rate."
    )
    async def rate_proposal_reply(
        self, info: strawberry.Info, input: RateProposalReplyInput
    ) -> ProposalResult:
        return await _proposal(
            lambda: handling.rate(
                _pid(input.id), input.version, _caller(info), rating=input.rating, comment=input.comment
            )
        )

    @strawberry.mutation(
        description="REPLIED → CLOSED (办结), once the author has rated the latest reply. "
        "Needs proposal:close."
    )
    async def close_proposal(self, info: strawberry.Info, input: ProposalStepInput) -> ProposalResult:
        return await _proposal(
            lambda: service.close_proposal(_pid(input.id), input.version, input.comment, _caller(info))
        )
