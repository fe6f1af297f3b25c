"""Return visits (回访): each attempt recorded with recordReturnVisit, typed refusals that change
nothing, the queue of tickets awaiting a visit, the sweep that closes the unreachable, the older
yes/no feedback recorded as a visit, and the comment's personal data masked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.helpers import data, error_codes
from tests.tickets.workflow_helpers import Clock, at, ids, register, step

READ = """query($id: ID!) { node(id: $id) { ... on Ticket { status version closeReason closeReasonLabel
  citizenSatisfied returnVisits { round attempt channel channelLabel reached rating ratingLabel comment actor
  visitedAt visitedBy { name } } history { action comment } } } }"""
DUE = """query($n: Int, $after: String) { returnVisitsDue(first: $n, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { id number resolvedAt } } }"""
VISIT_TYPES = ", $ch: ReturnVisitChannel!, $r: Boolean!, $g: Rating, $c: String"
VISIT_ARGS = ", channel: $ch, reached: $r, rating: $g, comment: $c"


async def _resolved(gql: Any, refs: dict[str, str], **extra: Any) -> dict[str, Any]:
    """A fresh walk-in at Xiagang, dispatched, on site and resolved by the area chief."""
    created = await register(gql, refs, **extra)
    t = {"id": created["ticket"]["id"], "version": created["ticket"]["version"]}
    for mutation, args, values in (
        ("dispatchTicket", ", assigneeId: $a", {"a": refs["chief"], "_types": ", $a: ID!"}),
        ("markTicketOnSite", "", {}),
        ("resolveTicket", ", method: SERVICE, note: $n", {"n": "已劝导", "_types": ", $n: String!"}),
    ):
        result = await step(gql, mutation, args, {"t": t, **values}, "chief-changan")
        assert result["__typename"] == "TicketPayload", result
        t["version"] = result["ticket"]["version"]
    return t


async def _visit(
    gql: Any,
    t: dict[str, Any],
    *,
    reached: bool,
    rating: str | None = None,
    comment: str = "",
    channel: str = "PHONE",
    user: str = "worker-xiagang",
) -> dict[str, Any]:
    values = {"t": dict(t), "ch": channel, "r": reached, "g": rating, "c": comment, "_types": VISIT_TYPES}
    result = await step(gql, "recordReturnVisit", VISIT_ARGS, values, user)
    if result["__typename"] == "ReturnVisitPayload":
        t["version"] = result["ticket"]["version"]
    return result


async def _read(gql: Any, t: dict[str, Any], user: str = "bureau") -> dict[str, Any]:
    return dict(data(await gql(READ, {"id": t["id"]}, as_user=user))["node"])


async def test_a_satisfied_visit_closes_the_ticket(gql: Any) -> None:
    refs = await ids(gql)
    t = await _resolved(gql, refs)
    result = await _visit(gql, t, reached=True, rating="SATISFIED", channel="WECHAT", comment="很满意")
    assert result["ticket"]["status"] == "CLOSED" and result["ticket"]["closeReason"] == "SATISFIED"
    assert result["visit"] == {
        "attempt": 1,
        "channel": "WECHAT",
        "reached": True,
        "rating": "SATISFIED",
        "comment": "很满意",
    }
    ticket = await _read(gql, t)
    assert ticket["closeReasonLabel"] == "满意办结" and ticket["citizenSatisfied"] is True
    [visit] = ticket["returnVisits"]
    assert visit["channelLabel"] == "微信" and visit["ratingLabel"] == "满意"
    assert visit["actor"] == "worker-xiagang" and visit["round"] == 0
    assert visit["visitedBy"] == {"name": "厦岗社区工作人员"}
    assert ticket["history"][-1] == {"action": "close", "comment": "很满意"}


async def test_unreached_attempts_then_the_last_closes_it_as_unreachable(gql: Any) -> None:
    refs = await ids(gql)
    t = await _resolved(gql, refs)
    for attempt, channel in ((1, "PHONE"), (2, "SMS")):
        result = await _visit(gql, t, reached=False, channel=channel, comment="无人接听")
        assert result["ticket"]["status"] == "RESOLVED" and result["visit"]["attempt"] == attempt
    due = data(await gql(DUE, {"n": 500}, as_user="worker-xiagang"))["returnVisitsDue"]
    assert t["id"] in [n["id"] for n in due["nodes"]]  # still awaiting a visit
    last = await _visit(gql, t, reached=False, channel="ON_SITE", comment="上门未遇")
    assert last["ticket"]["status"] == "CLOSED" and last["ticket"]["closeReason"] == "UNREACHABLE"
    ticket = await _read(gql, t)
    assert [(v["attempt"], v["reached"], v["rating"]) for v in ticket["returnVisits"]] == [
        (1, False, None),
        (2, False, None),
        (3, False, None),
    ]
    assert ticket["citizenSatisfied"] is None and ticket["closeReasonLabel"] == "无法联系办结"
    assert [h["action"] for h in ticket["history"][-3:]] == ["return_visit", "return_visit", "close"]
    due = data(await gql(DUE, {"n": 500}, as_user="worker-xiagang"))["returnVisitsDue"]
    assert t["id"] not in [n["id"] for n in due["nodes"]]


async def test_a_dissatisfied_visit_reopens_and_the_attempts_start_again(gql: Any) -> None:
    refs = await ids(gql)
    t = await _resolved(gql, refs)
    assert (await _visit(gql, t, reached=False))["visit"]["attempt"] == 1
    reopened = await _visit(gql, t, reached=True, rating="DISSATISFIED", comment="摊位又摆出来了")
    assert reopened["ticket"]["status"] == "DISPATCHED" and reopened["ticket"]["reopenCount"] == 1
    assert reopened["visit"]["attempt"] == 2
    for mutation, args, values in (
        ("markTicketOnSite", "", {}),
        ("resolveTicket", ", method: MANAGEMENT, note: $n", {"n": "再次处置", "_types": ", $n: String!"}),
    ):
        result = await step(gql, mutation, args, {"t": dict(t), **values}, "chief-changan")
        t["version"] = result["ticket"]["version"]
    closed = await _visit(gql, t, reached=True, rating="BASICALLY_SATISFIED")
    assert closed["ticket"]["closeReason"] == "BASICALLY_SATISFIED" and closed["visit"]["attempt"] == 1
    rounds = [(v["round"], v["attempt"]) for v in (await _read(gql, t))["returnVisits"]]
    assert rounds == [(0, 1), (0, 2), (1, 1)]


@pytest.mark.parametrize(
    ("reached", "rating", "comment", "field", "code"),
    [
        (True, None, "", "rating", "REQUIRED"),
        (False, "SATISFIED", "", "rating", "NOT_REACHED"),
        (True, "DISSATISFIED", "", "comment", "REQUIRED"),
        (True, "SATISFIED", "长" * 2001, "comment", "TOO_LONG"),
    ],
)
async def test_bad_input_is_a_typed_error_and_changes_nothing(
    gql: Any, reached: bool, rating: str | None, comment: str, field: str, code: str
) -> None:
    refs = await ids(gql)
    t = await _resolved(gql, refs)
    before = await _read(gql, t)
    result = await _visit(gql, t, reached=reached, rating=rating, comment=comment)
    assert result["__typename"] == "ValidationError", result
    assert [(f["field"], f["code"]) for f in result["fields"]] == [(field, code)]
    assert await _read(gql, t) == before


async def test_refusals_change_nothing(gql: Any) -> None:
    refs = await ids(gql)
    t = await _resolved(gql, refs)
    before = await _read(gql, t)
    stale = await _visit(gql, {**t, "version": t["version"] - 1}, reached=True, rating="SATISFIED")
    assert stale["__typename"] == "ConflictError" and stale["currentVersion"] == t["version"]
    # the bureau reads the ticket but does not visit citizens; the area chief neither
    for user in ("bureau", "chief-changan", "deputy"):
        refused = await _visit(gql, dict(t), reached=False, user=user)
        assert refused["__typename"] == "ForbiddenError", (user, refused)
    # outside the caller's patch: not found
    assert (await _visit(gql, dict(t), reached=False, user="worker-shatou"))["__typename"] == "NotFoundError"
    assert await _read(gql, t) == before
    # an open ticket has no visit to take
    created = await register(gql, refs)
    fresh = {"id": created["ticket"]["id"], "version": created["ticket"]["version"]}
    refused = await _visit(gql, fresh, reached=True, rating="SATISFIED")
    assert refused["__typename"] == "TransitionError" and refused["currentTicketStatus"] == "REGISTERED"


async def test_the_queue_is_oldest_resolution_first_in_scope_and_paginated(
    gql: Any, monkeypatch: Any
) -> None:
    clock = Clock(monkeypatch, at(2026, 8, 3, 9, 0))
    refs = await ids(gql)
    mine = []
    for hour in (9, 10, 11):
        clock.set(hour)
        mine.append((await _resolved(gql, refs))["id"])
    everything: list[str] = []
    after = None
    while True:
        page = data(await gql(DUE, {"n": 2, "after": after}, as_user="worker-xiagang"))["returnVisitsDue"]
        everything += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(everything) == page["totalCount"] == len(set(everything))
    assert [i for i in everything if i in mine] == mine  # oldest resolution first
    # another community's worker sees none of them; the deputy may record no visit anywhere
    shatou = data(await gql(DUE, {"n": 500}, as_user="worker-shatou"))["returnVisitsDue"]
    assert not set(mine) & {n["id"] for n in shatou["nodes"]}
    refused = await gql(DUE, {"n": 5}, as_user="deputy")
    assert error_codes(refused) == ["FORBIDDEN"] and refused["data"]["returnVisitsDue"] is None


async def test_nobody_reached_within_the_set_days_is_closed_by_the_sweep(gql: Any, monkeypatch: Any) -> None:
    from server.caller import Caller
    from server.tickets.visits import close_unreachable

    clock = Clock(monkeypatch, at(2026, 9, 1, 9, 0))
    refs = await ids(gql)
    old = await _resolved(gql, refs)
    await _visit(gql, old, reached=False)
    clock.value += timedelta(days=6)
    recent = await _resolved(gql, refs)
    clock.value += timedelta(days=1, minutes=1)  # 7 days and a minute after the first resolution
    closed = await close_unreachable(caller=Caller.system("scheduled work"))
    assert old["id"] in {_node_id(t.id) for t in closed}
    assert recent["id"] not in {_node_id(t.id) for t in closed}
    ticket = await _read(gql, old)
    assert ticket["status"] == "CLOSED" and ticket["closeReason"] == "UNREACHABLE"
    assert ticket["history"][-1]["action"] == "close"
    assert (await _read(gql, recent))["status"] == "RESOLVED"
    # run again: nothing more to close
    assert old["id"] not in {_node_id(t.id) for t in await close_unreachable(caller=Caller.system("again"))}


async def test_the_scheduled_job_closes_tickets_nobody_reached(gql: Any, monkeypatch: Any) -> None:
    """The sweep runs by itself as the `return_visit_sweep` job (server/jobs/catalog.py)."""
    from server.jobs.runner import run_now

    clock = Clock(monkeypatch, at(2026, 9, 1, 9, 0))
    refs = await ids(gql)
    t = await _resolved(gql, refs)
    await _visit(gql, t, reached=False)
    clock.value += timedelta(days=8)
    outcome = await run_now("return_visit_sweep", "test-runner")
    assert outcome is not None and outcome.succeeded, outcome
    assert outcome.summary.endswith("closed as unreachable") and not outcome.summary.startswith("0 ")
    ticket = await _read(gql, t)
    assert (ticket["status"], ticket["closeReason"]) == ("CLOSED", "UNREACHABLE")
    assert ticket["history"][-1]["action"] == "close"


def _node_id(pk: int) -> str:
    from tests.helpers import gid

    return gid("Ticket", pk)


async def test_citizen_feedback_is_recorded_as_a_visit(gql: Any) -> None:
    refs = await ids(gql)
    t = await _resolved(gql, refs)
    result = await step(
        gql,
        "recordCitizenFeedback",
        ", satisfied: false, comment: $c",
        {"t": dict(t), "c": "还没改好", "_types": ", $c: String!"},
        "worker-xiagang",
    )
    assert result["__typename"] == "TicketPayload" and result["ticket"]["status"] == "DISPATCHED"
    [visit] = (await _read(gql, t))["returnVisits"]
    assert (visit["channel"], visit["reached"], visit["rating"], visit["comment"]) == (
        None,
        True,
        "DISSATISFIED",
        "还没改好",
    )


async def test_the_comment_is_stored_masked_and_masked_again_for_those_without_personal_data(
    gql: Any,
) -> None:
    refs = await ids(gql)
    t = await _resolved(gql, refs, reporterName="王先生", reporterPhone="13800000001")
    said = "王先生说已改好，另留电话13912345678"
    assert (await _visit(gql, t, reached=True, rating="SATISFIED", comment=said))["__typename"] == (
        "ReturnVisitPayload"
    )
    staff_view = (await _read(gql, t, "bureau"))["returnVisits"][0]["comment"]
    # a deputy reads tickets without personal data, and staff names not at all
    public = READ.replace(" visitedBy { name }", "")
    deputy_view = data(await gql(public, {"id": t["id"]}, as_user="deputy"))["node"]["returnVisits"][0][
        "comment"
    ]
    for shown in (staff_view, deputy_view):
        assert "13912345678" not in shown and "王先生" not in shown
    from server.tickets.models import ReturnVisit

    stored = await ReturnVisit.filter(comment__contains="另留电话").order_by("-id").first()
    assert stored is not None and "13912345678" not in stored.comment and "王先生" not in stored.comment
