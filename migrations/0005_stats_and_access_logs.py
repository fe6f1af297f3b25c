import importlib

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

_append_only = importlib.import_module("migrations.0004_append_only_history")
LOG_TABLES = ("personal_data_access", "api_key_use")


async def _logs_append_only(apps, schema_editor) -> None:  # noqa: ANN001 - the migration API's signature
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script("".join(_append_only._postgres(t) for t in LOG_TABLES))
    else:
        await client.execute_script("".join(_append_only._sqlite(t) for t in LOG_TABLES))


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0004_append_only_history")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ApiKeyUse",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("prefix", fields.CharField(db_index=True, max_length=16)),
                ("operation", fields.CharField(max_length=200)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("allowed", fields.BooleanField(default=True)),
            ],
            options={
                "table": "api_key_use",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "Every request made with a data-sharing key: which key, which operation, when.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PersonalDataAccess",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("actor", fields.CharField(db_index=True, max_length=64)),
                ("ticket_id", fields.BigIntField(db_index=True)),
                ("ticket_number", fields.CharField(max_length=32)),
                ("fields_read", fields.CharField(max_length=64)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("request_id", fields.CharField(default="", max_length=64)),
            ],
            options={
                "table": "personal_data_access",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "Every read of a citizen's name or phone: who, which ticket, which field, when.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TicketRollup",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("day", fields.DateField()),
                (
                    "jurisdiction",
                    fields.ForeignKeyField(
                        "lianxin.Jurisdiction",
                        source_field="jurisdiction_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="ticket_rollups",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("metric", fields.CharField(max_length=24)),
                ("count", fields.IntField(default=0)),
            ],
            options={
                "table": "ticket_rollup",
                "app": "lianxin",
                "unique_together": (("day", "jurisdiction", "metric"),),
                "indexes": [Index(fields=["jurisdiction_id", "day"])],
                "pk_attr": "id",
                "table_description": "Ticket figures kept up to date as tickets change, so that a scorecard over a million tickets",
            },
            bases=["Model"],
        ),
        ops.RunPython(_logs_append_only),
    ]
