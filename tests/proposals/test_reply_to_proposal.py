"""The lead unit's reply: result classes, reasons, and lateness in per-unit timeliness."""

from __future__ import annotations

from typing import Any

from tests.helpers import data
from tests.proposals import flow
from tests.proposals.flow import department, mutate, row_counts, step

TIMELINESS = """query($d: ID) { unitTimeliness(departmentId: $d) {
  department { code } role onTime late pending overdue onTimeRate } }"""


async def _bureau_as_lead(gql: Any) -> dict[str, Any]:
    rows = data(await gql(TIMELINESS, {"d": await department(gql, "bureau")}, as_user="congress"))
    [lead] = [r for r in rows["unitTimeliness"] if r["role"] == "LEAD"]
    return dict(lead)


async def test_cannot_be_solved_needs_a_reason(gql: Any) -> None:
    proposal = await flow.handling(gql)
    before = await row_counts()
    for reason in ("", "   "):
        result = await mutate(
            gql,
            "replyToProposal",
            {
                "id": proposal["id"],
                "version": proposal["version"],
                "result": "CANNOT_BE_SOLVED",
                "body": "经研究，暂不具备条件。",
                "reason": reason,
            },
            "bureau",
        )
        assert result["__typename"] == "ValidationError"
        assert [(f["field"], f["code"]) for f in result["fields"]] == [("reason", "REQUIRED")]
    empty_body = await mutate(
        gql,
        "replyToProposal",
        {"id": proposal["id"], "version": proposal["version"], "result": "SOLVED", "body": ""},
        "bureau",
    )
    assert empty_body["__typename"] == "ValidationError" and empty_body["fields"][0]["field"] == "body"
    assert await row_counts() == before
    assert (await flow.read(gql, proposal["id"]))["status"] == "HANDLING"

    proposal = await step(
        gql,
        "replyToProposal",
        proposal,
        "bureau",
        result="CANNOT_BE_SOLVED",
        body="经研究，该路段暂不具备建设条件。",
        reason="规划用地尚未落实（示例）",
    )
    [reply] = (await flow.read(gql, proposal["id"], as_user="deputy"))["replies"]
    assert (reply["result"], reply["resultLabel"]) == ("CANNOT_BE_SOLVED", "因条件限制无法解决")
    assert reply["reason"] == "规划用地尚未落实（示例）" and reply["repliedBy"] == "bureau"


async def test_a_reply_after_its_due_date_is_late_in_per_unit_timeliness(gql: Any, clock: Any) -> None:
    lead_before = await _bureau_as_lead(gql)
    proposal = await flow.handling(gql, reply_due=clock.today())
    units = {u["role"]: u for u in proposal["units"]}
    assert units["LEAD"]["timeliness"] == "PENDING" and units["CO_HANDLING"]["timeliness"] == "PENDING"
    after_assign = await _bureau_as_lead(gql)
    assert after_assign["pending"] == lead_before["pending"] + 1

    clock.advance(days=2)
    seen = await flow.read(gql, proposal["id"])
    assert seen["overdue"] is True
    assert {u["role"]: u["timeliness"] for u in seen["units"]}["LEAD"] == "OVERDUE"
    assert (await _bureau_as_lead(gql))["overdue"] == lead_before["overdue"] + 1

    proposal = await step(gql, "replyToProposal", proposal, "bureau", result="SOLVED", body="迟到的答复。")
    seen = await flow.read(gql, proposal["id"])
    assert seen["replies"][0]["late"] is True and seen["overdue"] is False
    units = {u["role"]: u for u in seen["units"]}
    assert units["LEAD"]["timeliness"] == "LATE"
    # the co-handler never sent its opinion, due no later than the reply: overdue too
    assert units["CO_HANDLING"]["opinionDue"] == seen["replyDue"]
    assert units["CO_HANDLING"]["timeliness"] == "OVERDUE"
    lead_after = await _bureau_as_lead(gql)
    assert lead_after["late"] == lead_before["late"] + 1
    assert (lead_after["onTime"], lead_after["pending"], lead_after["overdue"]) == (
        lead_before["onTime"],
        lead_before["pending"],
        lead_before["overdue"],
    )
    answered = lead_after["onTime"] + lead_after["late"]
    assert lead_after["onTimeRate"] == round(lead_after["onTime"] / answered, 4)


async def test_a_reply_in_time_is_on_time(gql: Any) -> None:
    before = await _bureau_as_lead(gql)
    proposal = await flow.replied(gql)
    assert {u["role"]: u["timeliness"] for u in proposal["units"]}["LEAD"] == "ON_TIME"
    assert (await _bureau_as_lead(gql))["onTime"] == before["onTime"] + 1


async def test_the_demo_closed_proposal_counts_on_time(gql: Any) -> None:
    d = data(
        await gql(
            "{ unitTimeliness(congressTerm: 16, session: 6) { department { code } role onTime late } }",
            as_user="deputy",
        )
    )["unitTimeliness"]
    by_unit = {(r["department"]["code"], r["role"]): (r["onTime"], r["late"]) for r in d}
    assert by_unit[("bureau", "LEAD")] == (1, 0)
    assert by_unit[("housing", "CO_HANDLING")] == (1, 0)
