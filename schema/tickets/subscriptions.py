"""Live ticket events over graphql-transport-ws, filtered by the same authorization as queries."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from schema.ids import to_global_id
from server.authz.authorizer import Authorizer
from server.authz.engine import engine
from server.errors import Forbidden
from server.tickets.events import TicketEventMessage, broker


@strawberry.type(description="Something happened to a ticket you may see.")
class TicketUpdate:
    ticket_id: strawberry.ID
    number: str
    action: str
    from_status: str | None
    to_status: str | None
    actor: str
    at: datetime


@strawberry.type
class TicketsSubscription:
    @strawberry.subscription(
        description="Ticket events as they happen, only for tickets you may read. Authenticate with the "
        'Authorization header or connection_init payload {"Authorization": "Bearer …"}.'
    )
    async def ticket_events(self, info: strawberry.Info) -> AsyncGenerator[TicketUpdate, None]:
        ctx = info.context
        await ctx.authenticate_connection()
        viewer = ctx.authz.require_viewer()
        if ctx.authz.visible_tickets() is None:
            raise Forbidden("You may not read tickets.")
        authz, version = ctx.authz, engine.version
        async for message in broker.subscribe():
            if engine.version != version:  # the policy changed: decide afresh from now on
                authz, version = Authorizer(engine, viewer), engine.version
            if _may_see(authz, message):
                yield TicketUpdate(
                    ticket_id=strawberry.ID(to_global_id("Ticket", message.ticket_id)),
                    number=message.number,
                    action=message.action,
                    from_status=message.from_status,
                    to_status=message.to_status,
                    actor=message.actor,
                    at=datetime.fromisoformat(message.at),
                )


def _may_see(authz: Authorizer, message: TicketEventMessage) -> bool:
    return authz.may_read_ticket(message)
