from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0005_stats_and_access_logs")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Ticket",
            index=Index(fields=["status", "jurisdiction_id", "resolution_due"]),
        ),
    ]
