from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.privacy.redaction import redact_snapshots


class AuditEntry(Model):
    """Who changed what: written by every mutation in its own transaction, never updated.

    The table is append-only, so nothing written here can be erased: a citizen's name and phone are
    kept as "[set]" / "[changed]" and free text with its phone and ID numbers masked
    (server.privacy.redaction), whoever writes the row."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor = fields.CharField(max_length=64)
    operation = fields.CharField(max_length=64)
    object_type = fields.CharField(max_length=48)
    object_id = fields.CharField(max_length=64)
    before: fields.JSONField[Any] = fields.JSONField(null=True)
    after: fields.JSONField[Any] = fields.JSONField(null=True)
    request_id = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_entry"
        ordering = ("id",)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        self.before, self.after = redact_snapshots(self.object_type, self.before, self.after)
        await super().save(*args, **kwargs)


class ApiKeyUse(Model):
    """Every request made with a data-sharing key: which key, through which interface (graphql,
    websocket, open311, csv), which operation, when, and whether it was served or refused."""

    id = fields.BigIntField(primary_key=True)
    prefix = fields.CharField(max_length=16, db_index=True)
    interface = fields.CharField(max_length=16, default="graphql")
    operation = fields.CharField(max_length=200)
    at = fields.DatetimeField()
    allowed = fields.BooleanField(default=True)

    class Meta:
        table = "api_key_use"
        ordering = ("-id",)


class PersonalDataAccess(Model):
    """Every read of a citizen's name or phone: who, which ticket, which field, when."""

    id = fields.BigIntField(primary_key=True)
    actor = fields.CharField(max_length=64, db_index=True)
    ticket_id = fields.BigIntField(db_index=True)
    ticket_number = fields.CharField(max_length=32)
    fields_read = fields.CharField(max_length=64)
    at = fields.DatetimeField()
    request_id = fields.CharField(max_length=64, default="")
    interface = fields.CharField(max_length=16, default="graphql", description="graphql, open311, csv, …")

    class Meta:
        table = "personal_data_access"
        ordering = ("-id",)
