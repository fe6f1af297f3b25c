"""Ticket.availableActions is the truth, checked over the whole workflow table.

For every status and every demo role: a ticket is brought to that status through the API, the
role reads availableActions, then every workflow mutation is tried as that role. Each action
offered succeeds (on a fresh ticket in the same status, with valid input) and leads where the
ticketWorkflow table says; each action not offered is refused with a typed error and changes
nothing. A role that may not read the ticket is offered nothing and finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import data
from tests.tickets.workflow_helpers import ids, register, step

ROLES = ("bureau", "chief-changan", "chief-humen", "worker-xiagang", "liaison", "deputy", "congress")
STATUSES = (
    "REGISTERED",
    "DISPATCHED",
    "ON_SITE",
    "TRANSFERRED",
    "RESOLVED",
    "CLOSED",
    "REJECTED",
    "DUPLICATE",
)

READ = """query($id: ID!) { node(id: $id) { ... on Ticket { status version availableActions
  history { action } } } }"""
WORKFLOW = "{ ticketWorkflow { fromStatus action toStatus permissions mutation } }"


@dataclass(frozen=True)
class Attempt:
    """One workflow mutation with valid input; `action` is the workflow action it takes from a status."""

    mutation: str
    args: str
    types: str
    values: Callable[[dict[str, str]], dict[str, Any]]
    action: Callable[[str], str]


ATTEMPTS = (
    Attempt(
        "updateTicket",
        ", description: $d",
        ", $d: String",
        lambda r: {"d": "更正：占道经营"},
        lambda s: "update",
    ),
    Attempt(
        "dispatchTicket",
        ", assigneeId: $a",
        ", $a: ID!",
        lambda r: {"a": r["chief"]},
        lambda s: "dispatch" if s == "REGISTERED" else "reassign",
    ),
    Attempt("markTicketOnSite", "", "", lambda r: {}, lambda s: "arrive"),
    Attempt(
        "resolveTicket",
        ", method: SERVICE, note: $n",
        ", $n: String!",
        lambda r: {"n": "劝导整改"},
        lambda s: "resolve",
    ),
    Attempt(
        "recordCitizenFeedback",
        ", satisfied: true, comment: $c",
        ", $c: String!",
        lambda r: {"c": "满意"},
        lambda s: "close",
    ),
    Attempt(
        "recordCitizenFeedback",
        ", satisfied: false, comment: $c",
        ", $c: String!",
        lambda r: {"c": "又来了"},
        lambda s: "reopen",
    ),
    Attempt(
        "recordReturnVisit",
        ", channel: PHONE, reached: true, rating: BASICALLY_SATISFIED",
        "",
        lambda r: {},
        lambda s: "close",
    ),
    Attempt(
        "recordReturnVisit",
        ", channel: WECHAT, reached: true, rating: DISSATISFIED, comment: $c",
        ", $c: String!",
        lambda r: {"c": "摊位又摆出来了"},
        lambda s: "reopen",
    ),
    Attempt(
        "recordReturnVisit",
        ", channel: SMS, reached: false",
        "",
        lambda r: {},
        lambda s: "return_visit",
    ),
    Attempt(
        "transferTicket",
        ", departmentId: $d",
        ", $d: ID!",
        lambda r: {"d": r["market"]},
        lambda s: "transfer",
    ),
    Attempt(
        "updateDepartmentStatus",
        ", status: HANDLING",
        "",
        lambda r: {},
        lambda s: "department_update",
    ),
    Attempt(
        "rejectTicket", ", reason: $r", ", $r: String!", lambda r: {"r": "不属于城管职责"}, lambda s: "reject"
    ),
    Attempt(
        "markTicketDuplicate",
        ", duplicateOfId: $o",
        ", $o: ID!",
        lambda r: {"o": r["original"]},
        lambda s: "mark_duplicate",
    ),
)


async def _ok(gql: Any, mutation: str, args: str, values: dict[str, Any], as_user: str) -> dict[str, str]:
    result = await step(gql, mutation, args, values, as_user)
    assert result["__typename"] == "TicketPayload", (mutation, result)
    return {"id": result["ticket"]["id"], "version": result["ticket"]["version"]}


async def _refs(gql: Any) -> dict[str, str]:
    """The IDs the cases need. Their many tickets are littering found on patrol in Xiagang, away from any
    station, so that they do not crowd the station's or Mr Wang's category's lists."""
    refs = await ids(gql)
    categories = data(await gql("{ ticketCategories { id code } }"))["ticketCategories"]
    return {**refs, "category": next(c["id"] for c in categories if c["code"] == "littering")}


async def _register(gql: Any, refs: dict[str, str]) -> dict[str, Any]:
    created = await register(gql, refs, source="PATROL", stationId=None, jurisdictionId=refs["xiagang"])
    assert created["__typename"] == "RegisterTicketPayload", created
    return created


async def _ticket_in(gql: Any, refs: dict[str, str], status: str) -> dict[str, str]:
    """A fresh ticket in Xiagang, brought to `status` by the people whose job each step is."""
    created = await _register(gql, refs)
    assert created["__typename"] == "RegisterTicketPayload", created
    t = {"id": created["ticket"]["id"], "version": created["ticket"]["version"]}
    chief, worker = "chief-changan", "worker-xiagang"
    if status == "TRANSFERRED":
        return await _ok(
            gql,
            "transferTicket",
            ", departmentId: $d",
            {"t": t, "d": refs["market"], "_types": ", $d: ID!"},
            chief,
        )
    if status == "REJECTED":
        return await _ok(
            gql, "rejectTicket", ", reason: $r", {"t": t, "r": "重复来电", "_types": ", $r: String!"}, chief
        )
    if status == "DUPLICATE":
        first = await _register(gql, refs)
        args = {"t": t, "o": first["ticket"]["id"], "_types": ", $o: ID!"}
        return await _ok(gql, "markTicketDuplicate", ", duplicateOfId: $o", args, chief)
    if status == "REGISTERED":
        return t
    t = await _ok(
        gql, "dispatchTicket", ", assigneeId: $a", {"t": t, "a": refs["chief"], "_types": ", $a: ID!"}, chief
    )
    if status == "DISPATCHED":
        return t
    t = await _ok(gql, "markTicketOnSite", "", {"t": t}, chief)
    if status == "ON_SITE":
        return t
    t = await _ok(
        gql,
        "resolveTicket",
        ", method: SERVICE, note: $n",
        {"t": t, "n": "已劝导", "_types": ", $n: String!"},
        chief,
    )
    if status == "RESOLVED":
        return t
    return await _ok(gql, "recordCitizenFeedback", ", satisfied: true", {"t": t}, worker)


async def _attempt(
    gql: Any, attempt: Attempt, t: dict[str, str], refs: dict[str, str], as_user: str
) -> dict[str, Any]:
    values = {"t": dict(t), **attempt.values(refs), "_types": attempt.types}
    return await step(gql, attempt.mutation, attempt.args, values, as_user)


async def _read(gql: Any, ticket_id: str, as_user: str) -> dict[str, Any]:
    result = await gql(READ, {"id": ticket_id}, as_user=as_user)
    node = (result.get("data") or {}).get("node")
    if node is None:
        assert [e["extensions"]["code"] for e in result["errors"]] == ["NOT_FOUND"], result
    return dict(node) if node else {}


@pytest.mark.parametrize("status", STATUSES)
async def test_available_actions_are_what_each_role_may_do(gql: Any, status: str) -> None:
    refs = await _refs(gql)
    table = {
        (r["fromStatus"], r["action"]): r["toStatus"] for r in data(await gql(WORKFLOW))["ticketWorkflow"]
    }
    from_here = {a for (s, a) in table if s == status}
    original = await _register(gql, refs)  # what markTicketDuplicate points at
    refs = {**refs, "original": original["ticket"]["id"]}
    shared = await _ticket_in(gql, refs, status)  # refusals change nothing, so they share one ticket
    before = await _read(gql, shared["id"], "bureau")
    assert before["status"] == status

    for role in ROLES:
        seen = await _read(gql, shared["id"], role)
        offered = set(seen.get("availableActions", []))
        assert offered <= from_here, (role, offered, from_here)
        assert offered <= {a.action(status) for a in ATTEMPTS}, (role, offered)
        for attempt in ATTEMPTS:
            action = attempt.action(status)
            case = (status, role, attempt.mutation, action)
            if action in offered:
                fresh = await _ticket_in(gql, refs, status)
                result = await _attempt(gql, attempt, fresh, refs, role)
                assert result["__typename"] in ("TicketPayload", "ReturnVisitPayload"), (case, result)
                assert result["ticket"]["status"] == table[(status, action)], (case, result)
                continue
            result = await _attempt(gql, attempt, shared, refs, role)
            if not seen:
                assert result["__typename"] == "NotFoundError", (case, result)
            elif action in from_here:
                assert result["__typename"] == "ForbiddenError", (case, result)
            elif attempt.mutation == "markTicketDuplicate" and result["__typename"] == "NotFoundError":
                # the original is looked up first: a role that may not read it is told it is not found
                assert role == "liaison" and result["objectType"] == "Ticket", (case, result)
            else:
                assert result["__typename"] in ("ForbiddenError", "TransitionError"), (case, result)
            if result["__typename"] == "TransitionError":
                assert result["currentTicketStatus"] == status and result["action"] == action, result
                assert result["objectId"] == shared["id"] and set(result["allowedActions"]) == from_here, (
                    result
                )

    after = await _read(gql, shared["id"], "bureau")
    assert after == before  # nothing refused changed anything: same version, status, history


async def test_who_is_offered_what(gql: Any) -> None:
    """The policy file's lines, read through availableActions on one dispatched ticket."""
    refs = await _refs(gql)
    t = await _ticket_in(gql, refs, "DISPATCHED")
    offered = {role: (await _read(gql, t["id"], role)).get("availableActions") for role in ROLES}
    assert offered == {
        "bureau": ["reassign", "transfer"],
        "chief-changan": ["arrive", "mark_duplicate", "reassign", "reject", "transfer"],
        "chief-humen": None,  # not its town: not visible at all
        "worker-xiagang": [],
        "liaison": None,  # not transferred to its department
        "deputy": [],
        "congress": None,
    }


async def test_ticket_workflow_names_policy_lines_and_mutations(gql: Any) -> None:
    rows = data(await gql(WORKFLOW, as_user="deputy"))["ticketWorkflow"]
    by_step = {(r["fromStatus"], r["action"]): r for r in rows}
    assert by_step[("TRANSFERRED", "resolve")] == {
        "fromStatus": "TRANSFERRED",
        "action": "resolve",
        "toStatus": "RESOLVED",
        "permissions": ["ticket:resolve", "department_ticket:resolve"],
        "mutation": "resolveTicket",
    }
    assert by_step[("TRANSFERRED", "department_update")]["permissions"] == [
        "department_ticket:department_update"
    ]
    policy = Path(__file__).parents[2] / "policies" / "policy.csv"
    lines = {
        f"{parts[2]}:{parts[3]}"
        for parts in (
            [p.strip() for p in line.split(",")] for line in policy.read_text(encoding="utf-8").splitlines()
        )
        if parts[0] == "p" and len(parts) == 4
    }
    named = {p for r in rows for p in r["permissions"]}
    assert named <= lines, named - lines  # spelled as the policy file spells them
    labelled = data(
        await gql("{ ticketWorkflow { fromStatus fromStatusLabel action actionLabel toStatusLabel } }")
    )["ticketWorkflow"]
    assert {
        "fromStatus": "REGISTERED",
        "fromStatusLabel": "已登记",
        "action": "dispatch",
        "actionLabel": "派遣",
        "toStatusLabel": "已派遣",
    } in labelled
