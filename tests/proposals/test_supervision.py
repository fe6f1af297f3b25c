"""Supervision (督办): overdue and due-soon proposals and tasks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.helpers import data, error_codes
from tests.proposals import flow
from tests.proposals.flow import department, ok

QUERY = """query($days: Int!, $key: Boolean) {
  overdue: overdueProposals(first: 500, keySupervision: $key) { totalCount nodes { id overdue replyDue } }
  soon: proposalsDueSoon(withinDays: $days, first: 500) { totalCount nodes { id overdue replyDue } }
  overdueTasks: overdueHandlingTasks(first: 500) { totalCount nodes { id overdue proposal { id } } }
  tasksSoon: handlingTasksDueSoon(withinDays: $days, first: 500) { totalCount nodes { id dueOn } }
}"""


async def _supervision(
    gql: Any, days: int = 14, key: bool | None = None, as_user: str = "congress"
) -> dict[str, Any]:
    d = data(await gql(QUERY, {"days": days, "key": key}, as_user=as_user))
    return {name: [n["id"] for n in value["nodes"]] for name, value in d.items()} | {"raw": d}


async def test_overdue_and_due_soon_proposals_and_tasks(gql: Any, clock: Any) -> None:
    today = clock.today()
    urgent = await flow.handling(gql, reply_due=today + timedelta(days=5))
    payload = await ok(
        gql,
        "createHandlingTask",
        {
            "proposalId": urgent["id"],
            "version": urgent["version"],
            "title": "选址踏勘",
            "responsibleUnitId": await department(gql, "housing"),
            "dueOn": (today + timedelta(days=3)).isoformat(),
        },
        "bureau",
    )
    task = payload["task"]
    urgent = await flow.step(
        gql,
        "flagKeySupervision",
        {**urgent, "version": payload["proposal"]["version"]},
        "congress",
        keySupervision=True,
    )
    relaxed = await flow.assigned(gql)  # due in 3 months

    now = await _supervision(gql, days=7)
    assert urgent["id"] in now["soon"] and relaxed["id"] not in now["soon"]
    assert urgent["id"] not in now["overdue"] and task["id"] in now["tasksSoon"]
    assert task["id"] not in now["overdueTasks"]
    wide = await _supervision(gql, days=120)
    assert {urgent["id"], relaxed["id"]} <= set(wide["soon"])

    clock.advance(days=6)
    later = await _supervision(gql, days=7)
    assert urgent["id"] in later["overdue"] and urgent["id"] not in later["soon"]
    assert task["id"] in later["overdueTasks"] and task["id"] not in later["tasksSoon"]
    flagged = await _supervision(gql, key=True)
    assert urgent["id"] in flagged["overdue"]
    assert urgent["id"] not in (await _supervision(gql, key=False))["overdue"]
    row = next(n for n in later["raw"]["overdue"]["nodes"] if n["id"] == urgent["id"])
    assert row["overdue"] is True
    dues = [n["replyDue"] for n in later["raw"]["overdue"]["nodes"]]
    assert dues == sorted(dues), "most overdue first"

    # a reply ends the proposal's overdue state; a done task leaves the overdue list
    replied = await flow.step(
        gql,
        "replyToProposal",
        await flow.read(gql, urgent["id"]),
        "bureau",
        result="BEING_SOLVED",
        body="正在推进。",
    )
    await ok(
        gql, "updateHandlingTask", {"id": task["id"], "version": task["version"], "progress": 100}, "bureau"
    )
    done = await _supervision(gql)
    assert replied["id"] not in done["overdue"] and task["id"] not in done["overdueTasks"]


async def test_the_window_is_checked(gql: Any) -> None:
    for days in (0, 400):
        result = await gql("query($d: Int!) { proposalsDueSoon(withinDays: $d) { totalCount } }", {"d": days})
        assert error_codes(result) == ["BAD_USER_INPUT"]
        result = await gql(
            "query($d: Int!) { handlingTasksDueSoon(withinDays: $d) { totalCount } }", {"d": days}
        )
        assert error_codes(result) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("user", ["worker-xiagang", "liaison"])
async def test_station_staff_do_not_supervise_proposals(gql: Any, user: str) -> None:
    for field in ("overdueProposals", "overdueHandlingTasks"):
        result = await gql(f"{{ {field} {{ totalCount }} }}", as_user=user)
        assert error_codes(result) == ["FORBIDDEN"], field
    result = await gql("{ unitTimeliness { onTime } }", as_user=user)
    assert error_codes(result) == ["FORBIDDEN"]
