"""The rest of the workflow: transfer to a department, reopening, rejection, duplicates, bulk
dispatch, deadlines and escalation, and bad input that must change nothing."""

from __future__ import annotations

from typing import Any

from tests.helpers import data
from tests.tickets.workflow_helpers import Clock, at, ids, register, step

TICKET = """query($id: ID!) { node(id: $id) { ... on Ticket { version status history { action } } } }"""


async def _state(gql: Any, ticket_id: str) -> dict[str, Any]:
    return dict(data(await gql(TICKET, {"id": ticket_id}))["node"])


async def _new(gql: Any, refs: dict[str, str], **extra: Any) -> dict[str, Any]:
    result = await register(gql, refs, **extra)
    assert result["__typename"] == "RegisterTicketPayload", result
    return {"id": result["ticket"]["id"], "version": result["ticket"]["version"]}


async def _dispatched(gql: Any, refs: dict[str, str]) -> dict[str, Any]:
    t = await _new(gql, refs)
    d = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": t, "a": refs["chief"], "_types": ", $a: ID!"},
        "chief-changan",
    )
    return {"id": t["id"], "version": d["ticket"]["version"]}


async def test_bad_input_is_a_typed_error_and_changes_nothing(gql: Any) -> None:
    refs = await ids(gql)
    t = await _dispatched(gql, refs)
    before = await _state(gql, t["id"])
    on_site = await step(gql, "markTicketOnSite", "", {"t": dict(t)}, "chief-changan")
    t["version"] = on_site["ticket"]["version"]
    before = await _state(gql, t["id"])

    no_method = await step(
        gql,
        "resolveTicket",
        ", method: null, note: $n",
        {"t": t, "n": "done", "_types": ", $n: String!"},
        "chief-changan",
    )
    assert no_method["__typename"] == "ValidationError"
    assert ("method", "REQUIRED") in [(f["field"], f["code"]) for f in no_method["fields"]]

    outside = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": t, "a": refs["chief_humen"], "_types": ", $a: ID!"},
        "chief-changan",
    )
    # Humen's chief is outside Chang'an's chief's scope: not found, not named (test_mutation_scope.py)
    assert outside == {"__typename": "NotFoundError", "code": "NOT_FOUND", "objectType": "Staff"}

    itself = await step(
        gql,
        "markTicketDuplicate",
        ", duplicateOfId: $d",
        {"t": t, "d": t["id"], "_types": ", $d: ID!"},
        "chief-changan",
    )
    assert itself["__typename"] in ("ValidationError", "TransitionError")  # ON_SITE may not be marked at all

    stale = await step(
        gql, "markTicketOnSite", "", {"t": {**t, "version": t["version"] - 1}}, "chief-changan"
    )
    assert stale["__typename"] in ("ConflictError", "TransitionError")

    wrong_state = await step(gql, "recordCitizenFeedback", ", satisfied: true", {"t": t}, "worker-xiagang")
    assert wrong_state["__typename"] == "TransitionError"
    assert wrong_state["currentTicketStatus"] == "ON_SITE" and "resolve" in wrong_state["allowedActions"]

    assert await _state(gql, t["id"]) == before  # nothing changed, no history written

    fresh = await _new(gql, refs)
    dup_self = await step(
        gql,
        "markTicketDuplicate",
        ", duplicateOfId: $d",
        {"t": fresh, "d": fresh["id"], "_types": ", $d: ID!"},
        "chief-changan",
    )
    assert dup_self["__typename"] == "ValidationError" and dup_self["fields"][0]["code"] == "SELF"
    stale2 = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": {**fresh, "version": 99}, "a": refs["chief"], "_types": ", $a: ID!"},
        "chief-changan",
    )
    assert stale2 == {"__typename": "ConflictError", "code": "CONFLICT", "currentVersion": 1}


async def test_bad_intake_writes_nothing(gql: Any) -> None:
    from server.tickets.models import Ticket

    refs = await ids(gql)
    count = await Ticket.all().count()
    cases = {
        "description": ({"description": "占" * 100_000}, "TOO_LONG"),
        "latitude": (
            {"source": "PATROL", "stationId": None, "latitude": 48.85, "longitude": 2.35},
            "OFF_MAP",
        ),
        "reporterPhone": ({"reporterPhone": "call me maybe"}, "INVALID"),
        "stationId": ({"source": "PATROL", "stationId": None}, "REQUIRED"),
    }
    for field, (extra, code) in cases.items():
        result = await register(gql, refs, **extra)
        assert result["__typename"] == "ValidationError", (field, result)
        assert (field, code) in [(f["field"], f["code"]) for f in result["fields"]], (field, result)
    elsewhere = await register(gql, refs, as_user="worker-shatou")  # the Xiagang station is not Shatou's
    assert elsewhere["__typename"] in ("ForbiddenError", "NotFoundError"), elsewhere
    wrong_place = await register(gql, refs, jurisdictionId=refs["shatou"])
    assert wrong_place["__typename"] == "ValidationError"
    assert await Ticket.all().count() == count


async def test_intake_suggests_open_tickets_at_the_same_place(gql: Any) -> None:
    refs = await ids(gql)
    first = await register(gql, refs)
    second = await register(gql, refs)
    assert first["ticket"]["number"] in [d["number"] for d in second["possibleDuplicates"]]
    candidates = data(
        await gql(
            "query($c: ID!, $s: ID!) { duplicateCandidates(categoryId: $c, stationId: $s) { number } }",
            {"c": refs["category"], "s": refs["station"]},
            as_user="worker-xiagang",
        )
    )["duplicateCandidates"]
    assert {first["ticket"]["number"], second["ticket"]["number"]} <= {c["number"] for c in candidates}
    # the later one is marked a duplicate of the first; the first's history says its reporter follows
    t = {"id": second["ticket"]["id"], "version": second["ticket"]["version"]}
    marked = await step(
        gql,
        "markTicketDuplicate",
        ", duplicateOfId: $d",
        {"t": t, "d": first["ticket"]["id"], "_types": ", $d: ID!"},
        "chief-changan",
    )
    assert marked["ticket"]["status"] == "DUPLICATE"
    assert "duplicate_linked" in [e["action"] for e in (await _state(gql, first["ticket"]["id"]))["history"]]


async def test_transfer_to_a_department_and_its_own_sub_status(gql: Any) -> None:
    refs = await ids(gql)
    t = await _dispatched(gql, refs)
    moved = await step(
        gql,
        "transferTicket",
        ", departmentId: $d",
        {"t": t, "d": refs["market"], "_types": ", $d: ID!"},
        "chief-changan",
    )
    assert moved["ticket"]["status"] == "TRANSFERRED" and moved["ticket"]["departmentStatus"] == "RECEIVED"
    t["version"] = moved["ticket"]["version"]
    seen = data(
        await gql(
            "{ tickets(filter: {status: TRANSFERRED}, first: 500) { nodes { id } } }", as_user="liaison"
        )
    )["tickets"]["nodes"]
    assert t["id"] in [n["id"] for n in seen]
    handling = await step(gql, "updateDepartmentStatus", ", status: HANDLING", {"t": t}, "liaison")
    assert handling["ticket"]["departmentStatus"] == "HANDLING"
    t["version"] = handling["ticket"]["version"]
    done = await step(
        gql,
        "resolveTicket",
        ", method: MANAGEMENT, note: $n",
        {"t": t, "n": "市场监管局责令整改", "_types": ", $n: String!"},
        "liaison",
    )
    assert done["ticket"]["status"] == "RESOLVED" and done["ticket"]["departmentStatus"] == "DONE"
    # a liaison cannot act on tickets that are not its department's
    other = await _dispatched(gql, refs)
    refused = await step(gql, "markTicketOnSite", "", {"t": other}, "liaison")
    assert refused["__typename"] == "NotFoundError"


async def test_unsatisfied_citizen_reopens_and_reject_needs_a_reason(gql: Any) -> None:
    refs = await ids(gql)
    t = await _dispatched(gql, refs)
    for mutation, args, extra in (
        ("markTicketOnSite", "", {}),
        ("resolveTicket", ", method: SERVICE, note: $n", {"n": "劝导", "_types": ", $n: String!"}),
    ):
        r = await step(gql, mutation, args, {"t": t, **extra}, "chief-changan")
        t["version"] = r["ticket"]["version"]
    no_comment = await step(gql, "recordCitizenFeedback", ", satisfied: false", {"t": t}, "worker-xiagang")
    assert no_comment["__typename"] == "ValidationError"
    reopened = await step(
        gql,
        "recordCitizenFeedback",
        ", satisfied: false, comment: $c",
        {"t": t, "c": "又摆出来了", "_types": ", $c: String!"},
        "worker-xiagang",
    )
    assert reopened["ticket"]["status"] == "DISPATCHED" and reopened["ticket"]["reopenCount"] == 1
    assert reopened["ticket"]["resolutionMethod"] is None

    r = await _new(gql, refs)
    empty = await step(
        gql, "rejectTicket", ", reason: $r", {"t": r, "r": "  ", "_types": ", $r: String!"}, "chief-changan"
    )
    assert empty["__typename"] == "ValidationError"
    rejected = await step(
        gql,
        "rejectTicket",
        ", reason: $r",
        {"t": r, "r": "不属于城管职责", "_types": ", $r: String!"},
        "chief-changan",
    )
    assert rejected["ticket"]["status"] == "REJECTED"


BULK = """mutation($ts: [TicketVersion!]!, $a: ID!) { bulkDispatchTickets(tickets: $ts, assigneeId: $a) {
  __typename ... on TicketsPayload { tickets { status } } ... on ConflictError { code }
  ... on ValidationError { code } ... on TransitionError { code } } }"""


async def test_bulk_dispatch_is_all_or_nothing(gql: Any) -> None:
    refs = await ids(gql)
    a, b, c = [await _new(gql, refs) for _ in range(3)]
    bad = await gql(BULK, {"ts": [a, b, {**c, "version": 7}], "a": refs["chief"]}, as_user="chief-changan")
    assert data(bad)["bulkDispatchTickets"]["__typename"] == "ConflictError"
    assert [(await _state(gql, x["id"]))["status"] for x in (a, b, c)] == ["REGISTERED"] * 3
    good = await gql(BULK, {"ts": [a, b, c], "a": refs["chief"]}, as_user="chief-changan")
    assert [t["status"] for t in data(good)["bulkDispatchTickets"]["tickets"]] == ["DISPATCHED"] * 3


async def test_overdue_queue_and_escalation_to_town_then_city(gql: Any, monkeypatch: Any) -> None:
    clock = Clock(monkeypatch, at(2026, 4, 1, 9, 0))
    refs = await ids(gql)
    t = await _new(gql, refs)  # 占道经营: resolution due in 120 minutes
    queue = """{ tickets(filter: {overdue: true}, order: DUE_FIRST, first: 500) {
      nodes { id overdue escalationLevel } } }"""
    assert t["id"] not in [
        n["id"] for n in data(await gql(queue, as_user="chief-changan"))["tickets"]["nodes"]
    ]
    clock.set(11, 30)  # past due
    nodes = data(await gql(queue, as_user="chief-changan"))["tickets"]["nodes"]
    assert t["id"] in [n["id"] for n in nodes] and all(n["overdue"] for n in nodes)
    refused = data(await gql("mutation { escalateOverdueTickets { __typename } }", as_user="chief-changan"))
    assert refused["escalateOverdueTickets"]["__typename"] == "ForbiddenError"
    escalate = (
        "mutation { escalateOverdueTickets { __typename "
        "... on TicketsPayload { tickets { id escalationLevel } } } }"
    )
    first = {
        x["id"]: x["escalationLevel"] for x in data(await gql(escalate))["escalateOverdueTickets"]["tickets"]
    }
    assert first.get(t["id"]) == 1
    clock.set(13, 30)  # overdue by more than a further resolution period
    second = {
        x["id"]: x["escalationLevel"] for x in data(await gql(escalate))["escalateOverdueTickets"]["tickets"]
    }
    assert second.get(t["id"]) == 2
    escalated = data(
        await gql(
            "{ tickets(filter: {escalated: true}, first: 500) { nodes { id escalationLabel } } }",
            as_user="chief-changan",
        )
    )["tickets"]["nodes"]
    assert any(n["id"] == t["id"] and "市" in n["escalationLabel"] for n in escalated)
