"""The access rules in the database: Casbin's policy and grant lines, and the policy's version."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class CasbinRule(Model):
    """Casbin policy (p) and grant (g) lines, read and written by server.authz.adapter."""

    id = fields.IntField(primary_key=True)
    ptype = fields.CharField(max_length=8)
    v0 = fields.CharField(max_length=200, default="")
    v1 = fields.CharField(max_length=200, default="")
    v2 = fields.CharField(max_length=200, default="")
    v3 = fields.CharField(max_length=200, default="")
    v4 = fields.CharField(max_length=200, default="")
    v5 = fields.CharField(max_length=200, default="")

    class Meta:
        table = "casbin_rule"
        ordering = ("id",)
        unique_together = (("ptype", "v0", "v1", "v2", "v3", "v4", "v5"),)


class PolicyState(Model):
    """A single row whose version rises with every policy change: workers compare it per request
    and reload their enforcer when it moved."""

    id = fields.IntField(primary_key=True)
    version = fields.IntField(default=0)
    changed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "policy_state"
