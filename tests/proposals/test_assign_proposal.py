"""Assignment to a lead unit and co-handling units, due dates, and extensions only by an explicit,
recorded action."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.helpers import gid
from tests.proposals import flow
from tests.proposals.flow import department, mutate, row_counts, step


async def _bad(
    gql: Any, name: str, proposal: dict[str, Any], as_user: str, **extra: Any
) -> list[tuple[str, str]]:
    """A ValidationError that changed nothing; its (field, code) pairs."""
    before = await row_counts()
    result = await mutate(gql, name, {"id": proposal["id"], "version": proposal["version"], **extra}, as_user)
    assert result["__typename"] == "ValidationError", result
    assert await row_counts() == before
    after = await flow.read(gql, proposal["id"])
    assert (after["version"], after["replyDue"]) == (proposal["version"], proposal["replyDue"])
    return [(f["field"], f["code"]) for f in result["fields"]]


async def test_an_urgent_proposal_is_due_sooner_and_so_are_its_opinions(gql: Any, clock: Any) -> None:
    soon = clock.today() + timedelta(days=20)
    proposal = await flow.assigned(gql, reply_due=soon, co_handling=("housing", "transport"))
    assert proposal["replyDue"] == soon.isoformat()
    co = [u for u in proposal["units"] if u["role"] == "CO_HANDLING"]
    assert sorted(u["department"]["code"] for u in co) == ["housing", "transport"]
    # an opinion is due in a month, but never after the reply it feeds into
    assert {u["opinionDue"] for u in co} == {soon.isoformat()}
    history = (await flow.read(gql, proposal["id"]))["history"]
    assert history[-1]["action"] == "assign"


async def test_bad_assignments_change_nothing(gql: Any, clock: Any) -> None:
    proposal = await flow.registered(gql)
    bureau, housing = await department(gql, "bureau"), await department(gql, "housing")
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    past = await _bad(
        gql,
        "assignProposal",
        proposal,
        "congress",
        leadUnitId=bureau,
        coHandlingUnitIds=[],
        replyDue=yesterday,
    )
    assert past == [("replyDue", "PAST_DATE")]
    both = await _bad(
        gql, "assignProposal", proposal, "congress", leadUnitId=bureau, coHandlingUnitIds=[bureau]
    )
    assert both == [("coHandlingUnitIds", "INVALID")]
    twice = await _bad(
        gql, "assignProposal", proposal, "congress", leadUnitId=bureau, coHandlingUnitIds=[housing, housing]
    )
    assert twice == [("coHandlingUnitIds", "DUPLICATE")]
    before = await row_counts()
    missing = await mutate(
        gql,
        "assignProposal",
        {"id": proposal["id"], "version": proposal["version"], "leadUnitId": gid("Department", 999_999)},
        "congress",
    )
    assert missing["__typename"] == "NotFoundError" and missing["objectType"] == "Department"
    assert await row_counts() == before


async def test_a_later_due_date_is_an_extension_with_a_reason(gql: Any, clock: Any) -> None:
    proposal = await flow.assigned(gql)
    due = date.fromisoformat(proposal["replyDue"])
    later = (due + timedelta(days=30)).isoformat()

    assert await _bad(gql, "setProposalDeadline", proposal, "congress", due=later) == [
        ("due", "EXTENSION_NEEDS_ACTION")
    ]
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    assert ("due", "PAST_DATE") in await _bad(gql, "setProposalDeadline", proposal, "congress", due=yesterday)
    assert await _bad(gql, "extendProposalDeadline", proposal, "congress", due=later, reason="  ") == [
        ("reason", "REQUIRED")
    ]
    earlier = (due - timedelta(days=1)).isoformat()
    assert await _bad(gql, "extendProposalDeadline", proposal, "congress", due=earlier, reason="x") == [
        ("due", "NOT_LATER")
    ]

    proposal = await step(
        gql,
        "extendProposalDeadline",
        proposal,
        "congress",
        due=later,
        reason="涉及多部门协调，申请延期一个月",
    )
    assert proposal["replyDue"] == later
    event = (await flow.read(gql, proposal["id"], as_user="deputy"))["history"][-1]
    assert (event["action"], event["actor"], event["comment"]) == (
        "extend_deadline",
        "congress",
        "涉及多部门协调，申请延期一个月",
    )


async def test_a_co_handlers_opinion_due_date_moves_by_the_same_rules(gql: Any) -> None:
    proposal = await flow.assigned(gql)
    housing = await department(gql, "housing")
    [unit] = [u for u in proposal["units"] if u["role"] == "CO_HANDLING"]
    opinion_due = date.fromisoformat(unit["opinionDue"])
    reply_due = date.fromisoformat(proposal["replyDue"])

    after_reply = (reply_due + timedelta(days=1)).isoformat()
    assert ("due", "AFTER_REPLY") in await _bad(
        gql, "extendProposalDeadline", proposal, "congress", due=after_reply, reason="x", unitId=housing
    )
    not_a_unit = await _bad(
        gql,
        "setProposalDeadline",
        proposal,
        "congress",
        due=opinion_due.isoformat(),
        unitId=await department(gql, "ecology"),
    )
    assert not_a_unit == [("unitId", "NOT_A_UNIT")]

    later = (opinion_due + timedelta(days=10)).isoformat()
    proposal = await step(
        gql,
        "extendProposalDeadline",
        proposal,
        "congress",
        due=later,
        reason="协办单位申请延期",
        unitId=housing,
    )
    [unit] = [u for u in proposal["units"] if u["role"] == "CO_HANDLING"]
    assert unit["opinionDue"] == later and proposal["replyDue"] == reply_due.isoformat()

    # bringing the reply forward brings the opinion along
    sooner = (opinion_due - timedelta(days=5)).isoformat()
    proposal = await step(gql, "setProposalDeadline", proposal, "congress", due=sooner, comment="紧急件")
    [unit] = [u for u in proposal["units"] if u["role"] == "CO_HANDLING"]
    assert proposal["replyDue"] == unit["opinionDue"] == sooner


async def test_key_supervision_is_flagged_and_unflagged(gql: Any) -> None:
    proposal = await flow.registered(gql)
    proposal = await step(
        gql, "flagKeySupervision", proposal, "congress", keySupervision=True, comment="重点督办"
    )
    assert proposal["keySupervision"] is True
    assert await _bad(gql, "flagKeySupervision", proposal, "congress", keySupervision=True) == [
        ("keySupervision", "NO_CHANGES")
    ]
    proposal = await step(gql, "flagKeySupervision", proposal, "congress", keySupervision=False)
    assert proposal["keySupervision"] is False
