"""Return visits (回访) and the three rates (三率).

- `return_visit`: one row per attempt to reach the citizen after a ticket is resolved; append-only
  like the ticket's history (the triggers of 0004 and 0009), since it is what the satisfaction rate
  is counted from.
- `ticket.close_reason`: SATISFIED, BASICALLY_SATISFIED or UNREACHABLE.
- Data, here because a database migrated past this point must already agree with the code:
  1. the citizen feedback recorded before return visits existed (ticket.citizen_satisfied) becomes
     one visit that reached the citizen, by an unnamed channel, so the satisfaction rate counts it
     (its words stay on the ticket's citizen_feedback; the visit's comment is left empty rather
     than copied unmasked);
  2. the rollup rows of the new metrics (resp_on_time, resp_late, visit:*) for the tickets and
     visits already there, at the community, town and city, so `lianxin rollup check` still equals
     a recomputation without a rebuild. The SQL is written out here rather than taken from
     server.stats.rollup, so that this migration keeps doing what it did when the code moves on.
"""

import importlib
from collections import defaultdict
from datetime import date

from server.enums import CloseReason, Rating, ReturnVisitChannel
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

_append_only = importlib.import_module("migrations.0004_append_only_history")
_everywhere = importlib.import_module("migrations.0009_append_only_everywhere")
TABLE = "return_visit"
RATING_DESCRIPTION = (
    "SATISFIED: SATISFIED\nBASICALLY_SATISFIED: BASICALLY_SATISFIED\nDISSATISFIED: DISSATISFIED"
)
VISIT_DESCRIPTION = "One attempt to reach the citizen after the ticket was resolved (回访), reached or not."


async def _visits_append_only(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(_append_only._postgres(TABLE) + _everywhere._postgres(TABLE))
    else:
        await client.execute_script(_append_only._sqlite(TABLE) + _everywhere._sqlite(TABLE))


async def _drop_visits_append_only(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(
            f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};"
            f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};"
        )
    else:
        await client.execute_script(
            "".join(
                f"DROP TRIGGER IF EXISTS {TABLE}_{name};"
                for name in ("no_update", "no_delete", "no_replace", "positive_id")
            )
        )


# Earlier feedback as visits: a satisfied one belongs to the ticket's current round; an unsatisfied
# one reopened the ticket, so it belongs to the round before.
FEEDBACK_AS_VISITS = """
INSERT INTO return_visit (ticket_id, round, attempt, channel, reached, rating, comment, actor, visited_at)
SELECT id,
       CASE WHEN citizen_satisfied THEN reopen_count ELSE reopen_count - 1 END,
       1, NULL, {true},
       CASE WHEN citizen_satisfied THEN 'SATISFIED' ELSE 'DISSATISFIED' END,
       '', 'migration 0015', COALESCE(closed_at, updated_at)
FROM ticket WHERE citizen_satisfied IS NOT NULL ORDER BY id
"""


async def _feedback_as_visits(apps, schema_editor) -> None:
    client = schema_editor.client
    true = "TRUE" if client.capabilities.dialect == "postgres" else "1"
    await client.execute_query(FEEDBACK_AS_VISITS.format(true=true))


def _rollup_queries(dialect: str) -> list[str]:
    if dialect == "postgres":
        day = "CAST(t.registered_at AT TIME ZONE 'Asia/Shanghai' AS DATE)"
        late = "ROUND(EXTRACT(EPOCH FROM (t.dispatched_at - t.response_due)), 3)"
    else:
        day = "substr(t.registered_at, 1, 10)"
        late = "ROUND((julianday(t.dispatched_at) - julianday(t.response_due)) * 86400.0, 3)"
    # Fixed fragments only: nothing here comes from outside the migration.
    return [
        (
            f"SELECT {day} AS d, t.jurisdiction_id AS j, "  # noqa: S608
            f"CASE WHEN {late} > 0 THEN 'resp_late' ELSE 'resp_on_time' END AS m, COUNT(*) AS n "
            "FROM ticket t WHERE t.dispatched_at IS NOT NULL GROUP BY 1, 2, 3"
        ),
        (
            f"SELECT {day} AS d, t.jurisdiction_id AS j, "  # noqa: S608
            "CASE WHEN v.reached AND v.rating = 'SATISFIED' THEN 'visit:satisfied' "
            "WHEN v.reached AND v.rating = 'BASICALLY_SATISFIED' THEN 'visit:basic' "
            "WHEN v.reached AND v.rating = 'DISSATISFIED' THEN 'visit:dissatisfied' "
            "ELSE 'visit:unreached' END AS m, COUNT(*) AS n "
            "FROM return_visit v JOIN ticket t ON t.id = v.ticket_id GROUP BY 1, 2, 3"
        ),
    ]


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _rollup_new_metrics(apps, schema_editor) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    codes = {
        row["id"]: row["code"] for row in await client.execute_query_dict("SELECT id, code FROM jurisdiction")
    }
    ids = {code: jid for jid, code in codes.items()}
    totals: dict[tuple[date, int, str], int] = defaultdict(int)
    for sql in _rollup_queries(dialect):
        for row in await client.execute_query_dict(sql):
            parts = codes.get(row["j"], "").split("/")
            # the community, its town and the city, as server.stats.rollup.levels
            levels = (
                [ids.get("/".join(parts[:n])) for n in range(len(parts), 0, -1)] if parts[0] else [row["j"]]
            )
            for jid in levels:
                if jid is not None:
                    totals[(_day(row["d"]), jid, row["m"])] += int(row["n"])
    for (day, jid, metric), count in sorted(totals.items()):
        marks = "$1, $2, $3, $4" if dialect == "postgres" else "?, ?, ?, ?"
        await client.execute_query(
            f"INSERT INTO ticket_rollup (day, jurisdiction_id, metric, count) VALUES ({marks})",  # noqa: S608
            [day if dialect == "postgres" else day.isoformat(), jid, metric, count],
        )


async def _drop_new_metrics(apps, schema_editor) -> None:
    await schema_editor.client.execute_query(
        "DELETE FROM ticket_rollup WHERE metric IN ('resp_on_time', 'resp_late') OR metric LIKE 'visit:%'"
    )


async def _nothing(apps, schema_editor) -> None:
    """Going back, the visits go with their table."""


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0014_scheduled_work")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ReturnVisit",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "ticket",
                    fields.ForeignKeyField(
                        "lianxin.Ticket",
                        source_field="ticket_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="return_visits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("round", fields.SmallIntField(default=0)),
                ("attempt", fields.SmallIntField(description="1, 2, … within its round")),
                (
                    "channel",
                    fields.CharEnumField(
                        null=True,
                        description="null: recorded as citizen feedback",
                        enum_type=ReturnVisitChannel,
                        max_length=16,
                    ),
                ),
                ("reached", fields.BooleanField()),
                (
                    "rating",
                    fields.CharEnumField(
                        null=True, description=RATING_DESCRIPTION, enum_type=Rating, max_length=24
                    ),
                ),
                ("comment", fields.TextField(default="", unique=False)),
                (
                    "visited_by",
                    fields.ForeignKeyField(
                        "lianxin.Staff",
                        source_field="visited_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="return_visits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("actor", fields.CharField(max_length=64)),
                ("visited_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "return_visit",
                "app": "lianxin",
                "indexes": [Index(fields=["ticket_id", "id"])],
                "pk_attr": "id",
                "table_description": VISIT_DESCRIPTION,
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Ticket",
            name="close_reason",
            field=fields.CharEnumField(
                null=True,
                description="why it was closed after its return visits",
                enum_type=CloseReason,
                max_length=24,
            ),
        ),
        ops.RunPython(_feedback_as_visits, _nothing),
        ops.RunPython(_visits_append_only, _drop_visits_append_only),
        ops.RunPython(_rollup_new_metrics, _drop_new_metrics),
    ]
