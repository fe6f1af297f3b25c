"""Concurrent policy edits leave the policy table and the enforcer in agreement."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.helpers import data

ADD = """mutation($i: PolicyLineInput!) { addPolicyLine(input: $i) { __typename } }"""
REMOVE = ADD.replace("addPolicyLine", "removePolicyLine")


async def test_concurrent_adds_and_removes_agree_with_the_table(gql: Any) -> None:
    from server.authz.engine import engine
    from server.authz.models import CasbinRule

    await gql.token("admin")
    lines = [
        {"role": "deputy", "object": obj, "action": act}
        for obj in ("posting", "staff", "handling_task", "department_ticket")
        for act in ("read", "update")
    ]
    lines = [
        line for line in lines if [line["role"], line["object"], line["action"]] not in engine.policy_lines()
    ]
    # each line added twice at once (one must be refused as a duplicate, or land once), then removed
    # twice at once
    adds = await asyncio.gather(*(gql(ADD, {"i": line}, as_user="admin") for line in lines for _ in range(2)))
    kinds = [data(r)["addPolicyLine"]["__typename"] for r in adds]
    assert set(kinds) <= {"PolicyLinePayload", "ValidationError"}

    async def table() -> list[list[str]]:
        rows = await CasbinRule.filter(ptype="p").values_list("v0", "v1", "v2")
        return sorted([list(r) for r in rows])

    await engine.reload()
    assert await table() == sorted(engine.policy_lines())
    for line in lines:
        assert [line["role"], line["object"], line["action"]] in engine.policy_lines()
    removes = await asyncio.gather(
        *(gql(REMOVE, {"i": line}, as_user="admin") for line in lines for _ in range(2))
    )
    assert {data(r)["removePolicyLine"]["__typename"] for r in removes} <= {
        "PolicyLinePayload",
        "NotFoundError",
    }
    await engine.reload()
    assert await table() == sorted(engine.policy_lines())
    for line in lines:
        assert [line["role"], line["object"], line["action"]] not in engine.policy_lines()
