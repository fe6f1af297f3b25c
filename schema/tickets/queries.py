from __future__ import annotations

import strawberry

from schema.errors import as_graphql_error
from schema.ids import filter_id
from schema.pagination import Connection, paginate
from schema.tickets.filters import TicketFilter
from schema.tickets.types import Ticket, TicketCategory
from server.errors import DomainError, Forbidden
from server.tickets import service


@strawberry.type
class TicketsQuery:
    @strawberry.field(description="Citizens' tickets (工单), newest first.")
    async def tickets(
        self,
        info: strawberry.Info,
        filter: TicketFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Ticket]:
        visible = info.context.authz.visible_tickets()
        if visible is None:
            raise Forbidden("You may not read tickets.")
        f = filter or TicketFilter()
        try:
            query = service.list_tickets(
                visible=visible,
                status=f.status,
                source=f.source,
                within_id=filter_id(f.jurisdiction_id, "Jurisdiction", "jurisdictionId"),
                station_id=filter_id(f.station_id, "Station", "stationId"),
                category_id=filter_id(f.category_id, "TicketCategory", "categoryId"),
                registered_from=f.registered_from,
                registered_to=f.registered_to,
            )
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        return await paginate(query, first, after)

    @strawberry.field(description="Ticket categories with their Chinese labels and default times.")
    async def ticket_categories(self, info: strawberry.Info) -> list[TicketCategory]:
        info.context.authz.require_somewhere("reference")
        return await service.list_categories()  # type: ignore[return-value]
