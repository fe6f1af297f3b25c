"""The audit trail and the histories cannot be rewritten: the database refuses UPDATE and DELETE."""

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
            """mutation($i: CreateStationInput!) { createStation(input: $i) { ... on StationPayload { station { id } } } }""",
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
