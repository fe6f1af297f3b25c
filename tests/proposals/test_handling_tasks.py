"""The task breakdown table (任务分解表): rows with a responsible unit, due date, progress, status
and notes; the proposal's progress follows them; each task has its own history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.helpers import data
from tests.proposals import flow
from tests.proposals.flow import department, mutate, ok, row_counts


def _today() -> date:
    from server import clock

    return clock.today()


async def _task(
    gql: Any, proposal: dict[str, Any], title: str, *, days: int = 30
) -> tuple[dict[str, Any], int]:
    """A new task on `proposal`; returns it and the proposal's new version."""
    payload = await ok(
        gql,
        "createHandlingTask",
        {
            "proposalId": proposal["id"],
            "version": proposal["version"],
            "title": title,
            "responsibleUnitId": await department(gql, "bureau"),
            "dueOn": (_today() + timedelta(days=days)).isoformat(),
            "notes": "按月报送进度",
        },
        "bureau",
    )
    return payload["task"], payload["proposal"]["version"]


async def _update(gql: Any, task: dict[str, Any], as_user: str = "bureau", **changes: Any) -> dict[str, Any]:
    return await mutate(
        gql, "updateHandlingTask", {"id": task["id"], "version": task["version"], **changes}, as_user
    )


async def test_progress_drives_status_and_the_proposals_progress(gql: Any) -> None:
    proposal = await flow.handling(gql)
    assert proposal["progress"] is None
    first, version = await _task(gql, proposal, "制定建设标准")
    second, version = await _task(gql, {**proposal, "version": version}, "完成选址")
    assert (first["status"], first["statusLabel"], first["progress"]) == ("NOT_STARTED", "未开始", 0)
    assert first["history"][0]["action"] == "create_task"

    halfway = await _update(gql, first, progress=50, comment="标准初稿完成")
    assert halfway["task"]["status"] == "IN_PROGRESS" and halfway["proposal"]["progress"] == 25
    done = await _update(gql, second, progress=100)
    assert (done["task"]["status"], done["task"]["statusLabel"]) == ("DONE", "已完成")
    assert done["task"]["completedAt"] and done["proposal"]["progress"] == 75
    reopened = await _update(gql, done["task"], progress=90, comment="复核发现遗漏")
    assert reopened["task"]["status"] == "IN_PROGRESS" and reopened["task"]["completedAt"] is None

    history = reopened["task"]["history"]
    assert [(h["action"], h["fromStatus"], h["toStatus"]) for h in history] == [
        ("create_task", None, "NOT_STARTED"),
        ("update_task", "NOT_STARTED", "DONE"),
        ("update_task", "DONE", "IN_PROGRESS"),
    ]
    assert history[-1]["comment"] == "复核发现遗漏" and {h["actor"] for h in history} == {"bureau"}
    # task events stay with the task: the proposal's history is the proposal's
    seen = await flow.read(gql, proposal["id"], as_user="deputy")
    assert "update_task" not in [e["action"] for e in seen["history"]]
    assert [t["title"] for t in seen["tasks"]] == ["制定建设标准", "完成选址"]
    assert seen["version"] == version  # task progress does not move the proposal's version


async def test_bad_task_input_changes_nothing(gql: Any) -> None:
    proposal = await flow.handling(gql)
    task, _version = await _task(gql, proposal, "推进驿站建设")
    before = await row_counts()
    for progress in (101, -1):
        result = await _update(gql, task, progress=progress)
        assert result["__typename"] == "ValidationError"
        assert [(f["field"], f["code"]) for f in result["fields"]] == [("progress", "OUT_OF_RANGE")]
    past = await _update(gql, task, dueOn=(_today() - timedelta(days=1)).isoformat())
    assert [(f["field"], f["code"]) for f in past["fields"]] == [("dueOn", "PAST_DATE")]
    later = await _update(gql, task, dueOn=(_today() + timedelta(days=90)).isoformat())
    assert [(f["field"], f["code"]) for f in later["fields"]] == [("comment", "REQUIRED")]
    nothing = await _update(gql, task, progress=0)
    assert [f["code"] for f in nothing["fields"]] == ["NO_CHANGES"]
    created = await mutate(
        gql,
        "createHandlingTask",
        {
            "proposalId": proposal["id"],
            "version": _version,
            "title": "",
            "responsibleUnitId": await department(gql, "bureau"),
            "dueOn": (_today() - timedelta(days=3)).isoformat(),
        },
        "bureau",
    )
    assert sorted((f["field"], f["code"]) for f in created["fields"]) == [
        ("dueOn", "PAST_DATE"),
        ("title", "REQUIRED"),
    ]
    assert await row_counts() == before
    node = data(
        await gql(
            "query($id: ID!) { node(id: $id) { ... on HandlingTask { version progress } } }",
            {"id": task["id"]},
        )
    )["node"]
    assert node == {"version": task["version"], "progress": 0}


async def test_an_extended_task_says_why(gql: Any) -> None:
    proposal = await flow.handling(gql)
    task, _version = await _task(gql, proposal, "增设饮水点", days=10)
    later = (_today() + timedelta(days=40)).isoformat()
    result = await _update(gql, task, dueOn=later, comment="用地手续延后")
    assert result["task"]["dueOn"] == later
    event = result["task"]["history"][-1]
    assert event["comment"] == "用地手续延后"
    # an earlier date needs no reason
    sooner = await _update(gql, result["task"], dueOn=(_today() + timedelta(days=5)).isoformat())
    assert sooner["__typename"] == "HandlingTaskPayload"


async def test_tasks_belong_to_the_lead_units_staff(gql: Any) -> None:
    proposal = await flow.handling(gql)
    task, _version = await _task(gql, proposal, "任务")
    for user in ("congress", "deputy"):
        result = await _update(gql, task, as_user=user, progress=10)
        assert result["__typename"] == "ForbiddenError", user
    hidden = await _update(gql, task, as_user="worker-xiagang", progress=10)
    assert hidden["__typename"] == "NotFoundError" and hidden["objectType"] == "HandlingTask"


async def test_tasks_keep_moving_after_a_reply_being_solved(gql: Any) -> None:
    proposal = await flow.handling(gql)
    task, version = await _task(gql, proposal, "2022年新建驿站不少于200个")
    proposal = await flow.step(
        gql,
        "replyToProposal",
        {**proposal, "version": version},
        "bureau",
        result="BEING_SOLVED",
        body="正按计划推进。",
    )
    result = await _update(gql, task, progress=40)
    assert result["__typename"] == "HandlingTaskPayload" and result["proposal"]["progress"] == 40


async def test_an_overdue_task_still_reports_progress(gql: Any, clock: Any) -> None:
    proposal = await flow.handling(gql)
    task, _version = await _task(gql, proposal, "限期完成的任务", days=2)
    clock.advance(days=5)
    seen = data(
        await gql("query($id: ID!) { node(id: $id) { ... on HandlingTask { overdue } } }", {"id": task["id"]})
    )
    assert seen["node"]["overdue"] is True
    # a form sends the unchanged (now past) due date along: that is not "a date in the past"
    result = await _update(gql, task, dueOn=task["dueOn"], progress=100, comment="完成")
    assert result["__typename"] == "HandlingTaskPayload"
    assert (result["task"]["status"], result["task"]["overdue"]) == ("DONE", False)
