"""The suite's database is put back to the demo as built after a test that wrote (tests/conftest.py,
SuiteDatabase): rows inserted, updated and deleted, the append-only tables, the sequences, a change
of schema, and on PostgreSQL a session that holds a lock the put-back needs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_DB, SuiteDatabase


async def _sql(query: str) -> list[dict[str, Any]]:
    from tortoise import connections

    return list(await connections.get("default").execute_query_dict(query))


async def _everything() -> dict[str, Any]:
    """Every table's rows (in a stable order) and, on PostgreSQL, every sequence's position."""
    if TEST_DB == "postgres":
        tables = [
            r["name"]
            for r in await _sql("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
        ]
        sequences = [
            r["name"]
            for r in await _sql("SELECT sequencename AS name FROM pg_sequences WHERE schemaname = 'public'")
        ]
    else:
        tables = [r["name"] for r in await _sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
        sequences = []
    found: dict[str, Any] = {}
    for table in tables:
        rows = await _sql(f'SELECT * FROM "{table}"')
        if table == "policy_state":  # its version moves on at every put-back (SuiteDatabase._reset says why)
            rows = [{**row, "version": None} for row in rows]
        found[table] = sorted(repr(sorted(row.items())) for row in rows)
    for sequence in sequences:
        found[sequence] = await _sql(f'SELECT last_value, is_called FROM "{sequence}"')
    return found


async def _write_one_of_each() -> None:
    """A row inserted, one updated, one deleted, an append-only row added, an id taken."""
    from server.audit.models import AuditEntry
    from server.stations.models import Station

    station = await Station.all().order_by("id").first()
    assert station is not None
    await Station.filter(id=station.id).update(name=station.name + "（改）")
    await AuditEntry.create(actor="tester", operation="probe", object_type="Test", object_id="1")
    await _sql("DELETE FROM login_throttle")
    if TEST_DB == "postgres":
        await _sql("SELECT nextval('ticket_category_id_seq')")


async def test_rows_sequences_and_append_only_tables_are_put_back(
    database_url: str, suite_database: SuiteDatabase
) -> None:
    built = await _everything()
    assert built["login_throttle"], "the demo logs its accounts in: the throttle has rows to delete"
    await _write_one_of_each()
    written = await _everything()
    changed = {name for name in built if built[name] != written[name]}
    expected = {"station", "audit_entry", "login_throttle"}
    if TEST_DB == "postgres":
        expected |= {"ticket_category_id_seq", "audit_entry_id_seq"}
    assert expected <= changed, changed

    version = await _policy_version()
    assert await suite_database.dirty()
    await suite_database.reset()

    assert await _everything() == built
    assert await _policy_version() > version


async def _policy_version() -> int:
    return int((await _sql("SELECT version FROM policy_state WHERE id = 1"))[0]["version"])


async def test_a_change_of_schema_is_put_back(database_url: str, suite_database: SuiteDatabase) -> None:
    built = await _everything()
    await _sql("CREATE TABLE probe_table (id INTEGER PRIMARY KEY)")
    await _sql("INSERT INTO probe_table (id) VALUES (1)")
    await _sql("ALTER TABLE station ADD COLUMN probe_column INTEGER")
    assert "probe_table" in await _everything()

    assert await suite_database.dirty()
    created_before = suite_database.created_again
    await suite_database.reset()

    assert await _everything() == built
    if TEST_DB == "postgres":  # put back by creating the database again from its template
        assert suite_database.created_again == created_before + 1


@pytest.mark.postgres_only
@pytest.mark.skipif(
    TEST_DB != "postgres", reason="SQLite's backup does not wait for other connections' locks"
)
async def test_a_session_holding_a_lock_the_put_back_needs_is_cut(
    database_url: str, suite_database: SuiteDatabase
) -> None:
    import asyncpg

    built = await _everything()
    await _write_one_of_each()
    # another process's session, in a transaction left open with a changed table's row locked
    other = await asyncpg.connect(database_url.replace("asyncpg://", "postgresql://"))
    try:
        await other.execute("BEGIN")
        await other.execute("SELECT id FROM station ORDER BY id LIMIT 1 FOR UPDATE")

        assert await suite_database.dirty()
        await suite_database.reset()

        assert await _everything() == built
        with pytest.raises((asyncpg.PostgresConnectionError, asyncpg.InterfaceError, ConnectionError)):
            await other.fetchval("SELECT 1")
    finally:
        await other.close()
