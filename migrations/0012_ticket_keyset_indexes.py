from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0011_account_versions")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Ticket",
            index=Index(fields=["registered_at", "id"]),
        ),
        ops.AddIndex(
            model_name="Ticket",
            index=Index(fields=["status", "registered_at", "id"]),
        ),
    ]
