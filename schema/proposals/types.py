from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry import relay

from schema.attachments.loaders import AttachmentsByProposalLoader
from schema.attachments.types import Attachment, visible_attachments
from schema.enums import HandlingUnitRole, ProposalStatus, Rating, ReplyResult, ResolutionMethod, TaskStatus
from schema.geo.loaders import JurisdictionByIdLoader
from schema.geo.types import Jurisdiction
from schema.planner.fields import NotPlanned, planned
from schema.proposals.enums import ContactPhase, Timeliness
from schema.proposals.loaders import (
    ContactsByProposalLoader,
    CosignersByProposalLoader,
    DeputyByIdLoader,
    EventsByProposalLoader,
    EventsByTaskLoader,
    ProposalByIdLoader,
    RatersOfLatestReplyByProposalLoader,
    RatingsByProposalLoader,
    RatingsByReplyLoader,
    RepliesByProposalLoader,
    TasksByProposalLoader,
    TicketFiguresByStationLoader,
    UnitsByProposalLoader,
)
from schema.rows import RowType
from schema.staff.loaders import DepartmentByIdLoader
from schema.staff.types import Department
from schema.stations.loaders import StationsByProposalLoader
from server import clock
from server import enums as domain_enums
from server.enums import label_zh
from server.errors import Forbidden
from server.proposals import access, models, outcomes, supervision, workflow
from server.proposals.handling import proposal_progress
from server.proposals.vocabulary import RESULT_CLASSES, label
from server.proposals.vocabulary import ContactPhase as PhaseValue

if TYPE_CHECKING:
    from schema.stations.types import Station

StationRef = Annotated["Station", strawberry.lazy("schema.stations.types")]


@strawberry.type(description="A people's congress deputy (人大代表).")
class Deputy(RowType, relay.Node):
    row_model = models.Deputy

    id: relay.NodeID[int]
    name: str
    delegation: str = strawberry.field(description="代表团, e.g. 长安镇代表团")

    @strawberry.field(description="Where the deputy was elected.")
    def jurisdiction(self, root: strawberry.Parent[models.Deputy], info: strawberry.Info) -> Jurisdiction:
        return info.context.load(JurisdictionByIdLoader, root.jurisdiction_id)


@strawberry.type(description="One entry of a proposal's history. Never changed once written.")
class ProposalEvent:
    actor: str
    action: str = strawberry.field(
        description="A workflow action (see proposalWorkflow), create, or issue_letter (the reply "
        "letter issued)."
    )
    comment: str
    at: datetime

    @strawberry.field(description="The proposal's status before; null for its creation.")
    def from_status(self, root: strawberry.Parent[models.ProposalEvent]) -> ProposalStatus | None:
        return domain_enums.ProposalStatus(root.from_status) if root.from_status else None

    @strawberry.field(description="The proposal's status after.")
    def to_status(self, root: strawberry.Parent[models.ProposalEvent]) -> ProposalStatus | None:
        return domain_enums.ProposalStatus(root.to_status) if root.to_status else None

    @strawberry.field(
        description="For a rate entry, the rating given (满意 / 基本满意 / 不满意); null for other "
        "entries and for callers who do not read the proposal's correspondence (like its replies)."
    )
    async def rating(
        self, root: strawberry.Parent[models.ProposalEvent], info: strawberry.Info
    ) -> Rating | None:
        row = await _rating_of(info, root)
        return row.rating if row is not None else None

    @strawberry.field(description="Chinese label of the rating, e.g. 满意; null as rating is.")
    async def rating_label(
        self, root: strawberry.Parent[models.ProposalEvent], info: strawberry.Info
    ) -> str | None:
        row = await _rating_of(info, root)
        return label(row.rating) if row is not None else None

    @strawberry.field(description="For a rate entry, the deputy's comment on the reply; null as rating is.")
    async def rating_comment(
        self, root: strawberry.Parent[models.ProposalEvent], info: strawberry.Info
    ) -> str | None:
        row = await _rating_of(info, root)
        return row.comment if row is not None else None


async def _rating_of(info: strawberry.Info, event: models.ProposalEvent) -> models.ProposalRating | None:
    """The rating a rate entry recorded. Each rating writes exactly one rate entry in its own
    transaction and neither is ever changed or deleted, so the n-th rate entry of a proposal is its
    n-th rating."""
    if event.action != "rate":
        return None
    ratings = await info.context.load(RatingsByProposalLoader, event.proposal_id)
    if not ratings:
        return None
    events = await info.context.load(EventsByProposalLoader, event.proposal_id)
    rates = [ev.id for ev in events if ev.action == "rate"]
    index = rates.index(event.id) if event.id in rates else -1
    return ratings[index] if 0 <= index < len(ratings) else None


@strawberry.type(description="One entry of a handling task's history. Never changed once written.")
class HandlingTaskEvent:
    actor: str
    action: str = strawberry.field(description="create_task or update_task.")
    comment: str
    at: datetime

    @strawberry.field(description="The task's status before; null for its creation.")
    def from_status(self, root: strawberry.Parent[models.ProposalEvent]) -> TaskStatus | None:
        return domain_enums.TaskStatus(root.from_status) if root.from_status else None

    @strawberry.field(description="The task's status after.")
    def to_status(self, root: strawberry.Parent[models.ProposalEvent]) -> TaskStatus | None:
        return domain_enums.TaskStatus(root.to_status) if root.to_status else None


@strawberry.type(description="A row of the task breakdown table (任务分解表).")
class HandlingTask(RowType, relay.Node):
    row_model = models.HandlingTask

    id: relay.NodeID[int]
    title: str
    due_on: date
    progress: int = strawberry.field(description="0–100")
    status: TaskStatus = strawberry.field(
        description="Follows progress: 0 NOT_STARTED, 1–99 IN_PROGRESS, 100 DONE."
    )
    notes: str
    completed_at: datetime | None
    version: int = strawberry.field(description="Pass back when updating: optimistic concurrency.")

    @strawberry.field(description="Chinese label of the status, e.g. 推进中.")
    def status_label(self) -> str | None:
        return label(self.status)

    @strawberry.field(description="Not done and past its due date (超期).")
    def overdue(self) -> bool:
        return self.status != domain_enums.TaskStatus.DONE and self.due_on < clock.today()

    @strawberry.field
    def responsible_unit(
        self, root: strawberry.Parent[models.HandlingTask], info: strawberry.Info
    ) -> Department:
        return info.context.load(DepartmentByIdLoader, root.responsible_unit_id)

    @strawberry.field(description="The proposal this task belongs to.")
    def proposal(
        self, root: strawberry.Parent[models.HandlingTask], info: strawberry.Info
    ) -> Proposal | None:
        return info.context.load(ProposalByIdLoader, root.proposal_id)

    @strawberry.field(description="Everything that happened to the task, oldest first.")
    def history(self, info: strawberry.Info) -> list[HandlingTaskEvent]:
        return info.context.load(EventsByTaskLoader, self.id)


@strawberry.type(description="A lead (牵头) or co-handling (协办) unit of a proposal.")
class ProposalUnit:
    role: HandlingUnitRole
    opinion_due: date | None = strawberry.field(description="A co-handling unit's opinion is due by then.")
    opinion_at: datetime | None = strawberry.field(description="When the co-handling unit's opinion came.")
    opinion: str

    @strawberry.field(description="牵头单位 or 协办单位.")
    def role_label(self) -> str | None:
        return label(self.role)

    @strawberry.field
    def department(self, root: strawberry.Parent[models.ProposalUnit], info: strawberry.Info) -> Department:
        return info.context.load(DepartmentByIdLoader, root.department_id)

    @strawberry.field(
        description="Did the unit answer by its due date? The lead unit answers with the reply "
        "(due replyDue), a co-handling unit with its opinion (due opinionDue)."
    )
    async def timeliness(
        self, root: strawberry.Parent[models.ProposalUnit], info: strawberry.Info
    ) -> Timeliness | None:
        proposal = await info.context.load(ProposalByIdLoader, root.proposal_id)
        if proposal is None:
            return None
        return supervision.timeliness(
            role=self.role,
            opinion_due=self.opinion_due,
            opinion_at=self.opinion_at,
            status=proposal.status,
            reply_due=proposal.reply_due,
            replied_at=proposal.replied_at,
            today=clock.today(),
        )


@strawberry.type(description="A deputy's rating of a reply (满意 / 基本满意 / 不满意).")
class ProposalRating:
    rating: Rating
    comment: str
    rated_at: datetime

    @strawberry.field
    def rating_label(self) -> str | None:
        return label(self.rating)

    @strawberry.field
    def deputy(self, root: strawberry.Parent[models.ProposalRating], info: strawberry.Info) -> Deputy | None:
        return info.context.load(DeputyByIdLoader, root.deputy_id)


@strawberry.type(
    description="The lead unit's reply (答复). Read by the proposal's author and co-signers and by "
    "staff who read internal proposal data."
)
class ProposalReply:
    result: ReplyResult
    body: str
    reason: str = strawberry.field(description="Why it cannot be solved, for CANNOT_BE_SOLVED.")
    replied_by: str
    replied_at: datetime
    late: bool = strawberry.field(description="Given after the reply due date.")
    contact: str = strawberry.field(description="联系人: the contact person printed on the reply letter.")

    @strawberry.field(description="Chinese label of the result, e.g. 已解决.")
    def result_label(self) -> str | None:
        return label(self.result)

    @strawberry.field(
        description="The result class on the reply letter: A (solved or adopted), B (being solved or "
        "planned), C (cannot be solved for now)."
    )
    def result_class(self) -> str:
        return RESULT_CLASSES[self.result].mark

    @strawberry.field(description="Whether the reply letter (答复函) has been issued (issueReplyLetter).")
    def letter_issued(self, root: strawberry.Parent[models.ProposalReply]) -> bool:
        return root.letter_docx_id is not None

    @strawberry.field(description="The deputies' ratings of this reply.")
    def ratings(
        self, root: strawberry.Parent[models.ProposalReply], info: strawberry.Info
    ) -> list[ProposalRating]:
        return info.context.load(RatingsByReplyLoader, root.id)


@strawberry.type(description="A contact with the deputy before, during or after handling.")
class ProposalContact:
    channel: str = strawberry.field(description="e.g. phone, visit, meeting")
    summary: str
    contacted_by: str
    contacted_at: datetime

    @strawberry.field
    def phase(self, root: strawberry.Parent[models.ContactLog]) -> ContactPhase:
        return PhaseValue(root.phase)

    @strawberry.field
    def phase_label(self, root: strawberry.Parent[models.ContactLog]) -> str | None:
        return label(PhaseValue(root.phase))


@strawberry.type(description="The lead unit's handling work plan (办理工作方案), latest version.")
class HandlingPlan:
    text: str
    written_by: str
    written_at: datetime
    revision: int = strawberry.field(description="1 for the first plan, +1 per revision.")


@strawberry.type(description="Tickets resolved by one method of the 721 work method.")
class MethodCount:
    method: ResolutionMethod
    label: str | None
    count: int
    share: float | None = strawberry.field(description="Of the resolved tickets, 0–1; null when none.")


@strawberry.type(description="What a station did: its tickets.")
class TicketFigures:
    received: int
    resolved: int
    median_resolution_minutes: float | None = strawberry.field(
        description="Median minutes from registration to resolution; null when none is resolved."
    )
    split: list[MethodCount] = strawberry.field(description="Service / management / enforcement (721).")

    @classmethod
    def of(cls, figures: outcomes.TicketFigures) -> TicketFigures:
        resolved = figures.resolved
        return cls(
            received=figures.received,
            resolved=resolved,
            median_resolution_minutes=figures.median_resolution_minutes,
            split=[
                MethodCount(
                    method=method,
                    label=label_zh(method),
                    count=count,
                    share=round(count / resolved, 4) if resolved else None,
                )
                for method, count in figures.by_method.items()
            ],
        )


async def _credited_stations(info: strawberry.Info, proposal_id: int) -> list[Station]:
    """The stations credited to a proposal, filtered to the caller's scope like the root list;
    refused at its path, as that list is, when the caller may read stations nowhere (an empty list
    would claim that the proposal delivered none)."""
    if info.context.authz.scope("station", "read").empty:
        raise Forbidden("You may not read stations.")
    stations: list[Station] = await info.context.load(StationsByProposalLoader, proposal_id)
    return stations


@strawberry.type(description="A station credited to the proposal, and what it did.")
class StationOutcome:
    station: StationRef

    @strawberry.field(
        description="Its tickets, within your statistics scope. Needs stats:read; otherwise null "
        "with a FORBIDDEN error at this path."
    )
    async def tickets(self, info: strawberry.Info) -> TicketFigures | None:
        figures = await info.context.load(TicketFiguresByStationLoader, self.station.id)
        if figures is None:
            raise Forbidden("You may not read ticket statistics.")
        return TicketFigures.of(figures)


@strawberry.type(description="A deputy's proposal (代表建议) and its handling.")
class Proposal(RowType, relay.Node):
    row_model = models.Proposal

    id: relay.NodeID[int]
    number: str
    congress_term: int
    session: int
    title: str
    summary: str
    body: str
    category: str
    status: ProposalStatus
    key_supervision: bool = strawberry.field(description="Flagged for key supervision (重点督办).")
    submitted_at: datetime | None
    registered_at: datetime | None
    assigned_at: datetime | None
    reply_due: date | None = strawberry.field(
        description="3 months after assignment unless set otherwise; moved later only by an extension."
    )
    replied_at: datetime | None
    closed_at: datetime | None
    rehandling_count: int = strawberry.field(description="Times a dissatisfied rating sent it back.")
    version: int = strawberry.field(description="Pass back with every change: optimistic concurrency.")

    @strawberry.field(description="Chinese label of the status, e.g. 办理中.")
    def status_label(self) -> str | None:
        return label_zh(self.status)

    @strawberry.field(
        description="Documents on the proposal, oldest first: reply letters (REPLY) are listed for those "
        "who read its replies (proposal_internal:read, or its author).",
        metadata=planned(NotPlanned("files with signed links for the caller, not planned")),
    )
    async def attachments(self, info: strawberry.Info) -> list[Attachment]:
        rows = await info.context.load(AttachmentsByProposalLoader, self.id)
        return visible_attachments(rows, info.context.authz, self)

    @strawberry.field(
        description="Internal handling notes. Needs proposal_internal:read (or, for its author, "
        "own_proposal_internal:read); otherwise null with a FORBIDDEN error at this path."
    )
    def internal_notes(self, root: strawberry.Parent[models.Proposal], info: strawberry.Info) -> str | None:
        authz = info.context.authz
        jid = root.jurisdiction_id
        if authz.can("proposal_internal", "read", jid) or (
            authz.owns_proposal(root) and authz.can("own_proposal_internal", "read", jid)
        ):
            return root.internal_notes
        raise Forbidden("Internal notes of this proposal are not yours to read.")

    @strawberry.field(description="A reply is owed and its due date has passed (超期).")
    def overdue(self) -> bool:
        due = self.reply_due
        return self.status in workflow.AWAITING_REPLY and due is not None and due < clock.today()

    @strawberry.field
    def author(self, root: strawberry.Parent[models.Proposal], info: strawberry.Info) -> Deputy:
        return info.context.load(DeputyByIdLoader, root.author_id)

    @strawberry.field(description="Deputies who co-signed the proposal (附议代表).")
    async def cosigners(self, info: strawberry.Info) -> list[Deputy]:
        rows = await info.context.load(CosignersByProposalLoader, self.id)
        deputies = await info.context.loaders.get(DeputyByIdLoader).load_many([r.deputy_id for r in rows])
        return [d for d in deputies if d is not None]

    @strawberry.field
    def jurisdiction(self, root: strawberry.Parent[models.Proposal], info: strawberry.Info) -> Jurisdiction:
        return info.context.load(JurisdictionByIdLoader, root.jurisdiction_id)

    @strawberry.field(description="Lead and co-handling units.")
    def units(self, info: strawberry.Info) -> list[ProposalUnit]:
        return info.context.load(UnitsByProposalLoader, self.id)

    @strawberry.field(description="The lead unit's current work plan; null before there is one.")
    async def handling_plan(self, info: strawberry.Info) -> HandlingPlan | None:
        events = await info.context.load(EventsByProposalLoader, self.id)
        plans = [ev for ev in events if ev.action == "plan"]
        if not plans:
            return None
        latest = plans[-1]
        return HandlingPlan(
            text=latest.comment, written_by=latest.actor, written_at=latest.at, revision=len(plans)
        )

    @strawberry.field(description="The task breakdown table.")
    def tasks(self, info: strawberry.Info) -> list[HandlingTask]:
        return info.context.load(TasksByProposalLoader, self.id)

    @strawberry.field(description="0–100, the mean progress of its tasks; null without tasks.")
    async def progress(self, info: strawberry.Info) -> int | None:
        return proposal_progress(await info.context.load(TasksByProposalLoader, self.id))

    @strawberry.field(
        description="The lead unit's replies, oldest first (more than one after re-handling). Read by "
        "the author, co-signers and staff with proposal_internal:read; empty for others."
    )
    def replies(self, info: strawberry.Info) -> list[ProposalReply]:
        return info.context.load(RepliesByProposalLoader, self.id)

    @strawberry.field(description="Contacts with the deputy (沟通记录); readable like the replies.")
    def contacts(self, info: strawberry.Info) -> list[ProposalContact]:
        return info.context.load(ContactsByProposalLoader, self.id)

    @strawberry.field(
        description="Stations credited to this proposal (what it delivered) that you may see. Null "
        "with a FORBIDDEN error at this path when you may read no stations at all."
    )
    async def stations(self, info: strawberry.Info) -> list[StationRef] | None:
        return await _credited_stations(info, self.id)

    @strawberry.field(
        description="Deputy oversight: each credited station with its ticket figures (received, "
        "resolved, median resolution time, 721 split). A constant number of SQL statements however "
        "many stations there are. Null with a FORBIDDEN error at this path when you may read no "
        "stations at all."
    )
    async def outcomes(self, info: strawberry.Info) -> list[StationOutcome] | None:
        return [StationOutcome(station=s) for s in await _credited_stations(info, self.id)]

    @strawberry.field(description="Everything that happened to the proposal, oldest first.")
    def history(self, info: strawberry.Info) -> list[ProposalEvent]:
        return info.context.load(EventsByProposalLoader, self.id)

    @strawberry.field(
        description="What you may do to the proposal now: the workflow's actions from its status "
        "that your policy lines and your relation to the proposal allow and that the data makes "
        "possible (a reply to rate that you have not rated, a task to update…). Computed by the "
        "same checks the mutations make: an action offered here is refused only for its input or "
        "a change made since."
    )
    async def available_actions(
        self, root: strawberry.Parent[models.Proposal], info: strawberry.Info
    ) -> list[str]:
        ctx = info.context
        actions = set(workflow.allowed_actions(self.status))
        if not actions:
            return []
        cosigners = await ctx.load(CosignersByProposalLoader, self.id)
        units = await ctx.load(UnitsByProposalLoader, self.id)
        lead = next((u.department_id for u in units if u.role == domain_enums.HandlingUnitRole.LEAD), None)
        rel = access.relation_of(
            ctx.authz,
            root,
            cosigner_ids={c.deputy_id for c in cosigners},
            lead_department_id=lead,
        )
        raters = None
        if actions & access.NEEDS_REPLY:
            raters = await ctx.load(RatersOfLatestReplyByProposalLoader, self.id)
        has_tasks = False
        if actions & access.NEEDS_TASKS:
            has_tasks = bool(await ctx.load(TasksByProposalLoader, self.id))
        facts = access.Facts(
            raters_of_latest_reply=raters or frozenset(),
            has_reply=raters is not None,
            has_tasks=has_tasks,
            has_co_handling_units=any(u.role == domain_enums.HandlingUnitRole.CO_HANDLING for u in units),
        )
        return access.permitted_actions(ctx.authz, root, rel, facts)


def as_proposal(row: models.Proposal) -> Proposal:
    """A row where a Proposal is declared (a payload field): the GraphQL layer serves rows as they
    are, and Proposal's is_type_of and resolvers read them (schema.rows)."""
    return cast(Proposal, row)


def as_task(row: models.HandlingTask) -> HandlingTask:
    """A row where a HandlingTask is declared, served as it is (see as_proposal)."""
    return cast(HandlingTask, row)


@strawberry.type(description="One row of the proposal workflow: from a state, an action leads to a state.")
class WorkflowTransition:
    from_status: ProposalStatus
    action: str
    to_status: ProposalStatus
    permission: str | None = strawberry.field(
        description="The permission it needs in the proposal's jurisdiction, as OBJECT:ACTION exactly as "
        "the policy names it, e.g. proposal:assign. An own_proposal permission counts on your own "
        "proposals only (for own_proposal:rate, also those you co-signed). Null when automatic."
    )
    automatic: bool = strawberry.field(description="Taken by the system as a consequence of another action.")
    lead_unit_only: bool = strawberry.field(description="Only staff of the proposal's lead unit take it.")

    @strawberry.field
    def from_status_label(self) -> str | None:
        return label_zh(self.from_status)

    @strawberry.field
    def to_status_label(self) -> str | None:
        return label_zh(self.to_status)


@strawberry.type(description="How one unit answered, in one role, over the proposals counted.")
class UnitTimeliness:
    department: Department
    role: HandlingUnitRole
    on_time: int
    late: int
    pending: int = strawberry.field(description="Not answered, not yet due.")
    overdue: int = strawberry.field(description="Not answered, past due.")
    on_time_rate: float | None = strawberry.field(description="On time / answered, 0–1.")
