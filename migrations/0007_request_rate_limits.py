"""Rate limits counted in the database (request_rate), shared by every worker and server; the
interface (graphql, websocket, open311, csv) of each recorded use of a data-sharing key."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0006_ticket_queue_index")]

    initial = False

    operations = [
        ops.CreateModel(
            name="RequestRate",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("key", fields.CharField(max_length=64)),
                ("window_start", fields.BigIntField()),
                ("count", fields.IntField(default=0)),
            ],
            options={
                "table": "request_rate",
                "app": "lianxin",
                "unique_together": (("key", "window_start"),),
                "indexes": [Index(fields=["window_start"])],
                "pk_attr": "id",
                "table_description": 'Requests per rate-limited caller (e.g. "key:<prefix>") per fixed one-minute window, counted',
            },
            bases=["Model"],
        ),
        ops.AlterModelOptions(
            name="ApiKeyUse",
            options={
                "table": "api_key_use",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "Every request made with a data-sharing key: which key, through which interface (graphql,",
            },
        ),
        ops.AddField(
            model_name="ApiKeyUse",
            name="interface",
            field=fields.CharField(default="graphql", max_length=16),
        ),
    ]
