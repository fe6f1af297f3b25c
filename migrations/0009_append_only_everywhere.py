"""Append-only means no way round it, on every append-only table and both databases.

0004 and 0005 refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL) on the audit trail, the ticket
and proposal histories, the key-use log and the personal-data read log. Two gaps remained:

- SQLite: `INSERT OR REPLACE` / `REPLACE INTO` on an existing id deletes the old row without
  running its DELETE triggers (unless PRAGMA recursive_triggers is on, which any connection can
  switch off). A BEFORE INSERT trigger now refuses an insert whose id is already taken, so the
  REPLACE never reaches its delete. In a BEFORE INSERT trigger NEW.id is -1 when the id is left
  to SQLite, so an AFTER INSERT trigger (where NEW.id is the real id) keeps every id positive:
  no row can ever sit at -1 and make ordinary inserts look like a REPLACE. The same trigger keeps
  ids consecutive (a new id is the last one plus one, as SQLite's own are, rows never being
  deleted): a row placed at the largest possible id would otherwise make every later insert fail
  ("database or disk is full"), and with it every change, whose audit entry could not be written.
- PostgreSQL: `SET session_replication_role = replica` (superuser) silences ordinary triggers.
  The triggers are made ENABLE ALWAYS, so they fire in every replication role.

INSERT … ON CONFLICT DO UPDATE (both databases) and MERGE (PostgreSQL) already run the UPDATE /
DELETE triggers; the tests in tests/audit/test_append_only.py try every way.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLES = ("audit_entry", "ticket_event", "proposal_event", "api_key_use", "personal_data_access")


def _sqlite(table: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only: REPLACE refused'); END;\n"
        f"CREATE TRIGGER IF NOT EXISTS {table}_positive_id AFTER INSERT ON {table} "
        f"WHEN NEW.id < 1 OR NEW.id > 1 + (SELECT COALESCE(MAX(id), 0) FROM {table} WHERE id < NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only: ids are positive and consecutive'); "
        f"END;\n"
    )


def _postgres(table: str, enable: str = "ENABLE ALWAYS") -> str:
    return (
        f"ALTER TABLE {table} {enable} TRIGGER {table}_append_only;\n"
        f"ALTER TABLE {table} {enable} TRIGGER {table}_no_truncate;\n"
    )


async def forward(apps, schema_editor) -> None:  # noqa: ANN001 - the migration API's signature
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script("".join(_postgres(t) for t in TABLES))
    else:
        await client.execute_script("".join(_sqlite(t) for t in TABLES))


async def backward(apps, schema_editor) -> None:  # noqa: ANN001
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script("".join(_postgres(t, "ENABLE") for t in TABLES))
    else:
        await client.execute_script(
            "".join(
                f"DROP TRIGGER IF EXISTS {t}_no_replace; DROP TRIGGER IF EXISTS {t}_positive_id;"
                for t in TABLES
            )
        )


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0008_redact_personal_data")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
