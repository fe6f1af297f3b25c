from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ApiKey",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "prefix",
                    fields.CharField(unique=True, description="public part, shown in lists", max_length=16),
                ),
                ("secret_hash", fields.CharField(description="sha256 of the secret part", max_length=64)),
                ("name", fields.CharField(max_length=100)),
                (
                    "scopes",
                    fields.JSONField(
                        description="objects it may read, e.g. ['station', 'stats']",
                        encoder=functools.partial(dumps, separators=(",", ":")),
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
                        related_name="api_keys",
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
                        related_name="api_keys",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_by", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "api_key",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "A data-sharing client's key. Only a hash of the secret is stored.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CasbinRule",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("ptype", fields.CharField(max_length=8)),
                ("v0", fields.CharField(default="", max_length=200)),
                ("v1", fields.CharField(default="", max_length=200)),
                ("v2", fields.CharField(default="", max_length=200)),
                ("v3", fields.CharField(default="", max_length=200)),
                ("v4", fields.CharField(default="", max_length=200)),
                ("v5", fields.CharField(default="", max_length=200)),
            ],
            options={
                "table": "casbin_rule",
                "app": "lianxin",
                "unique_together": (("ptype", "v0", "v1", "v2", "v3", "v4", "v5"),),
                "pk_attr": "id",
                "table_description": "Casbin policy (p) and grant (g) lines, read and written by server.authz.adapter.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LoginThrottle",
            fields=[
                ("key", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ("failures", fields.IntField(default=0)),
                ("window_started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("locked_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "login_throttle",
                "app": "lianxin",
                "pk_attr": "key",
                "table_description": "Failed logins per username, so that guessing is slowed down.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PolicyState",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("version", fields.IntField(default=0)),
                ("changed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "policy_state",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "A single row whose version rises with every policy change: workers compare it per request",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("username", fields.CharField(unique=True, max_length=64)),
                ("display_name", fields.CharField(max_length=100)),
                ("password_hash", fields.CharField(description="argon2id", max_length=200)),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "lianxin.Staff",
                        source_field="staff_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="users",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "deputy",
                    fields.ForeignKeyField(
                        "lianxin.Deputy",
                        source_field="deputy_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="users",
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
                        related_name="users",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "app_user",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "A login account, linked to the staff member or deputy it belongs to.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuthSession",
            fields=[
                ("id", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "lianxin.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sessions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "auth_session",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "One login. The access token names it (jti), so logging out or deactivating revokes it.",
            },
            bases=["Model"],
        ),
    ]
