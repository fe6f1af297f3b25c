"""A policy change made through one server is in force in every worker of every server within a
second: each request compares the database's policy version with its enforcer's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.settings import settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(database_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "LIANXIN_DATABASE_URL": database_url, "LIANXIN_SECRET_KEY": settings.secret_key}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}"


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not become ready")


@pytest.fixture
def two_servers(database_url: str) -> Iterator[tuple[str, str]]:
    a, base_a = _serve(database_url, workers=1)
    b, base_b = _serve(database_url, workers=2)
    try:
        _wait_ready(base_a, a)
        _wait_ready(base_b, b)
        yield base_a, base_b
    finally:
        for proc in (a, b):
            proc.terminate()
        for proc in (a, b):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _post(base: str, query: str, token: str | None = None, variables: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        base + "/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def _login(base: str, user: str) -> str:
    result = _post(
        base,
        'mutation($u: String!) { login(username: $u, password: "lianxin-demo") '
        "{ ... on LoginSuccess { token } } }",
        variables={"u": user},
    )
    return str(result["data"]["login"]["token"])


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
    changed_at = time.monotonic()
    try:
        answers = [_post(base_b, STAFF, worker) for _ in range(20)]
        elapsed = time.monotonic() - changed_at
        assert all(not a.get("errors") and a["data"]["staff"]["totalCount"] > 0 for a in answers)
        assert elapsed < 5  # twenty requests, every one already under the new policy
    finally:
        removed = _post(base_a, CHANGE % "removePolicyLine", admin, {"i": LINE})
        assert removed["data"]["removePolicyLine"]["__typename"] == "PolicyLinePayload"
    assert all(_codes(_post(base_b, STAFF, worker)) == ["FORBIDDEN"] for _ in range(10))
