"""Fifty people press the same button at once: one wins, the rest are told of the conflict, and the
history holds exactly one event."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.helpers import data
from tests.tickets.workflow_helpers import RESULT, ids, register


async def test_50_concurrent_conflicting_transitions(gql: Any) -> None:
    refs = await ids(gql)
    await gql.token("chief-changan")
    ticket = (await register(gql, refs))["ticket"]
    mutation = f"""mutation($t: TicketVersion!, $a: ID!) {{
      dispatchTicket(ticket: $t, assigneeId: $a) {{ {RESULT} }} }}"""
    variables = {"t": {"id": ticket["id"], "version": ticket["version"]}, "a": refs["chief"]}
    results = await asyncio.gather(*(gql(mutation, variables, as_user="chief-changan") for _ in range(50)))
    kinds = [data(r)["dispatchTicket"]["__typename"] for r in results]
    assert kinds.count("TicketPayload") == 1, kinds
    # The losers raced either the version check (CONFLICT) or, arriving after the winner committed,
    # the workflow itself (a dispatched ticket is re-dispatched only with the current version).
    assert set(kinds) - {"TicketPayload"} <= {"ConflictError"}, kinds
    history = data(
        await gql(
            "query($id: ID!) { node(id: $id) { ... on Ticket { version history { action } } } }",
            {"id": ticket["id"]},
        )
    )["node"]
    assert [e["action"] for e in history["history"]] == ["register", "dispatch"]
    assert history["version"] == ticket["version"] + 1
