"""New entries in your inbox, live."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

import strawberry

from schema.notifications.types import Notification, as_notification
from server.errors import Forbidden
from server.notifications import service
from server.settings import settings


@strawberry.type
class NotificationsSubscription:
    @strawberry.subscription(
        description="Your new notifications as they arrive, over graphql-transport-ws at /graphql "
        "(credentials as for ticketEvents). The inbox is looked at every "
        "LIANXIN_SUBSCRIPTION_RECHECK_SECONDS, so it serves every worker's notifications alike; the "
        "session is re-checked each time."
    )
    async def notification_added(self, info: strawberry.Info) -> AsyncGenerator[Notification, None]:
        ctx = info.context
        live = ctx.live
        if live is None:
            raise Forbidden("Subscribe over graphql-transport-ws at /graphql.")
        caller = ctx.caller
        newest, _ = await service.inbox(False, 1, caller=caller)
        seen = newest[0].id if newest else 0
        while await live.valid_since(time.monotonic()):
            for row in await service.newer_than(seen, caller=caller):
                seen = row.id
                yield as_notification(row)
            await asyncio.sleep(settings.subscription_recheck_seconds)
