"""The transition table and who may take each step: refused steps are typed errors and change
nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import data
from tests.proposals import flow
from tests.proposals.flow import department, mutate, row_counts


async def _refused(
    gql: Any, name: str, proposal: dict[str, Any], as_user: str, *, author: str = "deputy", **extra: Any
) -> dict[str, Any]:
    before = await row_counts()
    result = await mutate(gql, name, {"id": proposal["id"], "version": proposal["version"], **extra}, as_user)
    assert await row_counts() == before, f"{name} as {as_user} changed something"
    after = await flow.read(gql, proposal["id"], as_user=author)  # the author sees it at any stage
    assert (after["status"], after["version"]) == (proposal["status"], proposal["version"])
    return result


async def test_a_step_the_state_does_not_have_names_the_ones_it_has(gql: Any) -> None:
    proposal = await flow.submitted(gql)
    closing = await _refused(gql, "closeProposal", proposal, "congress")
    assert closing["__typename"] == "TransitionError"
    assert closing["code"] == "FORBIDDEN_TRANSITION"
    # the refusal names the proposal by its global id, as a ticket's does (NotFoundError's objectId
    # is typed otherwise, hence the alias in the shared fragment)
    assert (closing["objectType"], closing["refusedId"]) == ("Proposal", proposal["id"])
    assert (closing["currentProposalStatus"], closing["currentStatusLabel"]) == ("SUBMITTED", "已提交")
    assert closing["allowedActions"] == ["withdraw", "register"]
    assert "register" in closing["message"]

    editing = await _refused(gql, "updateProposal", proposal, "deputy", title="改标题")
    assert editing["__typename"] == "TransitionError" and editing["allowedActions"] == [
        "withdraw",
        "register",
    ]

    assigned = await flow.assigned(gql)
    replying = await _refused(gql, "replyToProposal", assigned, "bureau", result="SOLVED", body="答复")
    assert replying["__typename"] == "TransitionError"
    assert replying["allowedActions"] == [
        "set_deadline",
        "extend_deadline",
        "flag_supervision",
        "plan",
        "record_opinion",
        "contact",
    ]
    rating = await _refused(gql, "rateProposalReply", assigned, "deputy", rating="SATISFIED")
    assert rating["__typename"] == "TransitionError" and rating["currentProposalStatus"] == "ASSIGNED"
    task = await mutate(
        gql,
        "createHandlingTask",
        {
            "proposalId": assigned["id"],
            "version": assigned["version"],
            "title": "任务",
            "responsibleUnitId": await department(gql, "bureau"),
            "dueOn": "2099-01-01",
        },
        "bureau",
    )
    assert task["__typename"] == "TransitionError" and "create_task" not in task["allowedActions"]
    assert task["refusedId"] == assigned["id"]


async def test_a_withdrawn_proposal_allows_nothing(gql: Any) -> None:
    proposal = await flow.step(
        gql, "withdrawProposal", await flow.submitted(gql), "deputy", comment="另行提出"
    )
    assert (proposal["status"], proposal["statusLabel"]) == ("WITHDRAWN", "已撤回")
    again = await _refused(gql, "submitProposal", proposal, "deputy")
    assert again["__typename"] == "TransitionError" and again["allowedActions"] == []


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("registerProposal", {}),
        ("assignProposal", {"leadUnitId": "bureau"}),
        ("flagKeySupervision", {"keySupervision": True}),
        ("closeProposal", {}),
    ],
)
async def test_a_community_worker_cannot_register_or_assign_anything(
    gql: Any, name: str, extra: dict[str, Any]
) -> None:
    proposal = await flow.submitted(gql)
    if "leadUnitId" in extra:
        extra = {"leadUnitId": await department(gql, "bureau")}
    result = await _refused(gql, name, proposal, "worker-xiagang", **extra)
    # it reads no proposals at all: the proposal is not there for it
    assert result["__typename"] == "NotFoundError" and result["objectType"] == "Proposal"
    created = await mutate(
        gql, "createProposal", {"congressTerm": 16, "session": 7, "title": "x"}, "worker-xiagang"
    )
    assert created["__typename"] == "ForbiddenError"


async def test_each_step_belongs_to_its_role(gql: Any) -> None:
    proposal = await flow.submitted(gql)
    for user in ("deputy", "deputy2", "bureau"):
        result = await _refused(gql, "registerProposal", proposal, user)
        assert result["__typename"] == "ForbiddenError", (user, result)
    # deputy2 sees deputy's proposal (public data) but cannot withdraw it
    result = await _refused(gql, "withdrawProposal", proposal, "deputy2")
    assert result["__typename"] == "ForbiddenError"

    assigned = await flow.assigned(gql)
    result = await _refused(gql, "submitHandlingPlan", assigned, "congress", plan="方案")
    assert result["__typename"] == "ForbiddenError"
    result = await _refused(
        gql, "extendProposalDeadline", assigned, "bureau", due="2099-01-01", reason="需要"
    )
    assert result["__typename"] == "ForbiddenError"


async def test_only_the_lead_units_staff_handle_it(gql: Any) -> None:
    """The bureau's staff hold proposal:plan, but a proposal led by the housing bureau is not
    theirs to plan, reply to or break into tasks."""
    proposal = await flow.assigned(gql, lead="housing", co_handling=("bureau",))
    result = await _refused(gql, "submitHandlingPlan", proposal, "bureau", plan="方案")
    assert result["__typename"] == "ForbiddenError" and "lead unit" in result["message"]
    contact = await _refused(
        gql, "recordProposalContact", proposal, "bureau", phase="BEFORE", channel="电话", summary="沟通"
    )
    assert contact["__typename"] == "ForbiddenError"
    seen = await flow.read(gql, proposal["id"])
    assert seen["availableActions"] == []
    assert "plan" in (await flow.read(gql, (await flow.assigned(gql))["id"]))["availableActions"]


async def test_a_draft_is_not_there_for_anyone_but_its_author(gql: Any) -> None:
    draft = await flow.draft(gql, as_user="deputy2")  # other tests count on `deputy` having no drafts
    for user in ("deputy", "congress"):
        result = await _refused(gql, "submitProposal", draft, user, author="deputy2")
        assert result["__typename"] == "NotFoundError", user
    # a malformed ID is a validation error, an ID of another type too
    bad = await mutate(gql, "submitProposal", {"id": "nonsense", "version": 1}, "deputy")
    assert bad["__typename"] == "ValidationError" and bad["fields"][0]["field"] == "id"


async def test_the_workflow_table_is_readable(gql: Any) -> None:
    rows = data(
        await gql(
            "{ proposalWorkflow { fromStatus fromStatusLabel action toStatus toStatusLabel permission "
            "automatic leadUnitOnly } }",
            as_user="deputy",
        )
    )["proposalWorkflow"]
    by_step = {(r["fromStatus"], r["action"]): r for r in rows}
    assert by_step[("SUBMITTED", "register")]["toStatus"] == "REGISTERED"
    assert by_step[("SUBMITTED", "register")]["permission"] == "proposal:register"
    assert by_step[("REPLIED", "rehandle")] == {
        "fromStatus": "REPLIED",
        "fromStatusLabel": "已答复",
        "action": "rehandle",
        "toStatus": "HANDLING",
        "toStatusLabel": "办理中",
        "permission": None,
        "automatic": True,
        "leadUnitOnly": False,
    }
    assert by_step[("HANDLING", "create_task")]["permission"] == "handling_task:create"
    assert by_step[("HANDLING", "reply")]["leadUnitOnly"] is True
    assert {r["toStatus"] for r in rows} >= {"SUBMITTED", "REGISTERED", "ASSIGNED", "HANDLING", "CLOSED"}
