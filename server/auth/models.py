from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from datetime import datetime

    from server.geo.models import Jurisdiction
    from server.proposals.models import Deputy
    from server.staff.models import Department, Staff


class User(Model):
    """A login account, linked to the staff member or deputy it belongs to."""

    # Never copied into the audit trail.
    audit_hidden: ClassVar[frozenset[str]] = frozenset({"password_hash"})

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=100)
    password_hash = fields.CharField(max_length=200, description="argon2id")
    staff: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "lianxin.Staff", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    staff_id: int | None
    deputy: fields.ForeignKeyNullableRelation[Deputy] = fields.ForeignKeyField(
        "lianxin.Deputy", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    deputy_id: int | None
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "lianxin.Department", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    department_id: int | None
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1, db_default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Null on accounts created before accounts were versioned, until their first change.
    updated_at = fields.DatetimeField(auto_now=True, null=True)

    class Meta:
        table = "app_user"
        ordering = ("id",)


class AuthSession(Model):
    """One login. The access token names it (jti), so logging out or deactivating revokes it."""

    id = fields.CharField(max_length=32, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "lianxin.User", related_name="sessions", on_delete=fields.RESTRICT
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_session"


class LoginThrottle(Model):
    """Failed logins per username, so that guessing is slowed down."""

    key = fields.CharField(max_length=64, primary_key=True)
    failures = fields.IntField(default=0)
    window_started_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "login_throttle"


class ApiKey(Model):
    """A data-sharing client's key. Only a hash of the secret is stored."""

    id = fields.IntField(primary_key=True)
    prefix = fields.CharField(max_length=16, unique=True, description="public part, shown in lists")
    secret_hash = fields.CharField(max_length=64, description="sha256 of the secret part")
    name = fields.CharField(max_length=100)
    scopes: fields.JSONField[list[str]] = fields.JSONField(
        description="objects it may read, e.g. ['station', 'stats']"
    )
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="api_keys", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "lianxin.Department", related_name="api_keys", null=True, on_delete=fields.RESTRICT
    )
    department_id: int | None
    created_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    def live_at(self, moment: datetime) -> bool:
        """Not revoked, and not expired at `moment`."""
        return self.revoked_at is None and self.expires_at > moment

    class Meta:
        table = "api_key"
        ordering = ("id",)
