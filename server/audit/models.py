from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    """Who changed what: written by every mutation in its own transaction, never updated."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor = fields.CharField(max_length=64)
    operation = fields.CharField(max_length=64)
    object_type = fields.CharField(max_length=48)
    object_id = fields.CharField(max_length=64)
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    request_id = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_entry"
        ordering = ["id"]
