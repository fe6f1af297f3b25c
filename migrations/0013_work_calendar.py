"""The work calendar: days that differ from Monday-to-Friday, each year's published schedule,
office hours per jurisdiction, and ticket categories' times as an amount and a unit.

The statutory holidays themselves are not seeded here but by `lianxin migrate` after the
migrations (server.calendar.seed): the chinese-calendar package learns a new year with each release,
and a migration runs once, so the step adds every year the installed package knows and the database
has no schedule for, and never replaces one an administrator imported.

Existing categories keep their due times: minutes that make whole hours become natural hours, the
rest natural minutes (street problems fixed on the spot). A database that already has policy lines
gets admin's work_calendar:update here; a new one gets it from policies/policy.csv.
"""

from orjson import loads
from server.enums import CalendarDayKind, TimeUnit
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops

MATCH = "ptype = {0} AND v0 = {1} AND v1 = {2} AND v2 = {3}"
NEW_LINES = (("p", "admin", "work_calendar", "update"),)


def _ph(client):
    return (lambda n: f"${n}") if client.capabilities.dialect == "postgres" else (lambda n: "?")


async def _category_units(apps, schema_editor) -> None:
    client = schema_editor.client
    ph = _ph(client)
    rows = await client.execute_query_dict(
        "SELECT id, response_minutes, resolution_minutes FROM ticket_category"
    )
    for row in rows:
        values = []
        for minutes in (int(row["response_minutes"]), int(row["resolution_minutes"])):
            if minutes % 60 == 0:
                values += [minutes // 60, "NATURAL_HOURS"]
            else:
                values += [minutes, "NATURAL_MINUTES"]
        await client.execute_query(
            # only placeholders are formatted in: the values are parameters
            f"UPDATE ticket_category SET response_amount = {ph(1)}, response_unit = {ph(2)}, "  # noqa: S608
            f"resolution_amount = {ph(3)}, resolution_unit = {ph(4)} WHERE id = {ph(5)}",
            [*values, row["id"]],
        )


async def _no_category_units(apps, schema_editor) -> None:
    return  # the columns go with the fields


async def _add_policy_lines(apps, schema_editor) -> None:
    client = schema_editor.client
    ph = _ph(client)
    rows = await client.execute_query_dict("SELECT COUNT(*) AS n FROM casbin_rule WHERE ptype = 'p'")
    if not rows or not int(rows[0]["n"]):
        return  # a new database: load_policy_file_if_empty puts policy.csv in after the migrations
    added = 0
    for ptype, role, obj, act in NEW_LINES:
        exists = await client.execute_query_dict(
            "SELECT id FROM casbin_rule WHERE " + MATCH.format(ph(1), ph(2), ph(3), ph(4)),  # noqa: S608 - placeholders only
            [ptype, role, obj, act],
        )
        if exists:
            continue
        await client.execute_query(
            "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "  # noqa: S608 - placeholders only
            f"VALUES ({ph(1)}, {ph(2)}, {ph(3)}, {ph(4)}, '', '', '')",
            [ptype, role, obj, act],
        )
        added += 1
    if added:  # every worker reloads its enforcer at its next request
        await client.execute_query("UPDATE policy_state SET version = version + 1 WHERE id = 1")


async def _remove_policy_lines(apps, schema_editor) -> None:
    client = schema_editor.client
    ph = _ph(client)
    for ptype, role, obj, act in NEW_LINES:
        await client.execute_query(
            "DELETE FROM casbin_rule WHERE " + MATCH.format(ph(1), ph(2), ph(3), ph(4)),  # noqa: S608 - placeholders only
            [ptype, role, obj, act],
        )
    await client.execute_query("UPDATE policy_state SET version = version + 1 WHERE id = 1")


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0012_ticket_keyset_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="OfficeHours",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "jurisdiction",
                    fields.OneToOneField(
                        "lianxin.Jurisdiction",
                        source_field="jurisdiction_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="office_hours",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "periods",
                    fields.JSONField(
                        description='[["08:30", "12:00"], ...], in order', encoder=JSON_DUMPS, decoder=loads
                    ),
                ),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_by", fields.CharField(max_length=64)),
            ],
            options={
                "table": "office_hours",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": (
                    "A jurisdiction's office hours on workdays, e.g. "
                    '[["08:30", "12:00"], ["14:00", "18:00"]].'
                ),
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WorkCalendarDay",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("day", fields.DateField(unique=True)),
                ("year", fields.SmallIntField(db_index=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="HOLIDAY or MAKEUP_WORKDAY", enum_type=CalendarDayKind, max_length=16
                    ),
                ),
                ("name", fields.CharField(description="Chinese name, e.g. 国庆节", max_length=64)),
                ("name_en", fields.CharField(max_length=100)),
            ],
            options={
                "table": "work_calendar_day",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": (
                    "A day that breaks the default rule (Monday to Friday are workdays): "
                    "a statutory holiday or a"
                ),
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WorkCalendarYear",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("year", fields.SmallIntField(unique=True)),
                (
                    "source",
                    fields.CharField(
                        description="e.g. 国务院办公厅关于2027年部分节假日安排的通知", max_length=300
                    ),
                ),
                ("imported_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("imported_by", fields.CharField(max_length=64)),
                ("day_count", fields.SmallIntField(default=0)),
            ],
            options={
                "table": "work_calendar_year",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": (
                    "A year whose schedule is known (published by the State Council, imported or seeded). "
                    "A year"
                ),
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="TicketCategory",
            name="resolution_amount",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="TicketCategory",
            name="resolution_unit",
            field=fields.CharEnumField(
                null=True,
                description=(
                    "NATURAL_MINUTES: NATURAL_MINUTES\nNATURAL_HOURS: NATURAL_HOURS\n"
                    "WORKING_HOURS: WORKING_HOURS\nWORKING_DAYS: WORKING_DAYS"
                ),
                enum_type=TimeUnit,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="TicketCategory",
            name="response_amount",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="TicketCategory",
            name="response_unit",
            field=fields.CharEnumField(
                null=True,
                description=(
                    "NATURAL_MINUTES: NATURAL_MINUTES\nNATURAL_HOURS: NATURAL_HOURS\n"
                    "WORKING_HOURS: WORKING_HOURS\nWORKING_DAYS: WORKING_DAYS"
                ),
                enum_type=TimeUnit,
                max_length=16,
            ),
        ),
        ops.RunPython(_category_units, _no_category_units),
        ops.RunPython(_add_policy_lines, _remove_policy_lines),
    ]
