from __future__ import annotations

import strawberry

from schema.errors import as_graphql_error, client_error
from schema.ids import filter_id
from schema.pagination import Connection, paginate
from schema.tickets.filters import TicketFilter, TicketOrder
from schema.tickets.types import (
    Ticket,
    TicketCategory,
    TicketWorkflowTransition,
    as_category,
    as_ticket,
)
from server.errors import DomainError, Forbidden
from server.tickets import service, visits, workflow


@strawberry.type
class TicketsQuery:
    @strawberry.field(
        description="Citizens' tickets (工单), newest first: those in your ticket:read scope, and "
        "those transferred to your department with department_ticket:read. Null with a FORBIDDEN "
        "error at this path when you may read none."
    )
    async def tickets(
        self,
        info: strawberry.Info,
        filter: TicketFilter | None = None,
        order: TicketOrder = TicketOrder.NEWEST_FIRST,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Ticket] | None:
        visible = info.context.authz.visible_tickets()
        if visible is None:
            raise Forbidden("You may not read tickets.")
        criteria = filter or TicketFilter()
        try:
            query = service.list_tickets(
                visible=visible,
                **criteria.criteria(),
                order=order.value,
            )
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        return await paginate(query, first, after)

    @strawberry.field(
        description="The return-visit queue (回访): resolved tickets awaiting a visit, oldest "
        "resolution first, where you may record return visits (ticket:feedback). Null with a "
        "FORBIDDEN error at this path when you may record them nowhere."
    )
    async def return_visits_due(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Ticket] | None:
        return await paginate(visits.visits_due(info.context.caller), first, after)

    @strawberry.field(
        description="One ticket by its number, e.g. DG-20220110-000001. Null with NOT_FOUND when "
        "absent or not visible, like node(id:)."
    )
    async def ticket(self, info: strawberry.Info, number: str) -> Ticket | None:
        visible = info.context.authz.visible_tickets()
        found = None
        if visible is not None and len(number) <= 32:
            found = await service.ticket_by_number(number, visible)
        if found is None:
            raise client_error(f"No ticket numbered {number!r} is visible to you.", "NOT_FOUND")
        return as_ticket(found)

    @strawberry.field(
        description="The ticket workflow as data: every (from, action, to) row, the permissions "
        "each action needs and the mutation that takes it. A ticket's availableActions are the rows "
        "from its status that your policy allows."
    )
    def ticket_workflow(self, info: strawberry.Info) -> list[TicketWorkflowTransition]:
        info.context.authz.require_viewer()
        return [
            TicketWorkflowTransition(
                from_status=before,
                action=action,
                to_status=after,
                action_label=workflow.ACTION_LABELS[action],
                permissions=[f"{obj}:{act}" for obj, act in workflow.PERMISSIONS[action]],
                mutation=workflow.MUTATIONS[action],
            )
            for before, action, after in workflow.TRANSITIONS
        ]

    @strawberry.field(
        description="Open tickets that may be the same problem: same category, near the place, "
        "registered within the window. Use at intake. Null with a FORBIDDEN error at this path "
        "when you may read no tickets."
    )
    async def duplicate_candidates(
        self,
        info: strawberry.Info,
        category_id: strawberry.ID,
        station_id: strawberry.ID | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        within_metres: float = 300.0,
        within_hours: float = 72.0,
    ) -> list[Ticket] | None:
        visible = info.context.authz.visible_tickets()
        if visible is None:
            raise Forbidden("You may not read tickets.")
        if not (0 < within_metres <= 10_000 and 0 < within_hours <= 24 * 90):
            raise client_error("withinMetres must be in (0, 10000] and withinHours in (0, 2160].")
        from server.tickets.intake import possible_duplicates

        sid = filter_id(station_id, "Station", "stationId")
        lat, lon = latitude, longitude
        if sid is not None and lat is None:
            lat, lon = await service.station_position(sid)
        found = await possible_duplicates(
            category_id=filter_id(category_id, "TicketCategory", "categoryId") or 0,
            latitude=lat,
            longitude=lon,
            station_id=sid,
            visible=visible,
            within_metres=within_metres,
            within_hours=within_hours,
        )
        return [as_ticket(t) for t in found]

    @strawberry.field(
        description="Ticket categories with their Chinese labels and default times. Needs "
        "reference:read; otherwise null with a FORBIDDEN error at this path."
    )
    async def ticket_categories(self, info: strawberry.Info) -> list[TicketCategory] | None:
        info.context.authz.require_somewhere("reference")
        return [as_category(c) for c in await service.list_categories()]
