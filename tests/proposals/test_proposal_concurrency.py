"""No lost updates: every change names the version it was made from; a stale one is a CONFLICT
carrying the current version, and nothing changes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tests.proposals import flow
from tests.proposals.flow import department, mutate, ok, row_counts


async def _stale(gql: Any, name: str, input: dict[str, Any], as_user: str, current: int) -> None:
    before = await row_counts()
    result = await mutate(gql, name, input, as_user)
    assert result["__typename"] == "ConflictError", result
    assert (result["code"], result["currentVersion"]) == ("CONFLICT", current)
    assert await row_counts() == before


async def test_every_proposal_step_refuses_a_stale_version(gql: Any) -> None:
    draft = await flow.draft(gql, as_user="deputy2")  # other tests count on `deputy` having no drafts
    edited = await flow.step(gql, "updateProposal", draft, "deputy2", title="修改后的标题（测试）")
    assert edited["version"] == draft["version"] + 1
    stale = {"id": draft["id"], "version": draft["version"]}
    await _stale(gql, "updateProposal", {**stale, "title": "覆盖"}, "deputy2", edited["version"])
    await _stale(gql, "submitProposal", stale, "deputy2", edited["version"])
    seen = await flow.read(gql, draft["id"], as_user="deputy2")
    assert (seen["status"], seen["version"]) == ("DRAFT", edited["version"])

    assigned = await flow.assigned(gql)
    old = {"id": assigned["id"], "version": assigned["version"] - 1}
    current = assigned["version"]
    await _stale(gql, "flagKeySupervision", {**old, "keySupervision": True}, "congress", current)
    await _stale(
        gql, "extendProposalDeadline", {**old, "due": "2099-01-01", "reason": "延期"}, "congress", current
    )
    await _stale(gql, "submitHandlingPlan", {**old, "plan": "方案"}, "bureau", current)
    await _stale(
        gql,
        "recordProposalContact",
        {**old, "phase": "BEFORE", "channel": "电话", "summary": "沟通"},
        "bureau",
        current,
    )
    await _stale(
        gql,
        "createHandlingTask",
        {
            "proposalId": assigned["id"],
            "version": assigned["version"] - 1,
            "title": "任务",
            "responsibleUnitId": await department(gql, "bureau"),
            "dueOn": "2099-01-01",
        },
        "bureau",
        current,
    )

    replied = await flow.replied(gql)
    await _stale(
        gql,
        "rateProposalReply",
        {"id": replied["id"], "version": replied["version"] - 1, "rating": "SATISFIED"},
        "deputy",
        replied["version"],
    )


async def test_a_task_refuses_a_stale_version(gql: Any, clock: Any) -> None:
    proposal = await flow.handling(gql)
    payload = await ok(
        gql,
        "createHandlingTask",
        {
            "proposalId": proposal["id"],
            "version": proposal["version"],
            "title": "并发测试任务",
            "responsibleUnitId": await department(gql, "bureau"),
            "dueOn": (clock.today() + timedelta(days=30)).isoformat(),
        },
        "bureau",
    )
    task = payload["task"]
    moved = await ok(
        gql, "updateHandlingTask", {"id": task["id"], "version": task["version"], "progress": 30}, "bureau"
    )
    await _stale(
        gql,
        "updateHandlingTask",
        {"id": task["id"], "version": task["version"], "progress": 80},
        "bureau",
        moved["task"]["version"],
    )
    seen = await flow.read(gql, proposal["id"])
    assert [(t["progress"], t["version"]) for t in seen["tasks"]] == [(30, moved["task"]["version"])]


async def test_two_people_racing_on_one_version_one_wins(gql: Any) -> None:
    """Both read version v and send their change at once: however the two interleave (the check on
    read, or the UPDATE guarded by the version), exactly one is applied and the other is told of
    the new version."""
    proposal = await flow.registered(gql)
    before = await row_counts()
    results = await asyncio.gather(
        mutate(
            gql,
            "flagKeySupervision",
            {"id": proposal["id"], "version": proposal["version"], "keySupervision": True},
            "congress",
        ),
        mutate(
            gql,
            "assignProposal",
            {
                "id": proposal["id"],
                "version": proposal["version"],
                "leadUnitId": await department(gql, "bureau"),
            },
            "congress",
        ),
    )
    assert sorted(r["__typename"] for r in results) == ["ConflictError", "ProposalPayload"]
    winner = next(r for r in results if r["__typename"] == "ProposalPayload")["proposal"]
    loser = next(r for r in results if r["__typename"] == "ConflictError")
    assert loser["currentVersion"] == winner["version"] == proposal["version"] + 1
    after = await row_counts()
    assert after["ProposalEvent"] == before["ProposalEvent"] + 1
    assert after["AuditEntry"] == before["AuditEntry"] + 1


async def test_the_version_guard_catches_a_change_made_after_the_read(gql: Any, monkeypatch: Any) -> None:
    """Someone else commits between our read and our write: the UPDATE … WHERE version = v finds
    no row, the transaction rolls back, and the caller gets the version that won."""
    from server.proposals import access
    from server.proposals.models import Proposal

    proposal = await flow.registered(gql)
    real_relation = access.relation

    async def relation_then_someone_else_writes(authz: Any, p: Any) -> Any:
        rel = await real_relation(authz, p)
        await Proposal.filter(id=p.id).update(version=p.version + 1, key_supervision=True)
        return rel

    monkeypatch.setattr(access, "relation", relation_then_someone_else_writes)
    before = await row_counts()
    result = await mutate(
        gql,
        "assignProposal",
        {"id": proposal["id"], "version": proposal["version"], "leadUnitId": await department(gql, "bureau")},
        "congress",
    )
    assert result["__typename"] == "ConflictError"
    assert result["currentVersion"] == proposal["version"] + 1
    assert await row_counts() == before  # no unit rows, no event, no audit entry
    seen = await flow.read(gql, proposal["id"])
    assert (seen["status"], seen["units"], seen["assignedAt"]) == ("REGISTERED", [], None)
