"""Known defects put right: who may own a webhook subscription as the creator of its data-sharing
key becomes a policy line (`own_webhook` read / create / update, admin's by default) rather than a
rule in code.

Seed data: the admin's `own_webhook` lines, here (RunPython) for databases that already hold policy
lines (policies/policy.csv enters a new database at its first migrate, right after)."""

from server.authz.policy_lines import add_policy_lines, remove_policy_lines
from tortoise import migrations
from tortoise.migrations import operations as ops

NEW_LINES = (
    ("p", "admin", "own_webhook", "read"),
    ("p", "admin", "own_webhook", "create"),
    ("p", "admin", "own_webhook", "update"),
)


async def _add_lines(apps, schema_editor) -> None:
    await add_policy_lines(schema_editor.client, NEW_LINES)


async def _remove_lines(apps, schema_editor) -> None:
    await remove_policy_lines(schema_editor.client, NEW_LINES)


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0020_operations")]

    initial = False

    operations = [
        ops.RunPython(_add_lines, _remove_lines),
    ]
