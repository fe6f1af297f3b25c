"""Mutations of the ticket workflow (工单): intake, dispatch, on site, resolution by the 721 method,
citizen feedback, transfer to departments, rejection, duplicates, escalation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from schema.attachments.uploads import checked
from schema.enums import DepartmentTicketStatus, Rating, ResolutionMethod, ReturnVisitChannel, TicketSource
from schema.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TransitionError,
    ValidationError,
    error_member,
)
from schema.ids import decode_id, decode_optional_id
from schema.tickets.types import ReturnVisit, Ticket, TicketRow, as_ticket, as_visit
from server.enums import AttachmentStage
from server.errors import DomainError
from server.tickets import visits
from server.tickets import workflow_service as flow
from server.tickets.intake import Intake

Errors = ValidationError | NotFoundError | ConflictError | ForbiddenError | TransitionError


@strawberry.type
class TicketPayload:
    ticket: Ticket


@strawberry.type
class RegisterTicketPayload:
    ticket: Ticket
    possible_duplicates: list[Ticket] = strawberry.field(
        description="Open tickets of the same category registered lately near the same place."
    )


@strawberry.type
class ReturnVisitPayload:
    ticket: Ticket
    visit: ReturnVisit


@strawberry.type
class TicketsPayload:
    tickets: list[Ticket]


TicketResult = Annotated[TicketPayload | Errors, strawberry.union("TicketResult")]
RegisterTicketResult = Annotated[RegisterTicketPayload | Errors, strawberry.union("RegisterTicketResult")]
ReturnVisitResult = Annotated[ReturnVisitPayload | Errors, strawberry.union("ReturnVisitResult")]
TicketsResult = Annotated[TicketsPayload | Errors, strawberry.union("TicketsResult")]


@strawberry.input(description="A new ticket. Say where: a station, a community, or coordinates.")
class RegisterTicketInput:
    source: TicketSource
    category_id: strawberry.ID
    description: str = strawberry.field(description="At most 2,000 characters.")
    reporter_name: str = ""
    reporter_phone: str = ""
    station_id: strawberry.ID | None = None
    jurisdiction_id: strawberry.ID | None = strawberry.field(default=None, description="The community")
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    response_due: datetime | None = strawberry.field(default=None, description="Overrides the category's")
    resolution_due: datetime | None = strawberry.field(default=None, description="Overrides the category's")


@strawberry.input
class TicketVersion:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you last read; a stale one is a CONFLICT.")


def _kw(info: strawberry.Info) -> dict[str, Any]:
    return {"caller": info.context.caller}


async def _run(call: Callable[[], Awaitable[TicketRow]]) -> TicketPayload | Errors:
    try:
        return TicketPayload(ticket=as_ticket(await call()))
    except DomainError as exc:
        return error_member(exc)


@strawberry.type
class TicketsMutation:
    @strawberry.mutation(
        description="Register a ticket at the desk, from the hotline, a patrol or a "
        "department. Needs ticket:register in its community. Photos may come with it (photos)."
    )
    async def register_ticket(
        self,
        info: strawberry.Info,
        input: RegisterTicketInput,
        photos: Annotated[
            list[Upload] | None,
            strawberry.argument(
                description="The citizen's photos (stage INTAKE), in the same multipart request "
                "(the GraphQL multipart request spec): registered with the ticket or not at all."
            ),
        ] = None,
    ) -> RegisterTicketResult:
        ctx = info.context
        try:
            pending = await checked(photos, AttachmentStage.INTAKE, ctx.caller)
            data = Intake(
                source=input.source,
                category_id=decode_id(input.category_id, "TicketCategory", "categoryId"),
                description=input.description,
                reporter_name=input.reporter_name,
                reporter_phone=input.reporter_phone,
                station_id=decode_optional_id(input.station_id, "Station", "stationId"),
                jurisdiction_id=decode_optional_id(input.jurisdiction_id, "Jurisdiction", "jurisdictionId"),
                address=input.address,
                latitude=input.latitude,
                longitude=input.longitude,
                response_due=input.response_due,
                resolution_due=input.resolution_due,
            )
            viewer = ctx.authz.require_viewer()
            ticket, duplicates = await flow.register(
                data, registered_by=viewer.staff_id, caller=ctx.caller, photos=pending
            )
        except DomainError as exc:
            return error_member(exc)
        return RegisterTicketPayload(
            ticket=as_ticket(ticket), possible_duplicates=[as_ticket(t) for t in duplicates]
        )

    @strawberry.mutation(
        description="Correct a ticket's details until it is dispatched. Needs ticket:update."
    )
    async def update_ticket(
        self,
        info: strawberry.Info,
        ticket: TicketVersion,
        description: str | None = None,
        address: str | None = None,
        category_id: strawberry.ID | None = None,
        reporter_name: str | None = None,
        reporter_phone: str | None = None,
    ) -> TicketResult:
        return await _run(
            lambda: flow.update_details(
                decode_id(ticket.id, "Ticket", "id"),
                ticket.version,
                description=description,
                address=address,
                category_id=decode_optional_id(category_id, "TicketCategory", "categoryId"),
                reporter_name=reporter_name,
                reporter_phone=reporter_phone,
                **_kw(info),
            )
        )

    @strawberry.mutation(
        description="Dispatch (or re-dispatch) to an area chief or team member posted over "
        "the ticket's community. Needs ticket:dispatch (ticket:reassign once dispatched)."
    )
    async def dispatch_ticket(
        self, info: strawberry.Info, ticket: TicketVersion, assignee_id: strawberry.ID, comment: str = ""
    ) -> TicketResult:
        return await _run(
            lambda: flow.dispatch(
                decode_id(ticket.id, "Ticket", "id"),
                ticket.version,
                decode_id(assignee_id, "Staff", "assigneeId"),
                comment,
                **_kw(info),
            )
        )

    @strawberry.mutation(
        description="Dispatch several registered tickets to one person: all of them, or none. "
        "Needs ticket:dispatch in each ticket's jurisdiction."
    )
    async def bulk_dispatch_tickets(
        self,
        info: strawberry.Info,
        tickets: list[TicketVersion],
        assignee_id: strawberry.ID,
        comment: str = "",
    ) -> TicketsResult:
        try:
            items = [(decode_id(t.id, "Ticket", "tickets"), t.version) for t in tickets]
            written = await flow.bulk_dispatch(
                items, decode_id(assignee_id, "Staff", "assigneeId"), comment, **_kw(info)
            )
        except DomainError as exc:
            return error_member(exc)
        return TicketsPayload(tickets=[as_ticket(t) for t in written])

    @strawberry.mutation(description="The handler is on site (到场). Needs ticket:arrive.")
    async def mark_ticket_on_site(
        self, info: strawberry.Info, ticket: TicketVersion, comment: str = ""
    ) -> TicketResult:
        return await _run(
            lambda: flow.arrive(decode_id(ticket.id, "Ticket", "id"), ticket.version, comment, **_kw(info))
        )

    @strawberry.mutation(
        description="Resolved: by service, management or enforcement (the 721 method), with a "
        "note. Needs ticket:resolve, or department_ticket:resolve on a ticket transferred to your "
        "department."
    )
    async def resolve_ticket(
        self,
        info: strawberry.Info,
        ticket: TicketVersion,
        method: ResolutionMethod | None,
        note: str,
        photos: Annotated[
            list[Upload] | None,
            strawberry.argument(
                description="Photos after the fix (stage RESOLUTION), in the same multipart request: "
                "kept with the resolution or not at all."
            ),
        ] = None,
    ) -> TicketResult:
        try:
            pending = await checked(photos, AttachmentStage.RESOLUTION, info.context.caller)
        except DomainError as exc:
            return error_member(exc)
        return await _run(
            lambda: flow.resolve(
                decode_id(ticket.id, "Ticket", "id"),
                ticket.version,
                method,
                note,
                photos=pending,
                **_kw(info),
            )
        )

    @strawberry.mutation(
        description="One return visit (回访) to the citizen of a resolved ticket, reached or not. "
        "Reached and SATISFIED or BASICALLY_SATISFIED closes the ticket (ticket:close); "
        "DISSATISFIED reopens it (ticket:reopen; a comment is required); not reached leaves it "
        "resolved, and the last of the set attempts (3 unless configured) closes it as UNREACHABLE "
        "(ticket:close). Needs ticket:feedback in the ticket's jurisdiction as well. A rating is "
        "given exactly when the citizen was reached."
    )
    async def record_return_visit(
        self,
        info: strawberry.Info,
        ticket: TicketVersion,
        channel: ReturnVisitChannel,
        reached: bool,
        rating: Rating | None = None,
        comment: str = "",
    ) -> ReturnVisitResult:
        try:
            written, visit = await visits.record_visit(
                decode_id(ticket.id, "Ticket", "id"),
                ticket.version,
                channel=channel,
                reached=reached,
                rating=rating,
                comment=comment,
                caller=info.context.caller,
            )
        except DomainError as exc:
            return error_member(exc)
        return ReturnVisitPayload(ticket=as_ticket(written), visit=as_visit(info, written, visit))

    @strawberry.mutation(
        description="The citizen's yes/no, recorded as a return visit that reached the citizen "
        "(SATISFIED or DISSATISFIED, channel not said): satisfied closes the ticket (ticket:close), "
        "unsatisfied reopens it (ticket:reopen, a comment is required).",
        deprecation_reason="Use recordReturnVisit: it records the channel, attempts that did not "
        "reach the citizen, and BASICALLY_SATISFIED.",
    )
    async def record_citizen_feedback(
        self, info: strawberry.Info, ticket: TicketVersion, satisfied: bool, comment: str = ""
    ) -> TicketResult:
        return await _run(
            lambda: visits.record_feedback(
                decode_id(ticket.id, "Ticket", "id"), ticket.version, satisfied, comment, **_kw(info)
            )
        )

    @strawberry.mutation(description="Transfer to an N department (1+N). Needs ticket:transfer.")
    async def transfer_ticket(
        self, info: strawberry.Info, ticket: TicketVersion, department_id: strawberry.ID, comment: str = ""
    ) -> TicketResult:
        return await _run(
            lambda: flow.transfer(
                decode_id(ticket.id, "Ticket", "id"),
                ticket.version,
                decode_id(department_id, "Department", "departmentId"),
                comment,
                **_kw(info),
            )
        )

    @strawberry.mutation(
        description="A department's own progress on a ticket transferred to it. Needs "
        "department_ticket:department_update (on tickets transferred to your department)."
    )
    async def update_department_status(
        self,
        info: strawberry.Info,
        ticket: TicketVersion,
        status: DepartmentTicketStatus,
        comment: str = "",
    ) -> TicketResult:
        return await _run(
            lambda: flow.department_update(
                decode_id(ticket.id, "Ticket", "id"), ticket.version, status, comment, **_kw(info)
            )
        )

    @strawberry.mutation(description="Reject, with a reason. Needs ticket:reject.")
    async def reject_ticket(self, info: strawberry.Info, ticket: TicketVersion, reason: str) -> TicketResult:
        return await _run(
            lambda: flow.reject(decode_id(ticket.id, "Ticket", "id"), ticket.version, reason, **_kw(info))
        )

    @strawberry.mutation(
        description="Mark as a duplicate of an earlier ticket; its reporter follows that one. "
        "Needs ticket:mark_duplicate."
    )
    async def mark_ticket_duplicate(
        self, info: strawberry.Info, ticket: TicketVersion, duplicate_of_id: strawberry.ID, comment: str = ""
    ) -> TicketResult:
        return await _run(
            lambda: flow.mark_duplicate(
                decode_id(ticket.id, "Ticket", "id"),
                ticket.version,
                decode_id(duplicate_of_id, "Ticket", "duplicateOfId"),
                comment,
                **_kw(info),
            )
        )

    @strawberry.mutation(
        description="Escalate every overdue open ticket you may escalate: to the town, then "
        "the city. Needs ticket:escalate."
    )
    async def escalate_overdue_tickets(self, info: strawberry.Info) -> TicketsResult:
        try:
            changed = await flow.escalate_overdue(**_kw(info))
        except DomainError as exc:
            return error_member(exc)
        return TicketsPayload(tickets=[as_ticket(t) for t in changed])
