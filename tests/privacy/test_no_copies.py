"""Item 2: the append-only tables (which can never be erased) hold no citizen's name, phone or ID
number after a whole ticket workflow; they record that a personal field changed, not its value."""

from __future__ import annotations

import json
from typing import Any

from tortoise import connections

from server.privacy.inventory import APPEND_ONLY_TABLES
from server.tickets.models import Ticket
from tests.helpers import data
from tests.privacy.flow import Citizen, ticket_through_workflow


async def _rows(table: str) -> list[dict[str, Any]]:
    return list(await connections.get("default").execute_query_dict(f"SELECT * FROM {table}"))


async def test_no_append_only_table_holds_a_citizens_name_phone_or_id_number(gql: Any) -> None:
    citizen = Citizen(1)
    ticket = await ticket_through_workflow(gql, citizen)
    # reads that write the access logs: personal data by staff, tickets by a data-sharing key
    read = "query($id: ID!) { node(id: $id) { ... on Ticket { reporterName reporterPhone description } } }"
    assert data(await gql(read, {"id": ticket["id"]}))["node"]["reporterPhone"] == citizen.phone(2)
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))["jurisdictions"]
    key = data(
        await gql(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { ... on ApiKeyCreated { key } } }",
            {"i": {"name": "privacy walk", "scopes": ["ticket"], "jurisdictionId": city["nodes"][0]["id"]}},
            as_user="admin",
        )
    )["createApiKey"]["key"]
    await gql("{ tickets(first: 5) { nodes { number description } } }", token=key)

    found = []
    for table in APPEND_ONLY_TABLES:
        rows = await _rows(table)
        assert rows or table == "proposal_event", f"{table} is empty: the walk proves nothing"
        for row in rows:
            text = json.dumps(row, ensure_ascii=False, default=str)
            found += [(table, what, row["id"]) for what, value in citizen.secrets.items() if value in text]
    assert found == []

    # what the audit keeps instead: that the reporter was set, then changed
    [register, update] = [
        row
        for row in await _rows("audit_entry")
        if row["object_type"] == "Ticket"
        and row["operation"] in ("ticket.register", "ticket.update")
        and str(row["object_id"]) == str(await _pk(ticket["number"]))
    ]
    after = [
        json.loads(r["after"]) if isinstance(r["after"], str) else r["after"] for r in (register, update)
    ]
    assert after[0]["reporter_phone"] == "[set]" and after[1]["reporter_phone"] == "[changed]"
    assert after[1]["reporter_name"] == "[changed]"
    assert "139****0003" in after[0]["description"] and "441900********234X" in after[0]["description"]


async def _pk(number: str) -> int:
    return (await Ticket.get(number=number)).id
