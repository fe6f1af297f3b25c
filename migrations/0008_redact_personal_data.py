"""Citizens' personal data out of the append-only tables (PIPL).

Audit snapshots of tickets held the reporter's name and phone, and history comments and audit
snapshots held free text with phone and ID numbers typed into it. Those tables refuse UPDATE and
DELETE (0004, 0005), so the copies could never be erased. This migration rewrites those rows as
new ones are now written (server.privacy.redaction): personal fields as "[set]" / "[changed]",
free text with the numbers (and the ticket's reporter name and phone) masked.

The append-only guarantee is lifted only for this migration's own UPDATEs, inside its transaction:
on PostgreSQL the row trigger is disabled and enabled again in the mode it had (ALTER TABLE takes
an exclusive lock, so no other session can write while it is off, and a failure rolls it all
back); on SQLite the UPDATE triggers are dropped and made again from their own stored SQL, that
is exactly as 0004 made them (DELETE stays refused throughout). The migration records itself in
the audit trail: how many rows, no values.
"""

import json
from datetime import UTC, datetime
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

from server.privacy.inventory import FREE_TEXT_FIELDS, PERSONAL_FIELDS
from server.privacy.redaction import known_values, redact_json, redact_snapshots, redact_text

TABLES = ("audit_entry", "ticket_event", "proposal_event")
BATCH = 1000
NAME = "0008_redact_personal_data"


class _Sql:
    """The same statements in either dialect: '?' or '$n' placeholders, JSON as text or jsonb."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.postgres = client.capabilities.dialect == "postgres"

    def p(self, n: int, json_value: bool = False) -> str:
        if not self.postgres:
            return "?"
        return f"CAST(${n} AS JSONB)" if json_value else f"${n}"

    async def run(self, sql: str, params: list[Any]) -> None:
        await self.client.execute_query(sql, params)


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


async def _lift(sql: _Sql) -> list[str]:
    """Switch off the UPDATE refusal of the three tables; returns the statements that restore it
    as it was (as 0004 made it; read back from the database, so that a later migration that changed
    the triggers gets its own back, whichever order the chain runs in)."""
    restore = []
    for table in TABLES:
        if sql.postgres:
            trigger = f"{table}_append_only"
            _, rows = await sql.client.execute_query(
                "SELECT tgenabled FROM pg_trigger WHERE tgname = $1 AND tgrelid = $2::regclass",
                [trigger, table],
            )
            mode = {"A": "ALWAYS ", "R": "REPLICA "}.get(str(rows[0]["tgenabled"]), "")
            await sql.run(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}", [])
            restore.append(f"ALTER TABLE {table} ENABLE {mode}TRIGGER {trigger}")
        else:
            trigger = f"{table}_no_update"
            _, rows = await sql.client.execute_query(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [trigger]
            )
            await sql.run(f"DROP TRIGGER {trigger}", [])
            restore.append(str(rows[0]["sql"]))
    return restore


async def _audit_entries(sql: _Sql) -> int:
    types = sorted(set(PERSONAL_FIELDS) | set(FREE_TEXT_FIELDS))
    marks = ", ".join(sql.p(n + 2) for n in range(len(types)))
    changed, last = 0, 0
    while True:
        batch = await sql.client.execute_query(
            f'SELECT id, object_type, "before", "after" FROM audit_entry WHERE id > {sql.p(1)} '
            f"AND object_type IN ({marks}) ORDER BY id LIMIT {BATCH}",
            [last, *types],
        )
        rows = [dict(row) for row in batch[1]]
        if not rows:
            return changed
        updates = []
        for row in rows:
            last = row["id"]
            before, after = _load(row["before"]), _load(row["after"])
            new_before, new_after = redact_snapshots(row["object_type"], before, after)
            if (new_before, new_after) != (before, after):
                updates.append([_dump(new_before), _dump(new_after), row["id"]])
        if updates:  # one round trip per batch (executemany), not per row
            await sql.client.execute_many(
                f'UPDATE audit_entry SET "before" = {sql.p(1, True)}, "after" = {sql.p(2, True)} '
                f"WHERE id = {sql.p(3)}",
                updates,
            )
            changed += len(updates)


async def _events(sql: _Sql, table: str, with_ticket: bool) -> int:
    select = (
        "SELECT e.id, e.comment, e.data, t.reporter_name, t.reporter_phone FROM ticket_event e "
        "JOIN ticket t ON t.id = e.ticket_id"
        if with_ticket
        else f"SELECT e.id, e.comment, e.data FROM {table} e"
    )
    changed, last = 0, 0
    while True:
        batch = await sql.client.execute_query(
            f"{select} WHERE e.id > {sql.p(1)} ORDER BY e.id LIMIT {BATCH}", [last]
        )
        rows = [dict(row) for row in batch[1]]
        if not rows:
            return changed
        updates = []
        for row in rows:
            last = row["id"]
            known = known_values(row) if with_ticket else []
            data = _load(row["data"])
            comment, new_data = redact_text(row["comment"], known), redact_json(data, known)
            if comment != (row["comment"] or "") or new_data != data:
                updates.append([comment, _dump(new_data), row["id"]])
        if updates:
            await sql.client.execute_many(
                f"UPDATE {table} SET comment = {sql.p(1)}, data = {sql.p(2, True)} WHERE id = {sql.p(3)}",
                updates,
            )
            changed += len(updates)


async def forward(apps, schema_editor) -> None:  # noqa: ANN001 - the migration API's signature
    sql = _Sql(schema_editor.client)
    restore = await _lift(sql)
    counts = {
        "audit_entry": await _audit_entries(sql),
        "ticket_event": await _events(sql, "ticket_event", with_ticket=True),
        "proposal_event": await _events(sql, "proposal_event", with_ticket=False),
    }
    for statement in restore:
        await sql.run(statement, [])
    values = ", ".join([*(sql.p(n) for n in range(1, 6)), "NULL", sql.p(6, True), sql.p(7)])
    await sql.run(
        'INSERT INTO audit_entry (at, actor, operation, object_type, object_id, "before", "after", '
        f"request_id) VALUES ({values})",
        [
            datetime.now(UTC) if sql.postgres else datetime.now(UTC).isoformat(sep=" "),
            "migration",
            "redactPersonalData",
            "Migration",
            NAME,
            json.dumps({"rowsRedacted": counts}),
            "",
        ],
    )


async def backward(apps, schema_editor) -> None:  # noqa: ANN001
    """Redacted values are gone for good: nothing to undo (the audit row stays, append-only)."""


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0007_request_rate_limits")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
