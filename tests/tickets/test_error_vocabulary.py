"""How the ticket side says no: objects named by global ID, refusals that say why, NOT_FOUND for a
number not visible, FORBIDDEN at the path of a list or a staff name the caller may not read."""

from __future__ import annotations

from typing import Any

from tests.helpers import data, gid
from tests.tickets.workflow_helpers import ids, register, step


async def _dispatched(gql: Any) -> tuple[dict[str, str], dict[str, Any]]:
    refs = await ids(gql)
    categories = data(await gql("{ ticketCategories { id code } }"))["ticketCategories"]
    refs["category"] = next(c["id"] for c in categories if c["code"] == "littering")
    # found on patrol, away from any station: crowds no list that another test reads
    created = await register(gql, refs, source="PATROL", stationId=None, jurisdictionId=refs["xiagang"])
    t = {"id": created["ticket"]["id"], "version": created["ticket"]["version"]}
    args = {"t": t, "a": refs["chief"], "_types": ", $a: ID!"}
    dispatched = await step(gql, "dispatchTicket", ", assigneeId: $a", args, "chief-changan")
    assert dispatched["__typename"] == "TicketPayload", dispatched
    return refs, {**dispatched["ticket"], "version": dispatched["ticket"]["version"]}


async def test_errors_name_objects_by_global_id(gql: Any) -> None:
    _refs, ticket = await _dispatched(gql)
    t = {"id": ticket["id"], "version": ticket["version"]}
    nobody = gid("Staff", 987654)
    missing = await gql(
        """mutation($t: TicketVersion!, $a: ID!) { dispatchTicket(ticket: $t, assigneeId: $a) {
          __typename ... on NotFoundError { objectType objectId message } } }""",
        {"t": t, "a": nobody},
        as_user="chief-changan",
    )
    assert data(missing)["dispatchTicket"] == {
        "__typename": "NotFoundError",
        "objectType": "Staff",
        "objectId": nobody,
        "message": f"Staff {nobody} was not found.",
    }

    stale = await gql(
        """mutation($t: TicketVersion!) { markTicketOnSite(ticket: $t) {
          __typename ... on ConflictError { message currentVersion } } }""",
        {"t": {**t, "version": t["version"] - 1}},
        as_user="chief-changan",
    )
    conflict = data(stale)["markTicketOnSite"]
    assert conflict["__typename"] == "ConflictError" and conflict["currentVersion"] == t["version"]
    assert f"Ticket {ticket['id']} was changed" in conflict["message"], conflict

    closing = await step(gql, "recordCitizenFeedback", ", satisfied: true", {"t": dict(t)}, "worker-xiagang")
    assert closing["__typename"] == "TransitionError", closing
    assert closing["objectId"] == ticket["id"] and closing["action"] == "close"
    assert (closing["currentTicketStatus"], closing["currentStatusLabel"]) == ("DISPATCHED", "已派遣")


async def test_a_refused_precondition_says_why(gql: Any) -> None:
    _refs, ticket = await _dispatched(gql)
    t = {"id": ticket["id"], "version": ticket["version"]}
    outside = await step(
        gql,
        "transferTicket",
        ", departmentId: $d",
        {"t": t, "d": gid("Department", 1), "_types": ", $d: ID!"},
        "chief-changan",
    )
    # the first department is the congress, not one of the N departments tickets go to
    assert outside["__typename"] == "ValidationError", outside
    assert outside["message"] == "departmentId: tickets are transferred to an N department", outside
    reopening = await step(gql, "markTicketOnSite", "", {"t": dict(t)}, "chief-changan")
    t["version"] = reopening["ticket"]["version"]
    no_method = await step(
        gql,
        "resolveTicket",
        ", method: null, note: $n",
        {"t": t, "n": "", "_types": ", $n: String!"},
        "chief-changan",
    )
    assert no_method["__typename"] == "ValidationError"
    assert "method: say how it was resolved" in no_method["message"], no_method
    assert "note:" in no_method["message"], no_method


async def test_ticket_by_number_not_visible_is_not_found(gql: Any) -> None:
    _refs, ticket = await _dispatched(gql)
    query = "query($n: String!) { ticket(number: $n) { number } }"
    seen = await gql(query, {"n": ticket["number"]}, as_user="chief-changan")
    assert data(seen)["ticket"] == {"number": ticket["number"]}
    for number, as_user in ((ticket["number"], "chief-humen"), ("DG-20990101-999999", "bureau")):
        result = await gql(query, {"n": number}, as_user=as_user)
        assert result["data"] == {"ticket": None}
        assert [(e["extensions"]["code"], e["path"]) for e in result["errors"]] == [("NOT_FOUND", ["ticket"])]


async def test_lists_not_readable_are_forbidden_at_their_path(gql: Any) -> None:
    refs = await ids(gql)
    result = await gql(
        """query($c: ID!) { tickets { totalCount } duplicateCandidates(categoryId: $c, latitude: 22.8,
        longitude: 113.8) { number } ticketWorkflow { action } }""",
        {"c": refs["category"]},
        as_user="congress",
    )
    assert result["data"]["tickets"] is None and result["data"]["duplicateCandidates"] is None
    assert result["data"]["ticketWorkflow"]  # the table itself is public to anyone signed in
    assert sorted((e["extensions"]["code"], e["path"][0]) for e in result["errors"]) == [
        ("FORBIDDEN", "duplicateCandidates"),
        ("FORBIDDEN", "tickets"),
    ]
    figures = await gql("{ ticketFigures { received } }", as_user="admin")
    assert figures["data"] == {"ticketFigures": None}
    assert [(e["extensions"]["code"], e["path"]) for e in figures["errors"]] == [
        ("FORBIDDEN", ["ticketFigures"])
    ]


async def test_staff_names_are_readable_or_forbidden_never_silently_null(gql: Any) -> None:
    _refs, ticket = await _dispatched(gql)
    query = """query($id: ID!) { node(id: $id) { ... on Ticket { assignee { name } registeredBy { name }
      history { fromStatus fromStatusLabel toStatus toStatusLabel } } } }"""
    chief = data(await gql(query, {"id": ticket["id"]}, as_user="chief-changan"))["node"]
    assert chief["assignee"] == {"name": "长安镇城管片长"}
    assert chief["registeredBy"] == {"name": "厦岗社区工作人员"}
    assert chief["history"][-1] == {
        "fromStatus": "REGISTERED",
        "fromStatusLabel": "已登记",
        "toStatus": "DISPATCHED",
        "toStatusLabel": "已派遣",
    }

    worker = await gql(query, {"id": ticket["id"]}, as_user="worker-xiagang")
    assert worker["data"]["node"]["assignee"] is None and worker["data"]["node"]["registeredBy"] is None
    assert sorted((e["extensions"]["code"], e["path"][-1]) for e in worker["errors"]) == [
        ("FORBIDDEN", "assignee"),
        ("FORBIDDEN", "registeredBy"),
    ]
