"""History and audit are append-only: the database itself refuses UPDATE and DELETE on them.

One migration for both databases: it asks the connection which dialect it speaks.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLES = ("audit_entry", "ticket_event", "proposal_event")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION lianxin_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""


def _postgres(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION lianxin_refuse_change();\n"
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION lianxin_refuse_change();\n"
    )


def _sqlite(table: str) -> str:
    return "".join(
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only: {op} refused'); END;\n"
        for op in ("UPDATE", "DELETE")
    )


async def forward(apps, schema_editor) -> None:  # noqa: ANN001 - the migration API's signature
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(POSTGRES_FUNCTION + "".join(_postgres(t) for t in TABLES))
    else:
        await client.execute_script("".join(_sqlite(t) for t in TABLES))


async def backward(apps, schema_editor) -> None:  # noqa: ANN001
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        drops = "".join(
            f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}; DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};"
            for t in TABLES
        )
        await client.execute_script(drops + "DROP FUNCTION IF EXISTS lianxin_refuse_change();")
    else:
        await client.execute_script(
            "".join(f"DROP TRIGGER IF EXISTS {t}_no_{op};" for t in TABLES for op in ("update", "delete"))
        )


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0003_ticket_workflow")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
