"""Ratings of a reply by the author and co-signers; a dissatisfied one sends the proposal back."""

from __future__ import annotations

from typing import Any

from tests.proposals import flow
from tests.proposals.flow import deputy_id, mutate, row_counts, step


async def test_a_dissatisfied_rating_sends_it_back_for_rehandling(gql: Any, clock: Any) -> None:
    from server.proposals.workflow import deadline_after_months

    proposal = await flow.replied(gql)
    clock.advance(days=3)
    proposal = await step(
        gql,
        "rateProposalReply",
        proposal,
        "deputy",
        rating="DISSATISFIED",
        comment="驿站数量不足，选址不合理。",
    )
    assert (proposal["status"], proposal["statusLabel"]) == ("HANDLING", "办理中")
    assert proposal["rehandlingCount"] == 1
    # re-handled and answered again within a month of the rating (on a working day)
    assert proposal["replyDue"] == (await deadline_after_months(clock.today(), 1)).isoformat()
    history = (await flow.read(gql, proposal["id"], as_user="deputy"))["history"]
    assert [(e["action"], e["fromStatus"], e["toStatus"]) for e in history[-2:]] == [
        ("rate", "REPLIED", "REPLIED"),
        ("rehandle", "REPLIED", "HANDLING"),
    ]
    assert history[-1]["actor"] == "deputy"

    # the bureau revises its plan and replies again; this time the deputy is satisfied
    proposal = await step(gql, "submitHandlingPlan", proposal, "bureau", plan="补充选址，增建驿站。")
    proposal = await step(
        gql, "replyToProposal", proposal, "bureau", result="BEING_SOLVED", body="已补充选址，正按计划推进。"
    )
    proposal = await step(gql, "rateProposalReply", proposal, "deputy", rating="SATISFIED")
    assert proposal["status"] == "REPLIED" and proposal["rehandlingCount"] == 1
    proposal = await step(gql, "closeProposal", proposal, "congress")
    assert proposal["status"] == "CLOSED"

    seen = await flow.read(gql, proposal["id"], as_user="deputy")
    assert [r["result"] for r in seen["replies"]] == ["SOLVED", "BEING_SOLVED"]
    assert [[x["rating"] for x in r["ratings"]] for r in seen["replies"]] == [["DISSATISFIED"], ["SATISFIED"]]
    assert seen["handlingPlan"]["revision"] == 2


async def test_a_second_dissatisfied_rating_counts_a_second_rehandling(gql: Any) -> None:
    proposal = await flow.replied(gql)
    for expected in (1, 2):
        proposal = await step(
            gql, "rateProposalReply", proposal, "deputy", rating="DISSATISFIED", comment="不满意"
        )
        assert (proposal["status"], proposal["rehandlingCount"]) == ("HANDLING", expected)
        proposal = await step(gql, "replyToProposal", proposal, "bureau", result="SOLVED", body="再次答复")


async def test_co_signers_read_the_reply_and_each_rate_it(gql: Any) -> None:
    proposal = await flow.replied(gql, cosignerIds=[await deputy_id(gql, "示例代表二")])
    seen = await flow.read(gql, proposal["id"], as_user="deputy2")
    assert [r["body"] for r in seen["replies"]] == ["已按计划办理完毕。"]
    proposal = await step(gql, "rateProposalReply", proposal, "deputy2", rating="BASICALLY_SATISFIED")
    # the co-signer's rating alone does not let the committee close it: the author's is awaited
    before = await row_counts()
    closing = await mutate(
        gql, "closeProposal", {"id": proposal["id"], "version": proposal["version"]}, "congress"
    )
    assert closing["__typename"] == "ValidationError"
    assert [f["code"] for f in closing["fields"]] == ["NOT_RATED"]
    assert await row_counts() == before
    proposal = await step(gql, "rateProposalReply", proposal, "deputy", rating="SATISFIED")
    proposal = await step(gql, "closeProposal", proposal, "congress")
    assert proposal["status"] == "CLOSED"


async def test_a_co_signers_dissatisfaction_also_sends_it_back(gql: Any) -> None:
    proposal = await flow.replied(gql, cosignerIds=[await deputy_id(gql, "示例代表二")])
    proposal = await step(
        gql, "rateProposalReply", proposal, "deputy2", rating="DISSATISFIED", comment="未解决"
    )
    assert (proposal["status"], proposal["rehandlingCount"]) == ("HANDLING", 1)


async def test_a_deputy_cannot_rate_another_deputys_proposal(gql: Any) -> None:
    proposal = await flow.replied(gql, author="deputy2")
    before = await row_counts()
    result = await mutate(
        gql,
        "rateProposalReply",
        {"id": proposal["id"], "version": proposal["version"], "rating": "DISSATISFIED", "comment": "x"},
        "deputy",
    )
    assert result["__typename"] == "ForbiddenError"
    assert await row_counts() == before
    # nor can staff rate on a deputy's behalf
    result = await mutate(
        gql,
        "rateProposalReply",
        {"id": proposal["id"], "version": proposal["version"], "rating": "SATISFIED"},
        "congress",
    )
    assert result["__typename"] == "ForbiddenError"
    assert await row_counts() == before


async def test_bad_ratings_change_nothing(gql: Any) -> None:
    proposal = await flow.replied(gql)
    before = await row_counts()
    # dissatisfied without saying why
    result = await mutate(
        gql,
        "rateProposalReply",
        {"id": proposal["id"], "version": proposal["version"], "rating": "DISSATISFIED", "comment": "  "},
        "deputy",
    )
    assert result["__typename"] == "ValidationError"
    assert [(f["field"], f["code"]) for f in result["fields"]] == [("comment", "REQUIRED")]
    assert await row_counts() == before

    proposal = await step(gql, "rateProposalReply", proposal, "deputy", rating="SATISFIED")
    before = await row_counts()
    twice = await mutate(
        gql,
        "rateProposalReply",
        {"id": proposal["id"], "version": proposal["version"], "rating": "BASICALLY_SATISFIED"},
        "deputy",
    )
    assert twice["__typename"] == "ValidationError" and twice["fields"][0]["code"] == "ALREADY_RATED"
    assert await row_counts() == before
    seen = await flow.read(gql, proposal["id"], as_user="deputy")
    assert (seen["status"], seen["version"]) == ("REPLIED", proposal["version"])
