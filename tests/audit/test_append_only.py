"""The audit trail, the histories and the access logs cannot be rewritten: the database refuses
UPDATE, DELETE, REPLACE, upserts that update, MERGE and TRUNCATE on them."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.exceptions import BaseORMException

from tests.helpers import data


async def test_audit_and_history_rows_refuse_update_and_delete(gql: Any) -> None:
    from server.audit.models import AuditEntry
    from server.proposals.models import ProposalEvent
    from server.tickets.models import TicketEvent

    await AuditEntry.create(
        actor="tester", operation="probe", object_type="Test", object_id="1"
    )  # inserts: fine
    for model in (AuditEntry, TicketEvent, ProposalEvent):
        row = await model.all().order_by("id").first()
        assert row is not None, model
        with pytest.raises(BaseORMException, match="append-only"):
            await model.filter(id=row.id).update(actor="someone else")
        with pytest.raises(BaseORMException, match="append-only"):
            await model.filter(id=row.id).delete()
        assert (await model.get(id=row.id)).actor == row.actor
    # and the API keeps working afterwards
    assert data(await gql("{ stations(first: 1) { totalCount } }"))["stations"]["totalCount"] > 0


async def test_every_mutation_writes_an_audit_entry_with_before_and_after(gql: Any) -> None:
    from server.audit.models import AuditEntry

    xiagang = data(await gql('{ jurisdictions(filter: {search: "Xiagang"}) { nodes { id } } }'))
    jid = xiagang["jurisdictions"]["nodes"][0]["id"]
    created = data(
        await gql(
            """mutation($i: CreateStationInput!) { createStation(input: $i) {
              ... on StationPayload { station { id } } } }""",
            {
                "i": {
                    "code": "audit-test-station",
                    "name": "审计测试驿站",
                    "kind": "COMMUNITY_WORKSTATION",
                    "level": "COMMUNITY",
                    "floorArea": 30.0,
                    "restArea": 10.0,
                    "address": "测试",
                    "jurisdictionId": jid,
                }
            },
        )
    )["createStation"]["station"]
    data(
        await gql(
            """mutation($i: UpdateStationInput!) { updateStation(input: $i) { __typename } }""",
            {"i": {"id": created["id"], "version": 1, "name": "审计测试驿站（改名）"}},
        )
    )
    entries = await AuditEntry.filter(object_type="Station").order_by("-id").limit(2)
    update, create = entries
    assert (create.operation, create.actor, create.before) == ("createStation", "bureau", None)
    assert update.operation == "updateStation" and update.actor == "bureau"
    assert update.before["name"] == "审计测试驿站" and update.after["name"] == "审计测试驿站（改名）"
    assert update.request_id and update.request_id != create.request_id


# ---- every append-only table, every way a row could be rewritten or removed --------------------
#
# As an attacker holding the application's own database connection would try it: plain SQL on the
# connection the server uses. Each way must leave the row exactly as it was.

APPEND_ONLY = (
    "audit_entry",
    "ticket_event",
    "proposal_event",
    "api_key_use",
    "personal_data_access",
    "return_visit",
)
TEXT_COLUMN = {
    "return_visit": "actor",
    "audit_entry": "actor",
    "ticket_event": "actor",
    "proposal_event": "actor",
    "api_key_use": "operation",
    "personal_data_access": "actor",
}
REWRITES = {
    # way: (dialects, statement template; {t} table, {cols} columns, {rewritten} the columns with
    # the text column changed, {c} the text column, {id} the row's id)
    "update": (("sqlite", "postgres"), "UPDATE {t} SET {c} = {c} || ' (rewritten)' WHERE id = {id}"),
    "delete": (("sqlite", "postgres"), "DELETE FROM {t} WHERE id = {id}"),
    "delete_all": (("sqlite", "postgres"), "DELETE FROM {t}"),
    "insert_or_replace": (
        ("sqlite",),
        "INSERT OR REPLACE INTO {t} ({cols}) SELECT {rewritten} FROM {t} WHERE id = {id}",
    ),
    "replace_into": (("sqlite",), "REPLACE INTO {t} ({cols}) SELECT {rewritten} FROM {t} WHERE id = {id}"),
    "update_or_replace": (("sqlite",), "UPDATE OR REPLACE {t} SET {c} = 'rewritten' WHERE id = {id}"),
    "recursive_triggers_off_then_replace": (
        ("sqlite",),
        (
            "PRAGMA recursive_triggers = OFF; "
            "INSERT OR REPLACE INTO {t} ({cols}) SELECT {rewritten} FROM {t} WHERE id = {id}"
        ),
    ),
    "on_conflict_do_update": (
        ("sqlite", "postgres"),
        (
            "INSERT INTO {t} ({cols}) SELECT {rewritten} FROM {t} WHERE id = {id} "
            "ON CONFLICT (id) DO UPDATE SET {c} = excluded.{c}"
        ),
    ),
    "truncate": (("postgres",), "TRUNCATE {t}"),
    "merge_update": (
        ("postgres",),
        (
            "MERGE INTO {t} USING (SELECT {id} AS id) AS s ON {t}.id = s.id "
            "WHEN MATCHED THEN UPDATE SET {c} = 'rewritten'"
        ),
    ),
    "merge_delete": (
        ("postgres",),
        "MERGE INTO {t} USING (SELECT {id} AS id) AS s ON {t}.id = s.id WHEN MATCHED THEN DELETE",
    ),
    "triggers_off_by_replication_role": (
        ("postgres",),
        "SET LOCAL session_replication_role = replica; DELETE FROM {t} WHERE id = {id}",
    ),
}


def _connection() -> Any:
    from tortoise import connections

    return connections.get("default")


def _dialect() -> str:
    return str(_connection().capabilities.dialect)


@pytest.fixture
async def probe(gql: Any) -> dict[str, Any]:
    """A ticket, and a proposal with a handling task, made through the API for each test alone:
    the rows the tests append (and try to rewrite) hang off them, never off demo data that other
    tests read (Mr Wang's history, proposal 16-7-0001's)."""
    from tests.proposals import flow
    from tests.tickets.workflow_helpers import ids, register

    ticket = (await register(gql, await ids(gql)))["ticket"]
    proposal = await flow.handling(gql)
    task = await flow.ok(
        gql,
        "createHandlingTask",
        {
            "proposalId": proposal["id"],
            "version": proposal["version"],
            "title": "只读测试任务 (append-only probe)",
            "responsibleUnitId": await flow.department(gql, "bureau"),
            "dueOn": "2099-12-31",
        },
        "bureau",
    )
    return {
        "ticket_id": flow.pk(ticket["id"]),
        "ticket_number": ticket["number"],
        "proposal_id": flow.pk(proposal["id"]),
        "task_id": flow.pk(task["task"]["id"]),
    }


async def _a_row(table: str, probe: dict[str, Any]) -> int:
    """A fresh row of the table (inserting is what these tables are for)."""
    from server import clock
    from server.audit.models import ApiKeyUse, AuditEntry, PersonalDataAccess
    from server.proposals.models import ProposalEvent
    from server.tickets.models import ReturnVisit, TicketEvent

    now = clock.now()
    if table == "audit_entry":
        row: Any = await AuditEntry.create(
            actor="tester", operation="probe", object_type="Test", object_id="1"
        )
    elif table == "ticket_event":
        row = await TicketEvent.create(ticket_id=probe["ticket_id"], actor="tester", action="probe", at=now)
    elif table == "proposal_event":
        row = await ProposalEvent.create(
            proposal_id=probe["proposal_id"], actor="tester", action="probe", at=now
        )
    elif table == "api_key_use":
        row = await ApiKeyUse.create(prefix="lxk_probe", operation="probe", at=now)
    elif table == "return_visit":
        row = await ReturnVisit.create(
            ticket_id=probe["ticket_id"], attempt=1, reached=False, actor="tester", visited_at=now
        )
    else:
        row = await PersonalDataAccess.create(
            actor="tester",
            ticket_id=probe["ticket_id"],
            ticket_number=probe["ticket_number"],
            fields_read="reporter_phone",
            at=now,
        )
    return int(row.id)


async def _columns(table: str) -> list[str]:
    conn = _connection()
    if _dialect() == "postgres":
        rows = await conn.execute_query_dict(
            "SELECT column_name AS name FROM information_schema.columns "
            f"WHERE table_name = '{table}' AND table_schema = current_schema() ORDER BY ordinal_position"
        )
    else:
        rows = await conn.execute_query_dict(f"PRAGMA table_info({table})")
    return [str(r["name"]) for r in rows]


async def _snapshot(table: str) -> tuple[int, list[dict[str, Any]]]:
    conn = _connection()
    count = (await conn.execute_query_dict(f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"]
    rows = await conn.execute_query_dict(f"SELECT * FROM {table} ORDER BY id DESC LIMIT 5")
    return int(count), rows


async def _attempt(sql: str) -> None:
    from tortoise.transactions import in_transaction

    if _dialect() == "postgres":
        async with in_transaction() as tx:  # SET LOCAL ends with the transaction
            for statement in sql.split("; "):
                await tx.execute_script(statement)
    else:
        for statement in sql.split("; "):
            await _connection().execute_script(statement)


@pytest.mark.parametrize("way", sorted(REWRITES))
@pytest.mark.parametrize("table", APPEND_ONLY)
async def test_append_only_rows_cannot_be_rewritten_or_removed(
    gql: Any, probe: dict[str, Any], table: str, way: str
) -> None:
    dialects, template = REWRITES[way]
    if _dialect() not in dialects:
        pytest.skip(f"{way} is not a statement of {_dialect()}")
    row_id = await _a_row(table, probe)
    columns = await _columns(table)
    column = TEXT_COLUMN[table]
    sql = template.format(
        t=table,
        c=column,
        id=row_id,
        cols=", ".join(columns),
        rewritten=", ".join(f"{c} || ' (rewritten)'" if c == column else c for c in columns),
    )
    before = await _snapshot(table)
    with pytest.raises(Exception, match="append-only"):
        await _attempt(sql)
    assert await _snapshot(table) == before
    # the API (which appends to these tables) keeps working afterwards
    assert data(await gql("{ stations(first: 1) { totalCount } }"))["stations"]["totalCount"] > 0


@pytest.mark.parametrize("table", APPEND_ONLY)
async def test_on_conflict_do_nothing_is_harmless(probe: dict[str, Any], table: str) -> None:
    """DO NOTHING changes nothing. PostgreSQL lets it pass silently; on SQLite the trigger that stops
    REPLACE cannot tell the two apart (it runs before conflict resolution), so it is refused too."""
    row_id = await _a_row(table, probe)
    columns = await _columns(table)
    column = TEXT_COLUMN[table]
    rewritten = ", ".join(f"{c} || ' (rewritten)'" if c == column else c for c in columns)
    before = await _snapshot(table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {rewritten} FROM {table} WHERE id = {row_id} "
        "ON CONFLICT DO NOTHING"
    )
    if _dialect() == "sqlite":
        with pytest.raises(Exception, match="append-only"):
            await _attempt(sql)
    else:
        await _attempt(sql)
    assert await _snapshot(table) == before


@pytest.mark.parametrize("table", APPEND_ONLY)
async def test_no_row_can_take_an_id_that_ordinary_inserts_would_collide_with(
    probe: dict[str, Any], table: str
) -> None:
    """SQLite hands a BEFORE INSERT trigger NEW.id = -1 when it picks the id itself: a row at -1
    (or any id below 1) would make every later insert look like a REPLACE; a row at the largest id
    would make every later insert fail. None can exist."""
    if _dialect() != "sqlite":
        pytest.skip("PostgreSQL has no REPLACE: an id below 1 threatens nothing there")
    columns = [c for c in await _columns(table) if c != "id"]
    row_id = await _a_row(table, probe)
    before = await _snapshot(table)
    top = await _connection().execute_query_dict(f"SELECT MAX(id) AS m FROM {table}")
    # below 1, or past the next id: at the largest id no ordinary insert could follow
    for bad in (-1, 0, top[0]["m"] + 2, 9223372036854775807):
        with pytest.raises(Exception, match="append-only: ids are positive and consecutive"):
            await _attempt(
                f"INSERT INTO {table} (id, {', '.join(columns)}) "
                f"SELECT {bad}, {', '.join(columns)} FROM {table} WHERE id = {row_id}"
            )
    assert await _snapshot(table) == before
    assert await _a_row(table, probe) > row_id  # ordinary inserts still work


async def test_sqlite_append_only_tables_have_no_unique_key_but_the_id(database_url: str) -> None:
    """REPLACE deletes the rows that conflict on any unique key; the triggers check the id, so the
    id must be the only unique key of an append-only table."""
    if _dialect() != "sqlite":
        pytest.skip("SQLite's REPLACE only")
    conn = _connection()
    for table in APPEND_ONLY:
        indexes = await conn.execute_query_dict(f"PRAGMA index_list({table})")
        assert [i["name"] for i in indexes if i["unique"]] == [], table


@pytest.mark.parametrize(
    ("parent", "child"),
    [("ticket", "ticket_event"), ("proposal", "proposal_event"), ("handling_task", "proposal_event")],
)
async def test_removing_the_parent_does_not_take_the_history_with_it(
    probe: dict[str, Any], parent: str, child: str
) -> None:
    """The histories' foreign keys RESTRICT: deleting (or on SQLite REPLACE-ing) a ticket, a proposal
    or a task that has history is refused, so no cascade can remove history rows."""
    parent_id = probe[{"ticket": "ticket_id", "proposal": "proposal_id", "handling_task": "task_id"}[parent]]
    column = "task_id" if parent == "handling_task" else f"{parent}_id"
    rows = await _connection().execute_query_dict(
        f"SELECT COUNT(*) AS n FROM {child} WHERE {column} = {parent_id}"
    )
    assert rows[0]["n"] > 0  # it has history (registering, creating the task wrote some)
    before = await _snapshot(child)
    ways = [f"DELETE FROM {parent} WHERE id = {parent_id}"]
    if _dialect() == "sqlite":
        ways.append(f"REPLACE INTO {parent} SELECT * FROM {parent} WHERE id = {parent_id}")
    for sql in ways:
        with pytest.raises(Exception, match=r"(?i)foreign key"):
            await _attempt(sql)
    assert await _snapshot(child) == before
