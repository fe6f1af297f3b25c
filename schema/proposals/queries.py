from __future__ import annotations

import strawberry
from tortoise.expressions import Q

from schema.errors import as_graphql_error
from schema.ids import filter_id
from schema.loaders import scope_q
from schema.pagination import Connection, paginate
from schema.proposals.filters import DeputyFilter, ProposalFilter
from schema.proposals.loaders import visible_proposals
from schema.proposals.types import Deputy, HandlingTask, Proposal, UnitTimeliness, WorkflowTransition
from schema.staff.loaders import DepartmentByIdLoader
from server.errors import DomainError, Forbidden
from server.proposals import service, supervision, workflow
from server.proposals.vocabulary import Timeliness


def _proposals_q(info: strawberry.Info) -> Q:
    visible = visible_proposals(info.context)
    if visible is None:
        raise Forbidden("You may not read proposals.")
    return visible


def _tasks_q(info: strawberry.Info) -> Q:
    visible = scope_q(info.context, "handling_task", "proposal__jurisdiction")
    if visible is None:
        raise Forbidden("You may not read handling tasks.")
    return visible


@strawberry.type
class ProposalsQuery:
    @strawberry.field(description="Deputies' proposals (代表建议).")
    async def proposals(
        self,
        info: strawberry.Info,
        filter: ProposalFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Proposal] | None:
        visible = _proposals_q(info)
        criteria = filter or ProposalFilter()
        try:
            query = service.list_proposals(
                visible=visible,
                status=criteria.status,
                within_id=filter_id(criteria.jurisdiction_id, "Jurisdiction", "jurisdictionId"),
                key_supervision=criteria.key_supervision,
                search=criteria.search,
                submitted_from=criteria.submitted_from,
                submitted_to=criteria.submitted_to,
                author_id=filter_id(criteria.author_id, "Deputy", "authorId"),
                cosigner_id=filter_id(criteria.cosigner_id, "Deputy", "cosignerId"),
            )
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        return await paginate(query, first, after)

    @strawberry.field(
        description="Deputies (人大代表), by name, e.g. to choose co-signers. Reference data: needs "
        "reference:read."
    )
    async def deputies(
        self,
        info: strawberry.Info,
        filter: DeputyFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Deputy]:
        info.context.authz.require_somewhere("reference")
        f = filter or DeputyFilter()
        query = service.list_deputies(
            search=f.search, within_id=filter_id(f.jurisdiction_id, "Jurisdiction", "jurisdictionId")
        )
        return await paginate(query, first, after)

    @strawberry.field(
        description="Supervision (督办): proposals assigned or in handling whose reply is past due, "
        "most overdue first."
    )
    async def overdue_proposals(
        self,
        info: strawberry.Info,
        key_supervision: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Proposal] | None:
        query = supervision.overdue_proposals(visible=_proposals_q(info), key_supervision=key_supervision)
        return await paginate(query, first, after)

    @strawberry.field(
        description="Supervision: proposals whose reply is due from today to withinDays (1–366) ahead."
    )
    async def proposals_due_soon(
        self,
        info: strawberry.Info,
        within_days: int = 14,
        key_supervision: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Proposal] | None:
        try:
            query = supervision.proposals_due_soon(
                visible=_proposals_q(info), within_days=within_days, key_supervision=key_supervision
            )
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        return await paginate(query, first, after)

    @strawberry.field(description="Supervision: handling tasks not done and past their due date.")
    async def overdue_handling_tasks(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[HandlingTask] | None:
        return await paginate(supervision.overdue_tasks(visible=_tasks_q(info)), first, after)

    @strawberry.field(description="Supervision: handling tasks not done and due within withinDays (1–366).")
    async def handling_tasks_due_soon(
        self,
        info: strawberry.Info,
        within_days: int = 14,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[HandlingTask] | None:
        try:
            query = supervision.tasks_due_soon(visible=_tasks_q(info), within_days=within_days)
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        return await paginate(query, first, after)

    @strawberry.field(
        description="Per-unit timeliness (办理时效): for each unit and role, how many answers came on "
        "time or late and how many are pending or overdue, over the proposals you may read."
    )
    async def unit_timeliness(
        self,
        info: strawberry.Info,
        department_id: strawberry.ID | None = None,
        congress_term: int | None = None,
        session: int | None = None,
    ) -> list[UnitTimeliness] | None:
        rows = await supervision.unit_timeliness(
            visible=_proposals_q(info),
            department_id=filter_id(department_id, "Department", "departmentId"),
            congress_term=congress_term,
            session=session,
        )
        departments = await info.context.loaders.get(DepartmentByIdLoader).load_many(
            [r.department_id for r in rows]
        )
        return [
            UnitTimeliness(
                department=department,
                role=row.role,
                on_time=row.counts[Timeliness.ON_TIME],
                late=row.counts[Timeliness.LATE],
                pending=row.counts[Timeliness.PENDING],
                overdue=row.counts[Timeliness.OVERDUE],
                on_time_rate=row.on_time_rate,
            )
            for row, department in zip(rows, departments, strict=True)
            if department is not None
        ]

    @strawberry.field(description="The proposal workflow as data: every (from, action, to) row.")
    def proposal_workflow(self, info: strawberry.Info) -> list[WorkflowTransition]:
        info.context.authz.require_viewer()
        return [
            WorkflowTransition(
                from_status=before,
                action=action,
                to_status=after,
                permission=None if action in workflow.AUTOMATIC else ":".join(workflow.permission(action)),
                automatic=action in workflow.AUTOMATIC,
                lead_unit_only=action in workflow.LEAD_UNIT_ACTIONS,
            )
            for before, action, after in workflow.TRANSITIONS
        ]
