"""Webhook subscriptions and their delivery log (admin, or a subscription's owner); your inbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry

from schema.ids import decode_id
from schema.notifications.types import (
    NotificationInbox,
    NotificationPreferences,
    WebhookDelivery,
    WebhookSubscription,
    as_delivery,
    as_notification,
    as_preferences,
    as_subscription,
)
from server.notifications import service


async def subscriptions_view(rows: Sequence[Any]) -> list[WebhookSubscription]:
    codes, departments, keys = await service.subscription_labels(list(rows))
    return [as_subscription(r, codes, departments, keys) for r in rows]


@strawberry.type
class NotificationsQuery:
    @strawberry.field(
        description="Webhook subscriptions, oldest first: every one for webhook:read (admin), "
        "otherwise those you own (own_webhook:read); empty for others."
    )
    async def webhook_subscriptions(self, info: strawberry.Info) -> list[WebhookSubscription]:
        return await subscriptions_view(await service.list_subscriptions(caller=info.context.caller))

    @strawberry.field(
        description="The delivery log of one subscription, newest first (status: PENDING, DELIVERED "
        "or DEAD), with each attempt. Admin (webhook:read), or the subscription's owner "
        "(own_webhook:read)."
    )
    async def webhook_deliveries(
        self,
        info: strawberry.Info,
        subscription_id: strawberry.ID,
        status: str | None = None,
        first: int = 50,
    ) -> list[WebhookDelivery]:
        pk = decode_id(subscription_id, "WebhookSubscription", "subscriptionId")
        rows = await service.deliveries(pk, status, first, caller=info.context.caller)
        attempts = await service.attempts_of([r.id for r in rows])
        return [as_delivery(r, attempts[r.id]) for r in rows]

    @strawberry.field(
        description="Your in-app notifications, newest first (at most 200), and the unread count."
    )
    async def notifications(
        self, info: strawberry.Info, unread_only: bool = False, first: int = 50
    ) -> NotificationInbox:
        rows, unread = await service.inbox(unread_only, first, caller=info.context.caller)
        return NotificationInbox(unread_count=unread, items=[as_notification(r) for r in rows])

    @strawberry.field(description="Your notification channels.")
    async def notification_preferences(self, info: strawberry.Info) -> NotificationPreferences:
        return as_preferences(await service.my_preferences(caller=info.context.caller))
