"""Notifications and webhooks (server.notifications): the outbox every history event enters in its
own transaction, webhook subscriptions, deliveries and their attempts, the in-app inbox, outgoing
e-mail and SMS, and each person's channel preferences.

Seed data: the admin's `webhook` policy lines, here (RunPython) for databases that already hold
policy lines (policies/policy.csv enters a new database at its first migrate, right after). The
message templates are data in a file, server/notifications/templates.csv, not rows: they change
with the code that fills their fields.
"""

from orjson import loads
from server.authz.policy_lines import add_policy_lines, remove_policy_lines
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

NEW_LINES = (
    ("p", "admin", "webhook", "read"),
    ("p", "admin", "webhook", "create"),
    ("p", "admin", "webhook", "update"),
)


async def _add_policy_lines(apps, schema_editor) -> None:
    await add_policy_lines(schema_editor.client, NEW_LINES)


async def _remove_policy_lines(apps, schema_editor) -> None:
    await remove_policy_lines(schema_editor.client, NEW_LINES)


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0018_documents")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Notification",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("recipient", fields.CharField(max_length=64)),
                ("kind", fields.CharField(max_length=48)),
                ("title", fields.CharField(max_length=200)),
                ("body", fields.TextField(default="", unique=False)),
                ("object_type", fields.CharField(default="", max_length=16)),
                ("object_id", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "notification",
                "app": "lianxin",
                "indexes": [Index(fields=["recipient", "id"])],
                "pk_attr": "id",
                "table_description": "An entry in a person's in-app inbox (staff, deputies), by account"
                " name.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="NotificationPreference",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("username", fields.CharField(unique=True, max_length=64)),
                ("in_app", fields.BooleanField(default=True)),
                ("email", fields.BooleanField(default=True)),
                ("email_address", fields.CharField(default="", max_length=200)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "notification_preference",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "A person's channels: each may be switched off, and e-mail needs an"
                " address.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OutboxEvent",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "event_type",
                    fields.CharField(description="e.g. ticket.register, proposal.assign", max_length=64),
                ),
                ("object_type", fields.CharField(description="ticket, proposal or station", max_length=16)),
                ("object_id", fields.BigIntField()),
                (
                    "source_id",
                    fields.BigIntField(
                        description="the history row (ticket_event, proposal_event, audit_entry)"
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("fanned_out_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "outbox_event",
                "app": "lianxin",
                "indexes": [Index(fields=["fanned_out_at", "id"])],
                "pk_attr": "id",
                "table_description": "A domain event that happened: written by the history row's own"
                " save, in its transaction, so",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OutgoingMessage",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("channel", fields.CharField(description="EMAIL or SMS", max_length=8)),
                ("template", fields.CharField(max_length=48)),
                ("username", fields.CharField(null=True, max_length=64)),
                ("ticket_id", fields.BigIntField(null=True, description="SMS to the ticket's reporter")),
                ("recipient_masked", fields.CharField(default="", max_length=64)),
                ("subject", fields.CharField(default="", max_length=200)),
                ("body", fields.TextField(unique=False)),
                (
                    "status",
                    fields.CharField(
                        default="PENDING", description="PENDING, SENT, FAILED, DROPPED", max_length=16
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(
                        description="held until quiet hours end, or the next retry",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("held", fields.BooleanField(default=False, description="held for the quiet hours")),
                ("locked_by", fields.CharField(null=True, max_length=128)),
                ("lease_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_error", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "outgoing_message",
                "app": "lianxin",
                "indexes": [Index(fields=["status", "next_attempt_at"])],
                "pk_attr": "id",
                "table_description": "An e-mail or SMS waiting to be sent (or sent). The recipient's"
                " address is read when it is",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookSubscription",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=100)),
                ("target_url", fields.CharField(max_length=500)),
                (
                    "event_types",
                    fields.JSONField(
                        description="event types, or a prefix with '*' (ticket.*)",
                        encoder=JSON_DUMPS,
                        decoder=loads,
                    ),
                ),
                (
                    "jurisdiction",
                    fields.ForeignKeyField(
                        "lianxin.Jurisdiction",
                        source_field="jurisdiction_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="webhook_subscriptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "department",
                    fields.ForeignKeyField(
                        "lianxin.Department",
                        source_field="department_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="webhook_subscriptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "api_key",
                    fields.ForeignKeyField(
                        "lianxin.ApiKey",
                        source_field="api_key_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="webhook_subscriptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "owner",
                    fields.CharField(
                        description="username told when the subscription is disabled", max_length=64
                    ),
                ),
                ("secret", fields.CharField(description="whsec_…: shown once, kept to sign", max_length=80)),
                ("enabled", fields.BooleanField(default=True)),
                ("disabled_reason", fields.TextField(default="", unique=False)),
                ("disabled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("version", fields.IntField(default=1)),
                ("updated_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "webhook_subscription",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "A department system's endpoint: which events, in which"
                " jurisdiction (and beneath it) and",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookDelivery",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "subscription",
                    fields.ForeignKeyField(
                        "lianxin.WebhookSubscription",
                        source_field="subscription_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "outbox",
                    fields.ForeignKeyField(
                        "lianxin.OutboxEvent",
                        source_field="outbox_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("message_id", fields.CharField(unique=True, max_length=48)),
                (
                    "object_key",
                    fields.CharField(
                        description="ticket:12: deliveries of one object go in order", max_length=40
                    ),
                ),
                ("event_type", fields.CharField(max_length=64)),
                ("payload", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                (
                    "status",
                    fields.CharField(
                        default="PENDING", description="PENDING, DELIVERED or DEAD", max_length=16
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                ("failures", fields.IntField(default=0, description="failures since it was (re)queued")),
                ("next_attempt_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("locked_by", fields.CharField(null=True, max_length=128)),
                ("lease_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_status_code", fields.IntField(null=True)),
                ("last_error", fields.TextField(default="", unique=False)),
                ("event_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("delivered_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("lag_ms", fields.BigIntField(null=True, description="from the event to its delivery")),
            ],
            options={
                "table": "webhook_delivery",
                "app": "lianxin",
                "indexes": [
                    Index(fields=["status", "next_attempt_at"]),
                    Index(fields=["subscription_id", "object_key", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "One event for one subscription: sent until the receiver answers"
                " 2xx, then DELIVERED, or after",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookAttempt",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "delivery",
                    fields.ForeignKeyField(
                        "lianxin.WebhookDelivery",
                        source_field="delivery_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="attempt_log",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("status_code", fields.IntField(null=True)),
                ("error", fields.TextField(default="", unique=False)),
                ("duration_ms", fields.IntField(default=0)),
                ("runner", fields.CharField(default="", max_length=128)),
            ],
            options={
                "table": "webhook_attempt",
                "app": "lianxin",
                "indexes": [Index(fields=["delivery_id", "id"])],
                "pk_attr": "id",
                "table_description": "Each try of a delivery: when, the answer's status code or the"
                " error, how long it took.",
            },
            bases=["Model"],
        ),
        ops.RunPython(_add_policy_lines, _remove_policy_lines),
    ]
