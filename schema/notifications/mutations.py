"""Webhook subscriptions (create, disable, enable, redeliver) and your inbox (mark read, channels). Every
change is audited; a refused one changes nothing."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, error_member
from schema.ids import decode_id, decode_optional_id
from schema.notifications.queries import subscriptions_view
from schema.notifications.types import (
    NotificationPreferences,
    WebhookDelivery,
    WebhookSubscription,
    as_delivery,
    as_preferences,
)
from server.errors import DomainError
from server.notifications import service


@strawberry.input(description="A new webhook subscription.")
class WebhookSubscriptionInput:
    name: str
    target_url: str = strawberry.field(
        description="http:// or https://; loopback and private addresses are refused (TARGET_NOT_ALLOWED)."
    )
    event_types: list[str] = strawberry.field(
        description="e.g. ticket.register, ticket.resolve, proposal.*, station.update"
    )
    jurisdiction_id: strawberry.ID | None = strawberry.field(default=None, description="Default: the city.")
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only tickets transferred to this department."
    )
    api_key_prefix: str | None = strawberry.field(
        default=None,
        description="Read as this data-sharing key: its scope decides which events and personal data.",
    )


@strawberry.type
class CreateWebhookSubscriptionPayload:
    subscription: WebhookSubscription
    secret: str = strawberry.field(
        description="whsec_…: the signing secret, shown this once. Verify each request's "
        "webhook-signature with it (Standard Webhooks libraries)."
    )


@strawberry.type
class WebhookSubscriptionPayload:
    subscription: WebhookSubscription


@strawberry.type
class EnableWebhookSubscriptionPayload:
    subscription: WebhookSubscription
    retried_dead_deliveries: int = strawberry.field(
        description="How many dead deliveries were sent again (0 unless retryDeadDeliveries)."
    )


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery


@strawberry.type
class MarkNotificationsReadPayload:
    marked: int
    unread_count: int


@strawberry.type
class NotificationPreferencesPayload:
    preferences: NotificationPreferences


CreateWebhookSubscriptionResult = Annotated[
    CreateWebhookSubscriptionPayload | ValidationError | ForbiddenError,
    strawberry.union("CreateWebhookSubscriptionResult"),
]
WebhookSubscriptionResult = Annotated[
    WebhookSubscriptionPayload | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("WebhookSubscriptionResult"),
]
EnableWebhookSubscriptionResult = Annotated[
    EnableWebhookSubscriptionPayload | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("EnableWebhookSubscriptionResult"),
]
WebhookDeliveryResult = Annotated[
    WebhookDeliveryPayload | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union("WebhookDeliveryResult"),
]
MarkNotificationsReadResult = Annotated[
    MarkNotificationsReadPayload | ValidationError | ForbiddenError,
    strawberry.union("MarkNotificationsReadResult"),
]
NotificationPreferencesResult = Annotated[
    NotificationPreferencesPayload | ValidationError | ForbiddenError,
    strawberry.union("NotificationPreferencesResult"),
]


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation(
        description="Subscribe a department system's endpoint to events. Needs webhook:create (admin), "
        "or own_webhook:create and to be the account that created the data-sharing key named by "
        "apiKeyPrefix."
    )
    async def create_webhook_subscription(
        self, info: strawberry.Info, input: WebhookSubscriptionInput
    ) -> CreateWebhookSubscriptionResult:
        try:
            data = service.NewSubscription(
                name=input.name,
                target_url=input.target_url,
                event_types=list(input.event_types),
                jurisdiction_id=decode_optional_id(input.jurisdiction_id, "Jurisdiction", "jurisdictionId"),
                department_id=decode_optional_id(input.department_id, "Department", "departmentId"),
                api_key_prefix=input.api_key_prefix,
            )
            row, secret = await service.create_subscription(data, caller=info.context.caller)
        except DomainError as exc:
            return error_member(exc)
        return CreateWebhookSubscriptionPayload(
            subscription=(await subscriptions_view([row]))[0], secret=secret
        )

    @strawberry.mutation(
        description="Stop a subscription, saying why, at the version you read. Its pending "
        "deliveries are no longer sent. Admin (webhook:update) or its owner (own_webhook:update)."
    )
    async def disable_webhook_subscription(
        self, info: strawberry.Info, id: strawberry.ID, version: int, reason: str
    ) -> WebhookSubscriptionResult:
        try:
            pk = decode_id(id, "WebhookSubscription")
            row = await service.disable_subscription(pk, version, reason, caller=info.context.caller)
        except DomainError as exc:
            return error_member(exc)
        return WebhookSubscriptionPayload(subscription=(await subscriptions_view([row]))[0])

    @strawberry.mutation(
        description="Take a disabled subscription back into service, at the version you read: its "
        "pending deliveries are sent again. Dead deliveries (a day old or more) stay dead unless "
        "retryDeadDeliveries: then each is sent again with its webhook-id and a fresh retry "
        "schedule. Refused (ValidationError on id) when it is enabled already (ALREADY_ENABLED), "
        "its key is revoked or expired (KEY_GONE) or its target is no longer allowed. Admin "
        "(webhook:update) or its owner (own_webhook:update)."
    )
    async def enable_webhook_subscription(
        self, info: strawberry.Info, id: strawberry.ID, version: int, retry_dead_deliveries: bool = False
    ) -> EnableWebhookSubscriptionResult:
        try:
            pk = decode_id(id, "WebhookSubscription")
            row, retried = await service.enable_subscription(
                pk, version, retry_dead_deliveries, caller=info.context.caller
            )
        except DomainError as exc:
            return error_member(exc)
        return EnableWebhookSubscriptionPayload(
            subscription=(await subscriptions_view([row]))[0], retried_dead_deliveries=retried
        )

    @strawberry.mutation(
        description="Send a delivered or dead delivery again, with the same webhook-id and a fresh "
        "retry schedule. Admin (webhook:update) or the subscription's owner (own_webhook:update)."
    )
    async def redeliver_webhook(
        self, info: strawberry.Info, delivery_id: strawberry.ID
    ) -> WebhookDeliveryResult:
        try:
            pk = decode_id(delivery_id, "WebhookDelivery", "deliveryId")
            row = await service.redeliver(pk, caller=info.context.caller)
            attempts = await service.attempts_of([row.id])
        except DomainError as exc:
            return error_member(exc)
        return WebhookDeliveryPayload(delivery=as_delivery(row, attempts[row.id]))

    @strawberry.mutation(description="Mark your notifications read: those named, or all of them (ids null).")
    async def mark_notifications_read(
        self, info: strawberry.Info, ids: list[strawberry.ID] | None = None
    ) -> MarkNotificationsReadResult:
        try:
            pks = [decode_id(i, "Notification", "ids") for i in ids] if ids is not None else None
            marked, unread = await service.mark_read(pks, caller=info.context.caller)
        except DomainError as exc:
            return error_member(exc)
        return MarkNotificationsReadPayload(marked=marked, unread_count=unread)

    @strawberry.mutation(
        description="Switch your channels on or off (in-app inbox, e-mail) and set your e-mail "
        "address; what you leave out stays as it is."
    )
    async def set_notification_preferences(
        self,
        info: strawberry.Info,
        in_app: bool | None = None,
        email: bool | None = None,
        email_address: str | None = None,
    ) -> NotificationPreferencesResult:
        try:
            row = await service.set_preferences(in_app, email, email_address, caller=info.context.caller)
        except DomainError as exc:
            return error_member(exc)
        return NotificationPreferencesPayload(preferences=as_preferences(row))
