"""Webhook subscriptions and their delivery log; a person's inbox and channel preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from schema.ids import to_global_id


@strawberry.type(
    description="A department system's webhook: the events it hears (ticket.register, ticket.*, …) "
    "in a jurisdiction and beneath it, optionally only one department's tickets, signed per the "
    "Standard Webhooks specification with its secret (shown once, when it is created)."
)
class WebhookSubscription:
    id: strawberry.ID
    name: str
    target_url: str
    event_types: list[str]
    jurisdiction_code: str
    department_code: str | None
    api_key_prefix: str | None = strawberry.field(
        description="The data-sharing key whose scope decides what its payloads may carry "
        "(personal data only with ticket_personal); null: public data only."
    )
    owner: str = strawberry.field(description="The account told when the subscription is disabled.")
    enabled: bool
    disabled_reason: str
    disabled_at: datetime | None
    created_at: datetime
    version: int


@strawberry.type(description="One try of a delivery.")
class WebhookAttempt:
    at: datetime
    status_code: int | None
    error: str
    duration_ms: int


@strawberry.type(
    description="One event for one subscription. PENDING until the receiver answers 2xx "
    "(DELIVERED); after about 27 hours of retries DEAD. messageId is the webhook-id header, the "
    "same on every retry: receivers deduplicate on it."
)
class WebhookDelivery:
    id: strawberry.ID
    message_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    event_at: datetime
    delivered_at: datetime | None
    lag_ms: int | None = strawberry.field(description="From the event to its delivery, in milliseconds.")
    attempt_log: list[WebhookAttempt]


@strawberry.type(description="An entry in your inbox.")
class Notification:
    id: strawberry.ID
    kind: str = strawberry.field(description="ticket_remind, ticket_escalate, proposal_assign, …")
    title: str
    body: str
    object_id: strawberry.ID | None = strawberry.field(
        description="The ticket or proposal it is about (global ID), if any."
    )
    created_at: datetime
    read_at: datetime | None


@strawberry.type(description="Your inbox: newest first, and how many are unread.")
class NotificationInbox:
    unread_count: int
    items: list[Notification]


@strawberry.type(description="Your channels: each may be switched off; e-mail needs an address.")
class NotificationPreferences:
    in_app: bool
    email: bool
    email_address: str


def as_subscription(
    row: Any, codes: dict[int, str], departments: dict[int, str], keys: dict[int, str]
) -> WebhookSubscription:
    return WebhookSubscription(
        id=strawberry.ID(to_global_id("WebhookSubscription", row.id)),
        name=row.name,
        target_url=row.target_url,
        event_types=list(row.event_types),
        jurisdiction_code=codes.get(row.jurisdiction_id, ""),
        department_code=departments.get(row.department_id) if row.department_id else None,
        api_key_prefix=keys.get(row.api_key_id) if row.api_key_id else None,
        owner=row.owner,
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        disabled_at=row.disabled_at,
        created_at=row.created_at,
        version=row.version,
    )


def as_delivery(row: Any, attempts: list[Any]) -> WebhookDelivery:
    return WebhookDelivery(
        id=strawberry.ID(to_global_id("WebhookDelivery", row.id)),
        message_id=row.message_id,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at if row.status == "PENDING" else None,
        event_at=row.event_at,
        delivered_at=row.delivered_at,
        lag_ms=row.lag_ms,
        attempt_log=[
            WebhookAttempt(at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms)
            for a in attempts
        ],
    )


def as_notification(row: Any) -> Notification:
    object_types = {"ticket": "Ticket", "proposal": "Proposal", "webhook": "WebhookSubscription"}
    kind = object_types.get(row.object_type)
    return Notification(
        id=strawberry.ID(to_global_id("Notification", row.id)),
        kind=row.kind,
        title=row.title,
        body=row.body,
        object_id=strawberry.ID(to_global_id(kind, row.object_id)) if kind and row.object_id else None,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def as_preferences(row: Any) -> NotificationPreferences:
    return NotificationPreferences(in_app=row.in_app, email=row.email, email_address=row.email_address)
