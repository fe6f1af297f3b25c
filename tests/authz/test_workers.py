"""A policy change made through one server is in force in every worker of every server within a
second: each request compares the database's policy version with its enforcer's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import login, post, serve, stop, wait_ready


@pytest.fixture
def two_servers(database_url: str) -> Iterator[tuple[str, str]]:
    a, base_a = serve(database_url, workers=1)
    b, base_b = serve(database_url, workers=2)
    try:
        wait_ready(base_a, a)
        wait_ready(base_b, b)
        yield base_a, base_b
    finally:
        stop(a, b)


def _post(base: str, query: str, token: str | None = None, variables: dict[str, Any] | None = None) -> Any:
    return post(base, query, token, variables)


def _login(base: str, user: str) -> str:
    return login(base, user)


STAFF = "{ staff { totalCount } }"
LINE = {"role": "community-worker", "object": "staff", "action": "read"}
CHANGE = """mutation($i: PolicyLineInput!) { %s(input: $i) { __typename } }"""


def _codes(result: Any) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors") or []]


def test_policy_change_through_one_server_is_in_force_in_all_workers(two_servers: tuple[str, str]) -> None:
    base_a, base_b = two_servers
    admin = _login(base_a, "admin")
    worker = _login(base_b, "worker-xiagang")
    # Warm every worker of B with the current policy (requests spread over its two processes).
    for _ in range(10):
        assert _codes(_post(base_b, STAFF, worker)) == ["FORBIDDEN"]
    added = _post(base_a, CHANGE % "addPolicyLine", admin, {"i": LINE})
    assert added["data"]["addPolicyLine"]["__typename"] == "PolicyLinePayload"
    try:
        # The very next requests, whichever worker of B takes them, are under the new policy.
        answers = [_post(base_b, STAFF, worker) for _ in range(20)]
        assert all(not a.get("errors") and a["data"]["staff"]["totalCount"] > 0 for a in answers)
    finally:
        removed = _post(base_a, CHANGE % "removePolicyLine", admin, {"i": LINE})
        assert removed["data"]["removePolicyLine"]["__typename"] == "PolicyLinePayload"
    assert all(_codes(_post(base_b, STAFF, worker)) == ["FORBIDDEN"] for _ in range(10))
