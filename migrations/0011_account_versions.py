"""Accounts are versioned rows like stations and postings: activation goes through the same
workflow step (version guard, audit entry) as every other change."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0010_personal_data_retention")]

    initial = False

    operations = [
        ops.AddField(
            model_name="User",
            name="updated_at",
            field=fields.DatetimeField(auto_now=True, auto_now_add=False, null=True),
        ),
        ops.AddField(
            model_name="User",
            name="version",
            field=fields.IntField(default=1, db_default=1),
        ),
    ]
