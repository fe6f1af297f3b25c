"""Notifications and webhooks: the outbox every domain event enters in its own transaction, the
departments' webhook subscriptions and their deliveries, the in-app inbox, outgoing e-mail and SMS,
and each person's channel preferences."""

from __future__ import annotations

from typing import Any, ClassVar

from tortoise import fields
from tortoise.models import Model


class OutboxEvent(Model):
    """A domain event that happened: written by the history row's own save, in its transaction, so
    an event rolled back never reaches here and one committed always does. Fanned out once
    (`fanned_out_at`) into deliveries, inbox entries and messages."""

    id = fields.BigIntField(primary_key=True)
    event_type = fields.CharField(max_length=64, description="e.g. ticket.register, proposal.assign")
    object_type = fields.CharField(max_length=16, description="ticket, proposal or station")
    object_id = fields.BigIntField()
    source_id = fields.BigIntField(description="the history row (ticket_event, proposal_event, audit_entry)")
    at = fields.DatetimeField()
    fanned_out_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_event"
        ordering = ("id",)
        indexes = (("fanned_out_at", "id"),)


class WebhookSubscription(Model):
    """A department system's endpoint: which events, in which jurisdiction (and beneath it) and
    department, signed with its own secret (Standard Webhooks)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    target_url = fields.CharField(max_length=500)
    event_types: fields.JSONField[list[str]] = fields.JSONField(
        description="event types, or a prefix with '*' (ticket.*)"
    )
    jurisdiction: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="webhook_subscriptions", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    department: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "lianxin.Department", related_name="webhook_subscriptions", null=True, on_delete=fields.RESTRICT
    )
    department_id: int | None
    api_key: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "lianxin.ApiKey", related_name="webhook_subscriptions", null=True, on_delete=fields.RESTRICT
    )
    api_key_id: int | None
    owner = fields.CharField(max_length=64, description="username told when the subscription is disabled")
    secret = fields.CharField(max_length=80, description="whsec_…: shown once, kept to sign")
    enabled = fields.BooleanField(default=True)
    disabled_reason = fields.TextField(default="")
    disabled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(null=True)

    # The signing secret never enters the audit trail.
    audit_hidden: ClassVar[frozenset[str]] = frozenset({"secret"})

    class Meta:
        table = "webhook_subscription"
        ordering = ("id",)


class WebhookDelivery(Model):
    """One event for one subscription: sent until the receiver answers 2xx, then DELIVERED, or after
    the retries (over 24 hours) DEAD. `message_id` is the webhook-id the receiver deduplicates on."""

    id = fields.BigIntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[WebhookSubscription] = fields.ForeignKeyField(
        "lianxin.WebhookSubscription", related_name="deliveries", on_delete=fields.RESTRICT
    )
    subscription_id: int
    outbox: fields.ForeignKeyRelation[OutboxEvent] = fields.ForeignKeyField(
        "lianxin.OutboxEvent", related_name="deliveries", on_delete=fields.RESTRICT
    )
    outbox_id: int
    message_id = fields.CharField(max_length=48, unique=True)
    object_key = fields.CharField(
        max_length=40, description="ticket:12: deliveries of one object go in order"
    )
    event_type = fields.CharField(max_length=64)
    payload: fields.JSONField[Any] = fields.JSONField()
    status = fields.CharField(max_length=16, default="PENDING", description="PENDING, DELIVERED or DEAD")
    attempts = fields.IntField(default=0)
    failures = fields.IntField(default=0, description="failures since it was (re)queued")
    next_attempt_at = fields.DatetimeField()
    locked_by = fields.CharField(max_length=128, null=True)
    lease_until = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.TextField(default="")
    event_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)
    lag_ms = fields.BigIntField(null=True, description="from the event to its delivery")

    class Meta:
        table = "webhook_delivery"
        ordering = ("id",)
        indexes = (("status", "next_attempt_at"), ("subscription_id", "object_key", "id"))


class WebhookAttempt(Model):
    """Each try of a delivery: when, the answer's status code or the error, how long it took."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "lianxin.WebhookDelivery", related_name="attempt_log", on_delete=fields.RESTRICT
    )
    delivery_id: int
    at = fields.DatetimeField()
    status_code = fields.IntField(null=True)
    error = fields.TextField(default="")
    duration_ms = fields.IntField(default=0)
    runner = fields.CharField(max_length=128, default="")

    class Meta:
        table = "webhook_attempt"
        ordering = ("id",)
        indexes = (("delivery_id", "id"),)


class Notification(Model):
    """An entry in a person's in-app inbox (staff, deputies), by account name."""

    id = fields.BigIntField(primary_key=True)
    recipient = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=48)
    title = fields.CharField(max_length=200)
    body = fields.TextField(default="")
    object_type = fields.CharField(max_length=16, default="")
    object_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        ordering = ("-id",)
        indexes = (("recipient", "id"),)


class OutgoingMessage(Model):
    """An e-mail or SMS waiting to be sent (or sent). The recipient's address is read when it is
    sent (a citizen's phone from the ticket, an account's e-mail from its preferences): only a
    masked form is kept here."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=8, description="EMAIL or SMS")
    template = fields.CharField(max_length=48)
    username = fields.CharField(max_length=64, null=True)
    ticket_id = fields.BigIntField(null=True, description="SMS to the ticket's reporter")
    recipient_masked = fields.CharField(max_length=64, default="")
    subject = fields.CharField(max_length=200, default="")
    body = fields.TextField()
    status = fields.CharField(max_length=16, default="PENDING", description="PENDING, SENT, FAILED, DROPPED")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(description="held until quiet hours end, or the next retry")
    held = fields.BooleanField(default=False, description="held for the quiet hours")
    locked_by = fields.CharField(max_length=128, null=True)
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outgoing_message"
        ordering = ("id",)
        indexes = (("status", "next_attempt_at"),)


class NotificationPreference(Model):
    """A person's channels: each may be switched off, and e-mail needs an address."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    in_app = fields.BooleanField(default=True)
    email = fields.BooleanField(default=True)
    email_address = fields.CharField(max_length=200, default="")
    updated_at = fields.DatetimeField()

    class Meta:
        table = "notification_preference"


# ---- the outbox is written where the history is ----------------------------------------------
# One listener per history table, called by Tortoise in the save of every history row with that
# row's connection: the outbox row joins the history row's transaction, whoever wrote it, so no
# service can record an event and forget to announce it.

STATION_OPERATIONS = {"createStation": "station.create", "updateStation": "station.update"}


async def _ticket_event_saved(
    _sender: type[Model], row: Any, created: bool, using_db: Any, _update_fields: Any
) -> None:
    if created:
        await OutboxEvent.create(
            event_type=f"ticket.{row.action}",
            object_type="ticket",
            object_id=row.ticket_id,
            source_id=row.id,
            at=row.at,
            using_db=using_db,
        )


async def _proposal_event_saved(
    _sender: type[Model], row: Any, created: bool, using_db: Any, _update_fields: Any
) -> None:
    if created:
        await OutboxEvent.create(
            event_type=f"proposal.{row.action}",
            object_type="proposal",
            object_id=row.proposal_id,
            source_id=row.id,
            at=row.at,
            using_db=using_db,
        )


async def _audit_entry_saved(
    _sender: type[Model], row: Any, created: bool, using_db: Any, _update_fields: Any
) -> None:
    event_type = STATION_OPERATIONS.get(row.operation) if row.object_type == "Station" else None
    if created and event_type:
        await OutboxEvent.create(
            event_type=event_type,
            object_type="station",
            object_id=int(row.object_id),
            source_id=row.id,
            at=row.at,
            using_db=using_db,
        )


def _listen() -> None:
    from tortoise.signals import Signals

    from server.audit.models import AuditEntry
    from server.proposals.models import ProposalEvent
    from server.tickets.models import TicketEvent

    TicketEvent.register_listener(Signals.post_save, _ticket_event_saved)
    ProposalEvent.register_listener(Signals.post_save, _proposal_event_saved)
    AuditEntry.register_listener(Signals.post_save, _audit_entry_saved)


_listen()
