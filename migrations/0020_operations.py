"""Operations: the read replicas' write marks (server.replicas), one row per caller that changed
data lately, so that its reads go to the primary. No seed data."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0019_notifications")]

    initial = False

    operations = [
        ops.CreateModel(
            name="WriteMark",
            fields=[
                (
                    "caller",
                    fields.CharField(
                        primary_key=True,
                        unique=True,
                        db_index=True,
                        description="a user's or a key's name",
                        max_length=128,
                    ),
                ),
                ("wrote_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "replica_write_mark",
                "app": "lianxin",
                "pk_attr": "caller",
                "table_description": "A caller's last write.",
            },
            bases=["Model"],
        ),
    ]
