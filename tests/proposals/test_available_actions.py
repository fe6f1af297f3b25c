"""Proposal.availableActions is the truth, generated over the workflow table: for every state and
every kind of caller, each action offered succeeds through its mutation with valid input, and each
action not offered is refused with a typed error and changes nothing.

Callers: the author, a co-signer, a deputy with no tie to the proposal, congress staff, staff of
the lead unit, bureau staff of another unit, and an area chief (no proposal lines at all). Each
case brings its own proposals to the state; an offered action is tried on a fresh one."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pytest

from tests.helpers import data, error_codes
from tests.proposals import flow
from tests.proposals.flow import ERRORS, INPUTS, MUTATIONS, department, row_counts

DEMO_PASSWORD = "lianxin-demo"
HOUSING_STAFF = "housing-staff"  # bureau-staff role, but in the housing department
# deputy2 authors: other tests count on `deputy` having no drafts.
AUTHOR, COSIGNER = "deputy2", "deputy"


@dataclass(frozen=True)
class Variant:
    """How the proposal is set up: who co-signs, which unit leads, who takes the lead unit's steps."""

    cosigned: bool
    lead: str
    co_handling: tuple[str, ...]
    handler: str


OURS = Variant(cosigned=True, lead="bureau", co_handling=("housing",), handler="bureau")
THEIRS = Variant(cosigned=False, lead="housing", co_handling=("market",), handler=HOUSING_STAFF)

# role: (account, variant)
ROLES: dict[str, tuple[str, Variant]] = {
    "author": (AUTHOR, OURS),
    "cosigner": (COSIGNER, OURS),
    "other-deputy": (COSIGNER, THEIRS),
    "congress": ("congress", OURS),
    "lead-unit": ("bureau", OURS),
    "other-unit": ("bureau", THEIRS),
    "area-chief": ("chief-changan", OURS),
}

READ = """query($id: ID!) { node(id: $id) { ... on Proposal {
  id status version keySupervision replyDue availableActions tasks { id version } } } }"""


async def _housing_staff(gql: Any) -> None:
    """A bureau-staff account of the housing department: the lead unit's staff when housing leads."""
    exists = data(await gql("{ users { username } }", as_user="admin"))
    if any(n["username"] == HOUSING_STAFF for n in exists["users"]):
        return
    created = await gql(
        """mutation($i: CreateUserInput!) { createUser(input: $i) { __typename } }""",
        {
            "i": {
                "username": HOUSING_STAFF,
                "displayName": "市住建局工作人员",
                "password": DEMO_PASSWORD,
                "departmentId": await department(gql, "housing"),
            }
        },
        as_user="admin",
    )
    assert data(created)["createUser"]["__typename"] == "UserPayload", created
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))
    granted = await gql(
        "mutation($i: RoleGrantInput!) { grantRole(input: $i) { __typename } }",
        {
            "i": {
                "username": HOUSING_STAFF,
                "role": "bureau-staff",
                "jurisdictionId": city["jurisdictions"]["nodes"][0]["id"],
            }
        },
        as_user="admin",
    )
    assert data(granted)["grantRole"]["__typename"] == "RoleGrantPayload", granted


async def _read(gql: Any, proposal_id: str, as_user: str) -> dict[str, Any] | None:
    """The proposal as `as_user` sees it; None when it is not visible to them."""
    result = await gql(READ, {"id": proposal_id}, as_user=as_user)
    if error_codes(result) == ["NOT_FOUND"] and result["data"]["node"] is None:
        return None
    return dict(data(result)["node"])


async def _author_view(gql: Any, proposal_id: str) -> dict[str, Any]:
    node = await _read(gql, proposal_id, AUTHOR)
    assert node is not None
    return node


async def _step(
    gql: Any, action: str, p: dict[str, Any], v: Variant, as_user: str, **extra: Any
) -> dict[str, Any]:
    """`action` as `as_user`, which must succeed; the proposal after it."""
    result = await flow.mutate(gql, MUTATIONS[action], await _input(gql, action, p, v, **extra), as_user)
    assert result["__typename"] in ("ProposalPayload", "HandlingTaskPayload"), (action, as_user, result)
    if "task" in result:
        tasks = [t for t in p["tasks"] if t["id"] != result["task"]["id"]]
        return p | result["proposal"] | {"tasks": [*tasks, result["task"]]}
    return p | result["proposal"]


# ---- the states ----------------------------------------------------------------------------------


async def _draft(gql: Any, v: Variant, **overrides: Any) -> dict[str, Any]:
    cosigners = [await flow.deputy_id(gql, "示例代表")] if v.cosigned else []
    p = await flow.draft(gql, as_user=AUTHOR, cosignerIds=cosigners, **overrides)
    return p | {"tasks": [], "variant": v}


async def _submitted(gql: Any, v: Variant) -> dict[str, Any]:
    return await _step(gql, "submit", await _draft(gql, v), v, AUTHOR)


async def _registered(gql: Any, v: Variant) -> dict[str, Any]:
    return await _step(gql, "register", await _submitted(gql, v), v, "congress")


async def _assigned(gql: Any, v: Variant, **extra: Any) -> dict[str, Any]:
    p = await _registered(gql, v)
    return await _step(gql, "assign", p, v, "congress", **extra)


async def _handling(gql: Any, v: Variant) -> dict[str, Any]:
    p = await _step(gql, "plan", await _assigned(gql, v), v, v.handler)
    return await _step(gql, "create_task", p, v, v.handler)


async def _replied(gql: Any, v: Variant) -> dict[str, Any]:
    return await _step(gql, "reply", await _handling(gql, v), v, v.handler)


async def _author_rated(gql: Any, v: Variant) -> dict[str, Any]:
    return await _step(gql, "rate", await _replied(gql, v), v, AUTHOR)


async def _cosigner_rated(gql: Any, v: Variant) -> dict[str, Any]:
    p = await _replied(gql, v)
    return await _step(gql, "rate", p, v, COSIGNER) if v.cosigned else p


async def _closed(gql: Any, v: Variant) -> dict[str, Any]:
    return await _step(gql, "close", await _author_rated(gql, v), v, "congress")


async def _withdrawn(gql: Any, v: Variant) -> dict[str, Any]:
    return await _step(gql, "withdraw", await _submitted(gql, v), v, AUTHOR)


async def _draft_without_summary(gql: Any, v: Variant) -> dict[str, Any]:
    return await _draft(gql, v, summary="")


async def _due_today(gql: Any, v: Variant) -> dict[str, Any]:
    # Led by housing whatever the variant: a bureau-led proposal left due today would turn overdue
    # in other tests that move the clock and count the bureau's overdue replies.
    v = replace(v, lead="housing", co_handling=("market",), handler=HOUSING_STAFF)
    return await _assigned(gql, v, reply_due=_today().isoformat())


STATES: dict[str, Callable[[Any, Variant], Awaitable[dict[str, Any]]]] = {
    "draft": _draft,
    "draft-without-summary": _draft_without_summary,
    "submitted": _submitted,
    "withdrawn": _withdrawn,
    "registered": _registered,
    "assigned": _assigned,
    "assigned-reply-due-today": _due_today,
    "handling": _handling,
    "replied": _replied,
    "replied-rated-by-author": _author_rated,
    "replied-rated-by-cosigner": _cosigner_rated,
    "closed": _closed,
}


def _today() -> date:
    from server import clock

    return clock.today()


# ---- valid input for each action -----------------------------------------------------------------


async def _input(
    gql: Any,
    action: str,
    p: dict[str, Any],
    v: Variant,
    *,
    reply_due: str | None = None,
) -> dict[str, Any]:
    today = _today()
    at = {"id": p["id"], "version": p["version"]}
    if action == "update":
        return at | {"title": "关于驿站便民设施的建议（修改稿）"}
    if action == "assign":
        extra = {"replyDue": reply_due} if reply_due else {}
        return (
            at
            | extra
            | {
                "leadUnitId": await department(gql, v.lead),
                "coHandlingUnitIds": [await department(gql, c) for c in v.co_handling],
            }
        )
    if action == "set_deadline":
        # A day sooner, not tomorrow: other tests move the clock on and count overdue replies.
        current = date.fromisoformat(p["replyDue"]) if p["replyDue"] else today + timedelta(days=2)
        return at | {"due": max(today, current - timedelta(days=1)).isoformat()}
    if action == "extend_deadline":
        current = date.fromisoformat(p["replyDue"]) if p["replyDue"] else today
        return at | {"due": (current + timedelta(days=40)).isoformat(), "reason": "需协调用地"}
    if action == "flag_supervision":
        return at | {"keySupervision": not p["keySupervision"]}
    if action == "plan":
        return at | {"plan": "一、摸排需求；二、分批建设。"}
    if action == "record_opinion":
        return at | {"unitId": await department(gql, v.co_handling[0]), "opinion": "同意牵头单位方案。"}
    if action == "create_task":
        return {
            "proposalId": p["id"],
            "version": p["version"],
            "title": "选址",
            "responsibleUnitId": await department(gql, v.lead),
            "dueOn": (today + timedelta(days=10)).isoformat(),
        }
    if action == "update_task":
        task = p["tasks"][0]
        return {"id": task["id"], "version": task["version"], "progress": 50}
    if action == "contact":
        return at | {"phase": "DURING", "channel": "电话", "summary": "电话沟通办理进度。"}
    if action == "reply":
        return at | {"result": "SOLVED", "body": "已按计划办理完毕。"}
    if action == "rate":
        return at | {"rating": "SATISFIED"}
    return at  # submit, withdraw, register, close


def _attempts(refused: list[str], p: dict[str, Any]) -> list[str]:
    """Actions not offered that can be tried at all: a task update needs a task."""
    return [a for a in refused if a != "update_task" or p["tasks"]]


async def _try_all(
    gql: Any, actions: list[str], p: dict[str, Any], v: Variant, as_user: str
) -> dict[str, Any]:
    """Every action in one request (mutations run one after another): the union member of each."""
    if not actions:
        return {}
    variables, params, fields = {}, [], []
    for i, action in enumerate(actions):
        name = MUTATIONS[action]
        variables[f"i{i}"] = await _input(gql, action, p, v)
        params.append(f"$i{i}: {INPUTS[name]}!")
        fields.append(f"a{i}: {name}(input: $i{i}) {{ __typename {ERRORS} }}")
    query = f"mutation({', '.join(params)}) {{ {' '.join(fields)} }}"
    d = data(await gql(query, variables, as_user=as_user))
    return {action: d[f"a{i}"] for i, action in enumerate(actions)}


CASES = list(itertools.product(STATES, ROLES))


@pytest.mark.parametrize(("state", "role"), CASES, ids=[f"{s}-{r}" for s, r in CASES])
async def test_available_actions_are_the_truth(gql: Any, state: str, role: str) -> None:
    from server.proposals import workflow

    user, variant = ROLES[role]
    await _housing_staff(gql)
    await gql.token(user)  # logged in before counting rows
    p = await STATES[state](gql, variant)
    seen = await _read(gql, p["id"], user)
    offered = seen["availableActions"] if seen else []
    assert len(offered) == len(set(offered)) and set(offered) <= set(workflow.allowed_actions(p["status"]))

    # Not offered: refused with a typed error, nothing written, the proposal as it was.
    refused = [a for a in MUTATIONS if a not in offered]
    before = await row_counts()
    results = await _try_all(gql, _attempts(refused, p), p, p["variant"], user)
    for action, result in results.items():
        assert result["__typename"].endswith("Error"), (action, result)
        assert result["code"], (action, result)
    assert await row_counts() == before, f"a refused action of {role} in {state} changed something"
    after = await _author_view(gql, p["id"])
    assert (after["status"], after["version"]) == (p["status"], p["version"])

    # Offered: each succeeds, the first on this proposal (unchanged so far), the others each on a
    # fresh one in the same state.
    for n, action in enumerate(offered):
        fresh = await STATES[state](gql, variant) if n else p
        assert action in ((await _read(gql, fresh["id"], user)) or {}).get("availableActions", [])
        await _step(gql, action, fresh, fresh["variant"], user)


async def test_the_known_lies_are_gone(gql: Any) -> None:
    """Congress staff is not offered closing before the author has rated the reply; a co-signer
    who has rated is not offered rating again, while the author still is."""
    replied = await _cosigner_rated(gql, OURS)
    assert "close" not in (await _read(gql, replied["id"], "congress") or {})["availableActions"]
    assert "rate" not in (await _read(gql, replied["id"], COSIGNER) or {})["availableActions"]
    assert "rate" in (await _read(gql, replied["id"], AUTHOR) or {})["availableActions"]
    rated = await _step(gql, "rate", replied, OURS, AUTHOR)
    assert "close" in (await _read(gql, rated["id"], "congress") or {})["availableActions"]


def test_every_state_of_the_table_is_generated() -> None:
    from server.enums import ProposalStatus
    from server.proposals import workflow

    reached = {
        ProposalStatus.DRAFT,
        ProposalStatus.SUBMITTED,
        ProposalStatus.WITHDRAWN,
        ProposalStatus.REGISTERED,
        ProposalStatus.ASSIGNED,
        ProposalStatus.HANDLING,
        ProposalStatus.REPLIED,
        ProposalStatus.CLOSED,
    }
    assert {f for f, _a, _t in workflow.TRANSITIONS} <= reached
    assert set(MUTATIONS) == set(workflow.ACTIONS) - workflow.AUTOMATIC
