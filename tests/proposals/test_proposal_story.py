"""The programme's proposal story (docs/domain.md, "The programme", steps 1–3), end to end
through GraphQL, each step as the account that takes it in real life."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.helpers import data
from tests.proposals.flow import department, deputy_id, ok, pk, read, step

BODY = (
    "一、在人流密集的路段建设城市服务驿站，休息区面积不少于60%。\n"
    "二、每个村（社区）设立社区城管服务工作站。\n"
    "三、推行“1+N”模式，由各部门进驻驿站提供服务。"
)


async def _months_later(day: date, months: int) -> date:
    from server.proposals.workflow import deadline_after_months

    return await deadline_after_months(day, months)


async def test_a_proposal_from_draft_to_closed(gql: Any, clock: Any) -> None:
    # 1. The deputy drafts the proposal, with a co-signer, and submits it (代表提出建议).
    proposal = await ok(
        gql,
        "createProposal",
        {
            "congressTerm": 16,
            "session": 7,
            "title": "搭建城管与市民的连心之桥：推动城市服务驿站建设（测试）",
            "summary": "推动城市服务驿站和社区城管服务工作站建设，推行“1+N”模式。",
            "body": BODY,
            "category": "城市管理",
            "cosignerIds": [await deputy_id(gql, "示例代表二")],
        },
        "deputy",
    )
    assert (proposal["status"], proposal["statusLabel"], proposal["version"]) == ("DRAFT", "草稿", 1)
    assert proposal["number"].startswith("16-7-")
    assert proposal["availableActions"] == ["update", "submit", "withdraw"]
    proposal = await step(gql, "submitProposal", proposal, "deputy", comment="提交建议")
    assert (proposal["status"], proposal["statusLabel"]) == ("SUBMITTED", "已提交")

    # 2. The standing committee registers it, assigns it to the bureau as lead unit with the
    # housing bureau co-handling, and flags it for key supervision (登记、交办、重点督办).
    proposal = await step(gql, "registerProposal", proposal, "congress")
    assert proposal["status"] == "REGISTERED"
    today = clock.today()
    proposal = await step(
        gql,
        "assignProposal",
        proposal,
        "congress",
        leadUnitId=await department(gql, "bureau"),
        coHandlingUnitIds=[await department(gql, "housing")],
        comment="交市城管局牵头办理，市住建局协办",
    )
    assert (proposal["status"], proposal["statusLabel"]) == ("ASSIGNED", "已交办")
    assert proposal["replyDue"] == (await _months_later(today, 3)).isoformat()
    units = {u["department"]["code"]: u for u in proposal["units"]}
    assert (units["bureau"]["role"], units["bureau"]["roleLabel"]) == ("LEAD", "牵头单位")
    assert (units["housing"]["role"], units["housing"]["roleLabel"]) == ("CO_HANDLING", "协办单位")
    assert units["housing"]["opinionDue"] == (await _months_later(today, 1)).isoformat()
    assert {u["timeliness"] for u in proposal["units"]} == {"PENDING"}

    proposal = await step(gql, "flagKeySupervision", proposal, "congress", keySupervision=True)
    assert proposal["keySupervision"] is True
    # an urgent proposal: the committee brings the reply forward
    sooner = await _months_later(today, 2)
    proposal = await step(gql, "setProposalDeadline", proposal, "congress", due=sooner.isoformat())
    assert proposal["replyDue"] == sooner.isoformat()

    # 3. The bureau contacts the deputy, writes the work plan and breaks it down into tasks
    # (办理工作方案、任务分解表); the housing bureau's opinion comes in.
    assert "plan" in (await read(gql, proposal["id"]))["availableActions"]
    proposal = await step(
        gql,
        "recordProposalContact",
        proposal,
        "bureau",
        phase="BEFORE",
        channel="电话",
        summary="办理前与代表电话沟通，了解建议的具体诉求。",
    )
    proposal = await step(
        gql,
        "submitHandlingPlan",
        proposal,
        "bureau",
        plan="一、制定驿站建设标准；二、各镇街选址建设；三、推行城管进一线。",
    )
    assert (proposal["status"], proposal["statusLabel"]) == ("HANDLING", "办理中")
    proposal = await step(
        gql,
        "recordUnitOpinion",
        proposal,
        "bureau",
        unitId=await department(gql, "housing"),
        opinion="同意牵头单位办理方案，配合做好驿站选址用地保障。",
    )
    units = {u["department"]["code"]: u for u in proposal["units"]}
    assert units["housing"]["timeliness"] == "ON_TIME" and units["housing"]["opinionAt"]

    tasks = []
    for title, code, days in (
        ("制定城市服务驿站建设标准", "bureau", 20),
        ("各镇街完成驿站选址", "housing", 40),
    ):
        payload = await ok(
            gql,
            "createHandlingTask",
            {
                "proposalId": proposal["id"],
                "version": proposal["version"],
                "title": title,
                "responsibleUnitId": await department(gql, code),
                "dueOn": (today + timedelta(days=days)).isoformat(),
            },
            "bureau",
        )
        tasks.append(payload["task"])
        proposal = {**proposal, "version": payload["proposal"]["version"]}
        assert payload["task"]["status"] == "NOT_STARTED"

    # progress is reported and supervised; the proposal's progress follows its tasks
    clock.advance(days=10)
    first = await ok(
        gql,
        "updateHandlingTask",
        {"id": tasks[0]["id"], "version": tasks[0]["version"], "progress": 60, "notes": "初稿已完成"},
        "bureau",
    )
    assert (first["task"]["status"], first["task"]["statusLabel"]) == ("IN_PROGRESS", "推进中")
    assert first["proposal"]["progress"] == 30
    first = await ok(
        gql,
        "updateHandlingTask",
        {"id": tasks[0]["id"], "version": first["task"]["version"], "progress": 100},
        "bureau",
    )
    second = await ok(
        gql,
        "updateHandlingTask",
        {"id": tasks[1]["id"], "version": tasks[1]["version"], "progress": 100},
        "bureau",
    )
    assert first["task"]["status"] == second["task"]["status"] == "DONE"
    assert first["task"]["completedAt"] and second["proposal"]["progress"] == 100
    assert [h["toStatus"] for h in first["task"]["history"]] == ["NOT_STARTED", "IN_PROGRESS", "DONE"]

    proposal = await read(gql, proposal["id"])
    proposal = await step(
        gql,
        "recordProposalContact",
        proposal,
        "bureau",
        phase="DURING",
        channel="座谈会",
        summary="邀请代表实地察看驿站建设。",
    )

    # the bureau replies (答复): solved
    clock.advance(days=5)
    proposal = await step(
        gql,
        "replyToProposal",
        proposal,
        "bureau",
        result="SOLVED",
        body="已建成城市服务驿站113个、社区城管服务工作站116个，2022年计划新建不少于200个。",
    )
    assert (proposal["status"], proposal["statusLabel"]) == ("REPLIED", "已答复")
    units = {u["department"]["code"]: u for u in proposal["units"]}
    assert units["bureau"]["timeliness"] == "ON_TIME"

    # the deputy rates it satisfied; its co-signer rates it too; the committee closes it (办结)
    proposal = await step(gql, "rateProposalReply", proposal, "deputy", rating="SATISFIED")
    proposal = await step(gql, "rateProposalReply", proposal, "deputy2", rating="BASICALLY_SATISFIED")
    assert proposal["status"] == "REPLIED" and proposal["rehandlingCount"] == 0
    proposal = await step(
        gql, "recordProposalContact", proposal, "bureau", phase="AFTER", channel="走访", summary="回访代表。"
    )
    proposal = await step(gql, "closeProposal", proposal, "congress", comment="代表满意，办结")
    assert (proposal["status"], proposal["statusLabel"]) == ("CLOSED", "已办结")
    assert proposal["closedAt"] and proposal["availableActions"] == []

    # The whole story is readable by the deputy: history, plan, tasks, reply, ratings, contacts.
    seen = await read(gql, proposal["id"], as_user="deputy")
    actions = [(e["action"], e["fromStatus"], e["toStatus"]) for e in seen["history"]]
    assert actions == [
        ("create", None, "DRAFT"),
        ("submit", "DRAFT", "SUBMITTED"),
        ("register", "SUBMITTED", "REGISTERED"),
        ("assign", "REGISTERED", "ASSIGNED"),
        ("flag_supervision", "ASSIGNED", "ASSIGNED"),
        ("set_deadline", "ASSIGNED", "ASSIGNED"),
        ("contact", "ASSIGNED", "ASSIGNED"),
        ("plan", "ASSIGNED", "HANDLING"),
        ("record_opinion", "HANDLING", "HANDLING"),
        ("contact", "HANDLING", "HANDLING"),
        ("reply", "HANDLING", "REPLIED"),
        ("rate", "REPLIED", "REPLIED"),
        ("rate", "REPLIED", "REPLIED"),
        ("contact", "REPLIED", "REPLIED"),
        ("close", "REPLIED", "CLOSED"),
    ]
    actors = [e["actor"] for e in seen["history"]]
    assert actors[:4] == ["deputy", "deputy", "congress", "congress"]
    assert actors[-3:] == ["deputy2", "bureau", "congress"]
    times = [e["at"] for e in seen["history"]]
    assert times == sorted(times)
    assert (
        seen["handlingPlan"]["text"].startswith("一、制定驿站建设标准")
        and seen["handlingPlan"]["revision"] == 1
    )
    assert [t["status"] for t in seen["tasks"]] == ["DONE", "DONE"] and seen["progress"] == 100
    [reply] = seen["replies"]
    assert (reply["result"], reply["resultLabel"], reply["late"]) == ("SOLVED", "已解决", False)
    assert [(r["deputy"]["name"], r["ratingLabel"]) for r in reply["ratings"]] == [
        ("示例代表", "满意"),
        ("示例代表二", "基本满意"),
    ]
    assert [(c["phase"], c["phaseLabel"]) for c in seen["contacts"]] == [
        ("BEFORE", "办理前"),
        ("DURING", "办理中"),
        ("AFTER", "办理后"),
    ]
    assert [c["name"] for c in seen["cosigners"]] == ["示例代表二"]

    # Each step also left an audit entry, in the same transaction as the change.
    from server.audit.models import AuditEntry

    audited = await AuditEntry.filter(object_type="Proposal", object_id=str(pk(proposal["id"]))).values_list(
        "operation", flat=True
    )
    assert audited[0] == "createProposal" and audited[-1] == "closeProposal"
    assert len(audited) == len(seen["history"]) + len(tasks)  # task rows also moved the proposal's version


async def test_the_demo_proposal_can_be_taken_up_from_submitted(gql: Any) -> None:
    """16-7-0001 waits at SUBMITTED for the committee. Other tests read it as it is, so this one
    only checks what each account may do with it next, without moving it."""
    d = data(
        await gql(
            '{ proposals(filter: {search: "16-7-0001"}) { nodes { status availableActions } } }',
            as_user="congress",
        )
    )
    assert d["proposals"]["nodes"] == [{"status": "SUBMITTED", "availableActions": ["register"]}]
    for user, expected in (("deputy", ["withdraw"]), ("deputy2", []), ("bureau", [])):
        d = data(
            await gql(
                '{ proposals(filter: {search: "16-7-0001"}) { nodes { availableActions } } }', as_user=user
            )
        )
        assert d["proposals"]["nodes"][0]["availableActions"] == expected, user
