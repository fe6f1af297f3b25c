"""Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, a GraphQL request makes a server span (ASGI),
strawberry's spans and, on PostgreSQL, a span per statement (asyncpg), each carrying the request
id of the X-Request-Id header. Here the spans go to OpenTelemetry's in-memory exporter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from server import tracing
from tests.conftest import TEST_DB


@pytest.fixture
async def traced(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Any, InMemorySpanExporter]]:
    import lianxin.app
    from schema.schema import build_schema

    monkeypatch.setenv(tracing.ENDPOINT_ENV, "http://127.0.0.1:4318")  # never reached: in-memory
    exporter = InMemorySpanExporter()
    monkeypatch.setattr(tracing, "_provider", None)
    tracing.setup(exporter)
    monkeypatch.setattr(lianxin.app, "schema", build_schema())  # with strawberry's extension
    traced_app = lianxin.app.create_app(manage_database=False)
    transport = httpx.ASGITransport(app=traced_app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, exporter
    finally:
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor().uninstrument()


async def test_a_request_is_traced_with_its_request_id(
    traced: tuple[Any, InMemorySpanExporter], gql: Any
) -> None:
    client, exporter = traced
    token = await gql.token("bureau")
    exporter.clear()
    response = await client.post(
        "/graphql",
        json={"query": "query TracedStations { stations(first: 2) { totalCount nodes { name } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and not response.json().get("errors")
    request_id = response.headers["x-request-id"]
    spans = exporter.get_finished_spans()
    names = [span.name for span in spans]
    assert any(name.startswith("POST /graphql") for name in names), names  # the ASGI server span
    assert any("GraphQL" in name for name in names), names  # strawberry's operation span
    if TEST_DB == "postgres":
        assert any(span.attributes.get("db.system") == "postgresql" for span in spans), names
    assert all(span.attributes.get(tracing.REQUEST_ID_ATTRIBUTE) == request_id for span in spans), [
        (span.name, span.attributes.get(tracing.REQUEST_ID_ATTRIBUTE)) for span in spans
    ]
    # one trace: every span descends from the server span
    assert len({span.context.trace_id for span in spans}) == 1


def test_off_imports_nothing_of_opentelemetry() -> None:
    """Without the endpoint the server neither imports nor wraps anything of OpenTelemetry."""
    import subprocess
    import sys

    code = (
        "import os, sys; os.environ.pop('OTEL_EXPORTER_OTLP_ENDPOINT', None)\n"
        "import lianxin.app; lianxin.app.create_app()\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert answer.stdout.strip() == "[]"
