"""Citizens' personal data (PIPL): when a ticket was anonymised, through which interface a personal
datum was read, and the permission for a person's requests (report and erasure).

policies/policy.csv enters a database at its first migrate only, so a database that already has
policy lines gets the new lines here; a new database gets them from the file right after.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

MATCH = "ptype = {0} AND v0 = {1} AND v1 = {2} AND v2 = {3}"
NEW_LINES = (
    ("p", "bureau-staff", "personal_data_request", "read"),
    ("p", "bureau-staff", "personal_data_request", "erase"),
)


# A citizen's request finds tickets by the digits of the phone, however it was typed. The expression
# must stay exactly server.privacy.requests.STORED_DIGITS, or the planner will not use the index.
STORED_DIGITS = (
    "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(reporter_phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')"
)
PHONE_INDEX = f"CREATE INDEX ticket_reporter_phone_digits ON ticket (({STORED_DIGITS}))"


async def _add_phone_index(apps, schema_editor) -> None:  # noqa: ANN001
    await schema_editor.client.execute_script(PHONE_INDEX)


async def _drop_phone_index(apps, schema_editor) -> None:  # noqa: ANN001
    await schema_editor.client.execute_script("DROP INDEX IF EXISTS ticket_reporter_phone_digits")


async def _add_policy_lines(apps, schema_editor) -> None:  # noqa: ANN001 - the migration API's signature
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    ph = (lambda n: f"${n}") if postgres else (lambda n: "?")
    rows = await client.execute_query_dict("SELECT COUNT(*) AS n FROM casbin_rule WHERE ptype = 'p'")
    if not rows or not int(rows[0]["n"]):
        return  # a new database: load_policy_file_if_empty puts policy.csv in after the migrations
    added = 0
    for ptype, role, obj, act in NEW_LINES:
        exists = await client.execute_query_dict(
            "SELECT id FROM casbin_rule WHERE " + MATCH.format(ph(1), ph(2), ph(3), ph(4)),
            [ptype, role, obj, act],
        )
        if exists:
            continue
        await client.execute_query(
            "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "
            f"VALUES ({ph(1)}, {ph(2)}, {ph(3)}, {ph(4)}, '', '', '')",
            [ptype, role, obj, act],
        )
        added += 1
    if added:  # every worker reloads its enforcer at its next request
        await client.execute_query("UPDATE policy_state SET version = version + 1 WHERE id = 1")


async def _remove_policy_lines(apps, schema_editor) -> None:  # noqa: ANN001
    client = schema_editor.client
    ph = (lambda n: f"${n}") if client.capabilities.dialect == "postgres" else (lambda n: "?")
    for ptype, role, obj, act in NEW_LINES:
        await client.execute_query(
            "DELETE FROM casbin_rule WHERE " + MATCH.format(ph(1), ph(2), ph(3), ph(4)),
            [ptype, role, obj, act],
        )
    await client.execute_query("UPDATE policy_state SET version = version + 1 WHERE id = 1")


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0009_append_only_everywhere")]

    initial = False

    operations = [
        ops.AddField(
            model_name="PersonalDataAccess",
            name="interface",
            field=fields.CharField(default="graphql", description="graphql, open311, csv, …", max_length=16),
        ),
        ops.AddField(
            model_name="Ticket",
            name="anonymised_at",
            field=fields.DatetimeField(
                null=True,
                description="when the reporter's personal data was removed (retention or erasure)",
                auto_now=False,
                auto_now_add=False,
            ),
        ),
        ops.RunPython(_add_phone_index, _drop_phone_index),
        ops.RunPython(_add_policy_lines, _remove_policy_lines),
    ]
