"""Structured logs: one JSON line per GraphQL request (request id, user, operation, duration,
outcome, status), and the request id shared by the response header, the masked error and the
server log."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.logs import JsonFormatter, current_request_id
from server.settings import settings
from tests.servers import free_port


def _access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "lianxin.http"]


async def _post(client: Any, query: str, token: str | None = None, **extra: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, **extra}, headers=headers)


async def test_a_request_is_one_line_with_its_fields(
    client: Any, gql: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = await gql.token("bureau")
    with caplog.at_level(logging.INFO, logger="lianxin.http"):
        response = await _post(client, "query Operating { stations(first: 1) { totalCount } }", token)
    assert response.status_code == 200 and "errors" not in response.json()
    [record] = _access_records(caplog)
    assert record.levelname == "INFO"
    fields = vars(record)
    assert fields["request_id"] == response.headers["x-request-id"]
    assert fields["user"] == "bureau"
    assert fields["operation_type"] == "query" and fields["operation_name"] == "Operating"
    assert isinstance(fields["duration_ms"], float) and 0 < fields["duration_ms"] < 10_000
    assert fields["outcome"] == "ok" and fields["status"] == 200 and fields["error_codes"] == []


async def test_errors_are_an_outcome(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="lianxin.http"):
        anonymous = await _post(client, "{ stations { totalCount } }")
        invalid = await client.post(
            "/graphql", json={"query": "{ nope }"}, headers={"Accept": "application/graphql-response+json"}
        )
        refused = await client.post("/graphql", content=b"{}", headers={"Content-Type": "text/plain"})
    records = _access_records(caplog)
    assert [r.request_id for r in records] == [  # type: ignore[attr-defined]
        r.headers["x-request-id"] for r in (anonymous, invalid, refused)
    ]
    assert [(r.user, r.outcome, r.status, r.error_codes) for r in records] == [  # type: ignore[attr-defined]
        ("anonymous", "errors", 200, ["UNAUTHENTICATED"]),
        ("anonymous", "errors", 400, ["GRAPHQL_ERROR"]),
        ("-", "errors", 415, ["UNSUPPORTED_MEDIA_TYPE"]),
    ]


async def test_an_unexpected_error_has_one_request_id_everywhere(
    client: Any, gql: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from server.geo import service

    def explode(**_: Any) -> Any:
        raise RuntimeError("secret internals")

    token = await gql.token("bureau")
    monkeypatch.setattr(service, "list_jurisdictions", explode)
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO):
            response = await _post(client, "query Towns { jurisdictions { totalCount } }", token)
    finally:
        root.removeHandler(handler)

    request_id = response.headers["x-request-id"]
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    entries = [json.loads(line) for line in lines.getvalue().splitlines()]
    [failure] = [e for e in entries if e["logger"] == "lianxin.graphql"]
    assert failure["level"] == "ERROR" and failure["request_id"] == request_id
    assert "RuntimeError: secret internals" in failure["exception"]
    [access] = [e for e in entries if e["logger"] == "lianxin.http"]
    assert access["request_id"] == request_id and access["outcome"] == "exception"
    assert access["user"] == "bureau" and access["operation_name"] == "Towns" and access["status"] == 200


def test_the_formatter_writes_one_json_object_per_line() -> None:
    formatter = JsonFormatter()
    token = current_request_id.set("abc123")
    try:
        try:
            raise ValueError("line one\nline two")
        except ValueError:
            record = logging.getLogger("lianxin.test").makeRecord(
                "lianxin.test",
                logging.ERROR,
                __file__,
                1,
                "failed: %s",
                ("站点",),
                sys.exc_info(),
                extra={"duration_ms": 1.5},
            )
        line = formatter.format(record)
    finally:
        current_request_id.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert (
        entry["message"] == "failed: 站点" and entry["level"] == "ERROR" and entry["logger"] == "lianxin.test"
    )
    assert entry["request_id"] == "abc123" and entry["duration_ms"] == 1.5
    assert entry["time"].endswith("+00:00") and "ValueError: line one" in entry["exception"]


@pytest.fixture
def server_log(database_url: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {**os.environ, "LIANXIN_DATABASE_URL": database_url, "LIANXIN_SECRET_KEY": settings.secret_key}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lianxin.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, "server exited"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield f"127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_lianxin_serve_logs_json(server_log: tuple[str, subprocess.Popen[str]]) -> None:
    address, proc = server_log
    response = httpx.post(
        f"http://{address}/graphql", json={"query": "query Ping { __typename }"}, timeout=10
    )
    assert response.status_code == 200
    proc.terminate()
    _, stderr = proc.communicate(timeout=15)
    entries = [json.loads(line) for line in stderr.splitlines() if line.strip()]  # every line is JSON
    assert any(e["logger"].startswith("uvicorn") for e in entries)
    [access] = [e for e in entries if e["logger"] == "lianxin.http"]
    assert access["request_id"] == response.headers["x-request-id"]
    assert {"time", "level", "user", "operation_name", "duration_ms", "outcome", "status"} <= set(access)
    assert (access["operation_name"], access["outcome"], access["status"]) == ("Ping", "ok", 200)
