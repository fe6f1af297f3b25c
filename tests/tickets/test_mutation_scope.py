"""Every object a ticket mutation reads or writes lies within the caller's scope: the original a
duplicate follows (and every ticket along its chain), the assignee. An object outside the scope
reads as NOT_FOUND, as it would to a query, and nothing is written anywhere."""

from __future__ import annotations

from typing import Any

from tests.helpers import data
from tests.tickets.workflow_helpers import ids, register, step

HISTORY = """query($id: ID!) { node(id: $id) { ... on Ticket { number version status
  history { action actor } } } }"""
GRANT = """mutation($i: RoleGrantInput!) { grantRole(input: $i) { __typename } }"""
REVOKE = GRANT.replace("grantRole", "revokeRole")
BULK = """mutation($t: [TicketVersion!]!, $a: ID!) { bulkDispatchTickets(tickets: $t, assigneeId: $a) {
  __typename ... on NotFoundError { code objectType } ... on ValidationError { code fields { code } } } }"""


async def _state(gql: Any, ticket_id: str) -> dict[str, Any]:
    return dict(data(await gql(HISTORY, {"id": ticket_id}))["node"])  # as bureau: sees every ticket


async def _new(gql: Any, refs: dict[str, str]) -> dict[str, Any]:
    result = await register(gql, refs)
    assert result["__typename"] == "RegisterTicketPayload", result
    return {"id": result["ticket"]["id"], "version": result["ticket"]["version"]}


async def _humen_ticket(gql: Any) -> str:
    """A ticket in Humen that is not itself a duplicate, as Humen's area chief sees it."""
    nodes = data(
        await gql(
            "{ tickets(first: 50) { nodes { id status jurisdiction { code } } } }", as_user="chief-humen"
        )
    )["tickets"]["nodes"]
    found = [n for n in nodes if n["status"] != "DUPLICATE"]
    assert found and all(n["jurisdiction"]["code"].startswith("dongguan/humen") for n in found)
    return str(found[0]["id"])


async def _mark(gql: Any, ticket: dict[str, Any], original: str, as_user: str) -> dict[str, Any]:
    return await step(
        gql,
        "markTicketDuplicate",
        ", duplicateOfId: $d",
        {"t": dict(ticket), "d": original, "_types": ", $d: ID!"},
        as_user,
    )


async def test_a_duplicate_of_a_ticket_in_another_town_is_not_found(gql: Any) -> None:
    refs = await ids(gql)
    mine = await _new(gql, refs)
    humen = await _humen_ticket(gql)
    mine_before, humen_before = await _state(gql, mine["id"]), await _state(gql, humen)
    for user in ("worker-xiagang", "chief-changan"):
        result = await _mark(gql, mine, humen, user)
        assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "objectType": "Ticket"}, user
    assert await _state(gql, humen) == humen_before  # no history written on the other town's ticket
    assert await _state(gql, mine["id"]) == mine_before


async def test_the_chain_a_duplicate_follows_is_within_the_callers_scope_too(gql: Any) -> None:
    """Xiagang ticket B was marked (by someone who could) a duplicate of Humen ticket C. Marking
    Xiagang ticket A a duplicate of B would follow B's chain to C and write C's history: NOT_FOUND."""
    refs = await ids(gql)
    a, b = await _new(gql, refs), await _new(gql, refs)
    c = await _humen_ticket(gql)
    humen = data(await gql('{ jurisdictions(filter: {level: TOWN, search: "Humen"}) { nodes { id } } }'))
    grant = {
        "username": "chief-changan",
        "role": "area-chief",
        "jurisdictionId": humen["jurisdictions"]["nodes"][0]["id"],
    }
    assert (
        data(await gql(GRANT, {"i": grant}, as_user="admin"))["grantRole"]["__typename"] == "RoleGrantPayload"
    )
    try:
        linked = await _mark(gql, b, c, "chief-changan")
        assert linked["__typename"] == "TicketPayload", linked
    finally:
        revoked = data(await gql(REVOKE, {"i": grant}, as_user="admin"))["revokeRole"]
        assert revoked["__typename"] == "RoleGrantPayload"
    a_before, b_before, c_before = [await _state(gql, x) for x in (a["id"], b["id"], c)]
    for user in ("chief-changan", "worker-xiagang"):
        result = await _mark(gql, a, b["id"], user)
        assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "objectType": "Ticket"}, user
    assert await _state(gql, c) == c_before
    assert await _state(gql, b["id"]) == b_before
    assert await _state(gql, a["id"]) == a_before


async def test_a_duplicate_within_scope_still_links_both_histories(gql: Any) -> None:
    refs = await ids(gql)
    first, second = await _new(gql, refs), await _new(gql, refs)
    marked = await _mark(gql, second, first["id"], "chief-changan")
    assert marked["ticket"]["status"] == "DUPLICATE"
    history = (await _state(gql, first["id"]))["history"]
    assert history[-1] == {"action": "duplicate_linked", "actor": "chief-changan"}
    # a third report follows the chain to the first one, which the caller may see
    third = await _new(gql, refs)
    assert (await _mark(gql, third, second["id"], "chief-changan"))["__typename"] == "TicketPayload"
    assert [e["action"] for e in (await _state(gql, first["id"]))["history"]].count("duplicate_linked") == 2
    assert [e["action"] for e in (await _state(gql, second["id"]))["history"]].count("duplicate_linked") == 0


async def test_an_assignee_outside_the_callers_scope_is_not_found_and_not_named(gql: Any) -> None:
    refs = await ids(gql)
    t = await _new(gql, refs)
    before = await _state(gql, t["id"])
    outside = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": dict(t), "a": refs["chief_humen"], "_types": ", $a: ID!"},
        "chief-changan",
    )
    assert outside == {"__typename": "NotFoundError", "code": "NOT_FOUND", "objectType": "Staff"}
    bulk = data(await gql(BULK, {"t": [t], "a": refs["chief_humen"]}, as_user="chief-changan"))
    assert bulk["bulkDispatchTickets"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "objectType": "Staff",
    }
    # the bureau reads all staff: for it the same request is a validation error that says why
    bureau = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": dict(t), "a": refs["chief_humen"], "_types": ", $a: ID!"},
        "bureau",
    )
    assert bureau["__typename"] == "ValidationError"
    assert bureau["fields"][0]["code"] == "OUTSIDE_JURISDICTION"
    assert await _state(gql, t["id"]) == before
