from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0002_auth_and_policies")]

    initial = False

    operations = [
        ops.CreateModel(
            name="TicketCounter",
            fields=[
                (
                    "day",
                    fields.CharField(
                        primary_key=True, unique=True, db_index=True, description="YYYYMMDD", max_length=8
                    ),
                ),
                ("last_number", fields.IntField(default=0)),
            ],
            options={
                "table": "ticket_counter",
                "app": "lianxin",
                "pk_attr": "day",
                "table_description": "Last ticket number issued per day: DG-YYYYMMDD-NNNNNN stays unique under concurrent intake",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Ticket",
            name="citizen_feedback",
            field=fields.TextField(default="", unique=False),
        ),
        ops.AddField(
            model_name="Ticket",
            name="escalated_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Ticket",
            name="reopen_count",
            field=fields.SmallIntField(default=0),
        ),
    ]
