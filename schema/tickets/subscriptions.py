"""Live ticket events over graphql-transport-ws, filtered by the same authorization as queries."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from schema.enums import TicketStatus
from schema.ids import to_global_id
from schema.tickets.types import ticket_status
from server.authz.authorizer import Authorizer
from server.authz.engine import engine
from server.errors import Forbidden
from server.tickets.events import TicketEventMessage, broker


@strawberry.type(description="Something happened to a ticket you may see.")
class TicketUpdate:
    ticket_id: strawberry.ID
    number: str
    action: str
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    actor: str
    at: datetime


@strawberry.type
class TicketsSubscription:
    @strawberry.subscription(
        description="Ticket events as they happen, only for tickets you may read, over "
        "graphql-transport-ws at /graphql. That WebSocket serves subscriptions only: send queries "
        "and mutations over HTTP POST (one sent over the socket gets an error message with code "
        "BAD_REQUEST and does not run). What you may read is decided when the subscription starts "
        "and again whenever the policy or your roles change. connection_init must carry your "
        "credentials, in its payload "
        '{"Authorization": "Bearer …"} (or {"X-Api-Key": "lxk_…"}) or in the upgrade request\'s '
        "headers; without valid ones the socket closes with 4403 Forbidden. The session is re-checked "
        "every few seconds and before each event: after logout, deactivation, or the token's or key's "
        "expiry or revocation the socket closes with 4403 and a reason. A subscriber that falls too "
        "far behind (LIANXIN_SUBSCRIPTION_QUEUE_SIZE events) is dropped: its socket closes with "
        '1013 "subscriber too slow: events dropped; resubscribe".'
    )
    async def ticket_events(self, info: strawberry.Info) -> AsyncGenerator[TicketUpdate, None]:
        ctx = info.context
        live = ctx.live
        if live is None:  # not over graphql-transport-ws (schema/websocket.py), so not re-checked
            raise Forbidden("Subscribe over graphql-transport-ws at /graphql.")
        viewer = ctx.authz.require_viewer()  # also this operation's refusal (a key over its rate)
        # Decided afresh for this subscription, with the policy in force now: the session is
        # re-checked first (which also brings this worker's policy up to the database's version),
        # and the Authorizer is this operation's own, not one cached since connection_init.
        if not await live.valid_since(time.monotonic()):
            return  # the session ended: the connection is closing
        authz, version = Authorizer(engine, viewer), engine.version
        if authz.visible_tickets() is None:
            raise Forbidden("You may not read tickets.")
        async for message, received_at in broker.subscribe(on_drop=live.too_slow):
            if engine.version != version:  # the policy changed: decide afresh from now on
                authz, version = Authorizer(engine, viewer), engine.version
            if not _may_see(authz, message):
                continue
            if not await live.valid_since(received_at):
                return  # the session ended: the connection is closing
            if engine.version != version:  # the re-check brought a newer policy: decide again
                authz, version = Authorizer(engine, viewer), engine.version
                if not _may_see(authz, message):
                    continue
            yield TicketUpdate(
                ticket_id=strawberry.ID(to_global_id("Ticket", message.ticket_id)),
                number=message.number,
                action=message.action,
                from_status=ticket_status(message.from_status),
                to_status=ticket_status(message.to_status),
                actor=message.actor,
                at=datetime.fromisoformat(message.at),
            )


def _may_see(authz: Authorizer, message: TicketEventMessage) -> bool:
    return authz.may_read_ticket(message)
