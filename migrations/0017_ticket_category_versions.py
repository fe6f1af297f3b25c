"""Ticket categories' times become editable (updateTicketCategoryTimes): a version for optimistic
concurrency and the time of the last change; the policy line that lets bureau staff change them,
for a database that has its policy already."""

from server.authz.policy_lines import add_policy_lines, remove_policy_lines
from tortoise import fields, migrations
from tortoise.migrations import operations as ops

NEW_LINES = (("p", "bureau-staff", "ticket_category", "update"),)


async def _add_lines(apps, schema_editor) -> None:
    await add_policy_lines(schema_editor.client, NEW_LINES)


async def _remove_lines(apps, schema_editor) -> None:
    await remove_policy_lines(schema_editor.client, NEW_LINES)


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0016_attachments")]

    initial = False

    operations = [
        ops.AddField(
            model_name="TicketCategory",
            name="version",
            field=fields.IntField(default=1, db_default=1),
        ),
        ops.AddField(
            model_name="TicketCategory",
            name="updated_at",
            field=fields.DatetimeField(
                null=True,
                description="when the times last changed (null: as loaded)",
                auto_now=False,
                auto_now_add=False,
            ),
        ),
        ops.RunPython(_add_lines, _remove_lines),
    ]
