"""Steps of the proposal workflow through GraphQL, each as the account that takes it, shared by the
proposal tests. Tests make their own proposals: the demo ones are read by other tests."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from tests.helpers import data

PROPOSAL = """fragment P on Proposal {
  id number status statusLabel version keySupervision replyDue assignedAt repliedAt closedAt
  rehandlingCount progress overdue availableActions
  units { role roleLabel opinionDue opinionAt opinion timeliness department { code } }
}"""

TASK = """fragment T on HandlingTask {
  id title progress status statusLabel version dueOn completedAt overdue notes
  responsibleUnit { code }
  history { actor action fromStatus toStatus comment at }
}"""

ERRORS = """
  ... on ValidationError { code message fields { field code message } }
  ... on NotFoundError { code message objectType objectId }
  ... on ConflictError { code message currentVersion }
  ... on ForbiddenError { code message }
  ... on TransitionError { code message objectType refusedId: objectId
                           currentProposalStatus currentStatusLabel allowedActions }
"""

# mutation name → input type
INPUTS = {
    "createProposal": "CreateProposalInput",
    "updateProposal": "UpdateProposalInput",
    "submitProposal": "ProposalStepInput",
    "withdrawProposal": "ProposalStepInput",
    "registerProposal": "ProposalStepInput",
    "assignProposal": "AssignProposalInput",
    "setProposalDeadline": "SetProposalDeadlineInput",
    "extendProposalDeadline": "ExtendProposalDeadlineInput",
    "flagKeySupervision": "FlagKeySupervisionInput",
    "submitHandlingPlan": "HandlingPlanInput",
    "recordUnitOpinion": "UnitOpinionInput",
    "recordProposalContact": "RecordProposalContactInput",
    "replyToProposal": "ReplyToProposalInput",
    "rateProposalReply": "RateProposalReplyInput",
    "closeProposal": "ProposalStepInput",
    "createHandlingTask": "CreateHandlingTaskInput",
    "updateHandlingTask": "UpdateHandlingTaskInput",
}


# workflow action → mutation
MUTATIONS = {
    "update": "updateProposal",
    "submit": "submitProposal",
    "withdraw": "withdrawProposal",
    "register": "registerProposal",
    "assign": "assignProposal",
    "set_deadline": "setProposalDeadline",
    "extend_deadline": "extendProposalDeadline",
    "flag_supervision": "flagKeySupervision",
    "plan": "submitHandlingPlan",
    "record_opinion": "recordUnitOpinion",
    "create_task": "createHandlingTask",
    "update_task": "updateHandlingTask",
    "contact": "recordProposalContact",
    "reply": "replyToProposal",
    "rate": "rateProposalReply",
    "close": "closeProposal",
}


def mutation(name: str) -> str:
    if name in ("createHandlingTask", "updateHandlingTask"):
        payload = "... on HandlingTaskPayload { task { ...T } proposal { id version progress } }"
        fragment = TASK
    else:
        payload = "... on ProposalPayload { proposal { ...P } }"
        fragment = PROPOSAL
    return (
        f"mutation($input: {INPUTS[name]}!) {{ {name}(input: $input) {{ __typename {payload} {ERRORS} }} }}\n"
        + fragment
    )


async def mutate(gql: Any, name: str, input: dict[str, Any], as_user: str) -> dict[str, Any]:
    """The mutation's union member (with __typename)."""
    return dict(data(await gql(mutation(name), {"input": input}, as_user=as_user))[name])


async def ok(gql: Any, name: str, input: dict[str, Any], as_user: str) -> dict[str, Any]:
    """The proposal (or, for tasks, the payload) of a mutation that must succeed."""
    result = await mutate(gql, name, input, as_user)
    assert result["__typename"] in ("ProposalPayload", "HandlingTaskPayload"), (name, result)
    return dict(result["proposal"]) if "proposal" in result and "task" not in result else result


async def step(gql: Any, name: str, proposal: dict[str, Any], as_user: str, **extra: Any) -> dict[str, Any]:
    """A step on `proposal` at the version last read."""
    return await ok(gql, name, {"id": proposal["id"], "version": proposal["version"], **extra}, as_user)


def pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().rpartition(":")[2])


_DEPARTMENTS: dict[str, str] = {}


async def department(gql: Any, code: str) -> str:
    if not _DEPARTMENTS:
        nodes = data(await gql("{ departments(first: 500) { nodes { id code } } }"))["departments"]["nodes"]
        _DEPARTMENTS.update({n["code"]: n["id"] for n in nodes})
    return _DEPARTMENTS[code]


async def deputy_id(gql: Any, name: str) -> str:
    """A deputy's global ID, from the authors and co-signers of the demo proposal."""
    query = (
        '{ proposals(filter: {search: "16-7-0001"}) { nodes { author { id name } cosigners { id name } } } }'
    )
    d = data(await gql(query))
    node = d["proposals"]["nodes"][0]
    people = {p["name"]: p["id"] for p in [node["author"], *node["cosigners"]]}
    return str(people[name])


async def draft(gql: Any, *, as_user: str = "deputy", **overrides: Any) -> dict[str, Any]:
    input = {
        "congressTerm": 16,
        "session": 7,
        "title": "关于完善城市服务驿站便民设施的建议（测试）",
        "summary": "建议为驿站统一配备饮水、充电和医药箱等便民设施。",
        **overrides,
    }
    return await ok(gql, "createProposal", input, as_user)


async def submitted(gql: Any, *, author: str = "deputy", **overrides: Any) -> dict[str, Any]:
    return await step(gql, "submitProposal", await draft(gql, as_user=author, **overrides), author)


async def registered(gql: Any, **overrides: Any) -> dict[str, Any]:
    return await step(gql, "registerProposal", await submitted(gql, **overrides), "congress")


async def assigned(
    gql: Any,
    *,
    lead: str = "bureau",
    co_handling: tuple[str, ...] = ("housing",),
    reply_due: date | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    proposal = await registered(gql, **overrides)
    extra: dict[str, Any] = {
        "leadUnitId": await department(gql, lead),
        "coHandlingUnitIds": [await department(gql, c) for c in co_handling],
    }
    if reply_due is not None:
        extra["replyDue"] = reply_due.isoformat()
    return await step(gql, "assignProposal", proposal, "congress", **extra)


async def handling(gql: Any, **kwargs: Any) -> dict[str, Any]:
    proposal = await assigned(gql, **kwargs)
    return await step(
        gql, "submitHandlingPlan", proposal, "bureau", plan="一、摸排需求；二、分批建设；三、跟踪评估。"
    )


async def replied(gql: Any, *, result: str = "SOLVED", **kwargs: Any) -> dict[str, Any]:
    proposal = await handling(gql, **kwargs)
    return await step(gql, "replyToProposal", proposal, "bureau", result=result, body="已按计划办理完毕。")


DETAIL = (
    """query($id: ID!) { node(id: $id) { ... on Proposal { ...P
  history { actor action fromStatus toStatus comment at }
  tasks { ...T }
  handlingPlan { text writtenBy revision }
  replies { result resultLabel body reason repliedBy late
            ratings { rating ratingLabel comment deputy { name } } }
  contacts { phase phaseLabel channel summary contactedBy }
  cosigners { name }
} } }
"""
    + PROPOSAL
    + TASK
)


async def read(gql: Any, proposal_id: str, as_user: str = "bureau") -> dict[str, Any]:
    return dict(data(await gql(DETAIL, {"id": proposal_id}, as_user=as_user))["node"])


async def row_counts() -> dict[str, int]:
    """Rows of every table a proposal mutation writes: an error must leave them all unchanged."""
    from server.audit.models import AuditEntry
    from server.proposals.models import (
        ContactLog,
        HandlingTask,
        Proposal,
        ProposalCosigner,
        ProposalEvent,
        ProposalRating,
        ProposalReply,
        ProposalUnit,
    )

    models = (
        AuditEntry,
        ContactLog,
        HandlingTask,
        Proposal,
        ProposalCosigner,
        ProposalEvent,
        ProposalRating,
        ProposalReply,
        ProposalUnit,
    )
    return {m.__name__: await m.all().count() for m in models}
