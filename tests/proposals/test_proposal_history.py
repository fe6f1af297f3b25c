"""A proposal's history: statuses as enums, and rate entries carrying the rating and its comment
for those who read the proposal's correspondence."""

from __future__ import annotations

from typing import Any

from tests.helpers import data
from tests.proposals import flow

HISTORY = """query($id: ID!) { node(id: $id) { ... on Proposal {
  history { action fromStatus toStatus rating ratingLabel ratingComment }
  tasks { history { action fromStatus toStatus } } } } }"""


async def _history(gql: Any, proposal_id: str, as_user: str) -> dict[str, Any]:
    return dict(data(await gql(HISTORY, {"id": proposal_id}, as_user=as_user))["node"])


async def test_rate_entries_carry_the_rating_and_comment(gql: Any) -> None:
    proposal = await flow.replied(gql)
    proposal = await flow.step(
        gql, "rateProposalReply", proposal, "deputy", rating="DISSATISFIED", comment="选址仍未落实"
    )
    for reader in ("deputy", "congress", "bureau"):
        history = (await _history(gql, proposal["id"], reader))["history"]
        assert [h["action"] for h in history][-2:] == ["rate", "rehandle"]
        rate, rehandle = history[-2:]
        assert rate == {
            "action": "rate",
            "fromStatus": "REPLIED",
            "toStatus": "REPLIED",
            "rating": "DISSATISFIED",
            "ratingLabel": "不满意",
            "ratingComment": "选址仍未落实",
        }, reader
        assert (rehandle["fromStatus"], rehandle["toStatus"], rehandle["rating"]) == (
            "REPLIED",
            "HANDLING",
            None,
        )
        assert history[0]["fromStatus"] is None and history[0]["toStatus"] == "DRAFT"

    # The second reply's rating is the second rate entry's.
    again = await flow.step(gql, "replyToProposal", proposal, "bureau", result="SOLVED", body="已重新办理。")
    await flow.step(gql, "rateProposalReply", again, "deputy", rating="SATISFIED")
    rates = [h for h in (await _history(gql, proposal["id"], "congress"))["history"] if h["action"] == "rate"]
    assert [(r["rating"], r["ratingComment"]) for r in rates] == [
        ("DISSATISFIED", "选址仍未落实"),
        ("SATISFIED", ""),
    ]


async def test_rating_is_correspondence(gql: Any) -> None:
    """A deputy with no tie to the proposal sees that it was rated, not how."""
    proposal = await flow.replied(gql)
    await flow.step(gql, "rateProposalReply", proposal, "deputy", rating="SATISFIED", comment="满意")
    rate = [h for h in (await _history(gql, proposal["id"], "deputy2"))["history"] if h["action"] == "rate"]
    assert [(r["rating"], r["ratingLabel"], r["ratingComment"]) for r in rate] == [(None, None, None)]


async def test_task_history_statuses_are_task_statuses(gql: Any) -> None:
    proposal = await flow.handling(gql)
    created = await flow.ok(
        gql,
        "createHandlingTask",
        {
            "proposalId": proposal["id"],
            "version": proposal["version"],
            "title": "选址",
            "responsibleUnitId": await flow.department(gql, "bureau"),
            "dueOn": "2099-01-01",
        },
        "bureau",
    )
    task = created["task"]
    await flow.ok(
        gql, "updateHandlingTask", {"id": task["id"], "version": task["version"], "progress": 100}, "bureau"
    )
    [entries] = [t["history"] for t in (await _history(gql, proposal["id"], "bureau"))["tasks"]]
    assert [(h["action"], h["fromStatus"], h["toStatus"]) for h in entries] == [
        ("create_task", None, "NOT_STARTED"),
        ("update_task", "NOT_STARTED", "DONE"),
    ]
