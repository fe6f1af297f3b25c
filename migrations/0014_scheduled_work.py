"""Scheduled work and escalation rules as data.

- `scheduled_job`: one row per job, its schedule and its lease (server/jobs/runner.py); the rows
  are made by the first runner that starts, one per registered job.
- `escalation_rule` and `escalation_firing`: when open tickets are reminded and escalated, and
  which rule has fired for which ticket (once per ticket). The default rules are seeded here,
  because every database needs them, not only the demo: a reminder at 75% of the resolution time,
  the town at the resolution due time, the city one further resolution period later (200% of the
  resolution time): the last two are what escalateOverdueTickets did before rules were data.
- policy lines for the two new objects, for a database that has its policy already (a new one
  reads them from policies/policy.csv right after the migrations).
"""

from datetime import datetime

from server import clock
from server.enums import TimeUnit
from server.escalation.vocabulary import RuleAction
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

# Only placeholders are formatted into the statements below (S608): every value is bound.
MATCH = "ptype = {0} AND v0 = {1} AND v1 = {2} AND v2 = {3}"
NEW_LINES = (
    ("p", "bureau-staff", "escalation_rule", "read"),
    ("p", "bureau-staff", "escalation_rule", "create"),
    ("p", "bureau-staff", "escalation_rule", "update"),
    ("p", "admin", "job", "read"),
)
# (action, level, at_percent, after_due_amount, after_due_unit), for all categories
DEFAULT_RULES = (
    ("REMIND", 0, 75, None, None),
    ("ESCALATE", 1, None, 0, "NATURAL_HOURS"),
    ("ESCALATE", 2, 200, None, None),
)


def _placeholder(client):
    return (lambda n: f"${n}") if client.capabilities.dialect == "postgres" else (lambda n: "?")


async def _seed_rules(apps, schema_editor) -> None:
    client = schema_editor.client
    ph = _placeholder(client)
    now: datetime | str = clock.now()
    if client.capabilities.dialect != "postgres":
        now = now.isoformat(sep=" ")  # type: ignore[union-attr]
    for action, level, percent, amount, unit in DEFAULT_RULES:
        await client.execute_query(
            "INSERT INTO escalation_rule (category_id, action, level, at_percent, after_due_amount, "  # noqa: S608
            "after_due_unit, enabled, version, created_at, updated_at) "
            f"VALUES (NULL, {ph(1)}, {ph(2)}, {ph(3)}, {ph(4)}, {ph(5)}, {ph(6)}, 1, {ph(7)}, {ph(8)})",
            [action, level, percent, amount, unit, True, now, now],
        )


async def _unseed_rules(apps, schema_editor) -> None:
    await schema_editor.client.execute_script("DELETE FROM escalation_rule")


async def _add_policy_lines(apps, schema_editor) -> None:
    client = schema_editor.client
    ph = _placeholder(client)
    rows = await client.execute_query_dict("SELECT COUNT(*) AS n FROM casbin_rule WHERE ptype = 'p'")
    if not rows or not int(rows[0]["n"]):
        return  # a new database: load_policy_file_if_empty puts policy.csv in after the migrations
    added = 0
    for ptype, role, obj, act in NEW_LINES:
        exists = await client.execute_query_dict(
            "SELECT id FROM casbin_rule WHERE " + MATCH.format(ph(1), ph(2), ph(3), ph(4)),  # noqa: S608
            [ptype, role, obj, act],
        )
        if exists:
            continue
        await client.execute_query(
            "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "  # noqa: S608
            f"VALUES ({ph(1)}, {ph(2)}, {ph(3)}, {ph(4)}, '', '', '')",
            [ptype, role, obj, act],
        )
        added += 1
    if added:  # every worker reloads its enforcer at its next request
        await client.execute_query("UPDATE policy_state SET version = version + 1 WHERE id = 1")


async def _remove_policy_lines(apps, schema_editor) -> None:
    client = schema_editor.client
    ph = _placeholder(client)
    for ptype, role, obj, act in NEW_LINES:
        await client.execute_query(
            "DELETE FROM casbin_rule WHERE " + MATCH.format(ph(1), ph(2), ph(3), ph(4)),  # noqa: S608
            [ptype, role, obj, act],
        )
    await client.execute_query("UPDATE policy_state SET version = version + 1 WHERE id = 1")


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0013_work_calendar")]

    initial = False

    operations = [
        ops.CreateModel(
            name="EscalationRule",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "category",
                    fields.ForeignKeyField(
                        "lianxin.TicketCategory",
                        source_field="category_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="escalation_rules",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "action",
                    fields.CharEnumField(
                        description="REMIND: REMIND\nESCALATE: ESCALATE", enum_type=RuleAction, max_length=16
                    ),
                ),
                ("level", fields.SmallIntField(default=0, description="ESCALATE: 1 town, 2 city, REMIND: 0")),
                (
                    "at_percent",
                    fields.IntField(
                        null=True, description="percent of the resolution time after registration"
                    ),
                ),
                (
                    "after_due_amount",
                    fields.IntField(null=True, description="offset after the resolution due time"),
                ),
                (
                    "after_due_unit",
                    fields.CharEnumField(
                        null=True,
                        description="NATURAL_MINUTES: NATURAL_MINUTES\nNATURAL_HOURS: NATURAL_HOURS\n"
                        "WORKING_HOURS: WORKING_HOURS\nWORKING_DAYS: WORKING_DAYS",
                        enum_type=TimeUnit,
                        max_length=16,
                    ),
                ),
                ("enabled", fields.BooleanField(default=True)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "escalation_rule",
                "app": "lianxin",
                "pk_attr": "id",
                "table_description": "When an open ticket is reminded or escalated. "
                "A rule fires once per ticket, at either a",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EscalationFiring",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "rule",
                    fields.ForeignKeyField(
                        "lianxin.EscalationRule",
                        source_field="rule_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="firings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "ticket",
                    fields.ForeignKeyField(
                        "lianxin.Ticket",
                        source_field="ticket_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="escalation_firings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "escalation_firing",
                "app": "lianxin",
                "unique_together": (("rule", "ticket"),),
                "pk_attr": "id",
                "table_description": "Rule `rule` has fired for ticket `ticket`. "
                "The unique pair is what makes a rule fire once per",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ScheduledJob",
            fields=[
                ("name", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ("next_run_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "locked_by",
                    fields.CharField(null=True, description="the runner holding the lease", max_length=128),
                ),
                ("lease_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_finished_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_outcome", fields.CharField(default="NEVER_RUN", max_length=16)),
                ("last_error", fields.TextField(default="", unique=False)),
                (
                    "failures",
                    fields.IntField(default=0, description="consecutive failures, 0 after a success"),
                ),
                ("attempts", fields.IntField(default=0, description="runs started, ever")),
            ],
            options={
                "table": "scheduled_job",
                "app": "lianxin",
                "pk_attr": "name",
                "table_description": "The state of a job. "
                "A runner takes a due job by one guarded UPDATE (due, and no live lease) that",
            },
            bases=["Model"],
        ),
        ops.RunPython(_seed_rules, _unseed_rules),
        ops.RunPython(_add_policy_lines, _remove_policy_lines),
    ]
