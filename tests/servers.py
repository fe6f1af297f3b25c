"""Real `lianxin serve` processes on loopback, for tests that need workers, servers or WebSockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import httpx

from server.settings import settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    database_url: str, workers: int = 1, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`env`: settings for this server only, e.g. {"LIANXIN_API_KEY_REQUESTS_PER_MINUTE": "5"}."""
    port = free_port()
    env = {
        **os.environ,
        "LIANXIN_DATABASE_URL": database_url,
        "LIANXIN_SECRET_KEY": settings.secret_key,
        **(env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "lianxin.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"127.0.0.1:{port}"


def wait_ready(address: str, proc: subprocess.Popen[bytes]) -> None:
    # generous: under `make test` the other pytest processes and the database share the cores
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(f"http://{address}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{address} did not become ready")


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def post(address: str, query: str, token: str | None = None, variables: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"http://{address}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def login(address: str, user: str) -> str:
    result = post(
        address,
        'mutation($u: String!) { login(username: $u, password: "lianxin-demo") '
        "{ ... on LoginSuccess { token } } }",
        variables={"u": user},
    )
    return str(result["data"]["login"]["token"])
