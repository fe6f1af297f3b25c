"""Traces with OpenTelemetry, exported over OTLP (HTTP), only when OTEL_EXPORTER_OTLP_ENDPOINT is set.

Off, nothing of OpenTelemetry is imported and nothing is wrapped: every import is inside the
functions below, which run only when tracing is on. On, a request is traced by the ASGI
middleware (the server span), strawberry's OpenTelemetryExtension (parsing, validation, each
resolver; schema/schema.py adds it) and asyncpg's instrumentation (each statement); every span
carries the request id (`lianxin.request_id`, also in the X-Request-Id response header and every
log line), so a trace, a log line and a user's complaint are found from one another.

The exporter reads the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS, _TIMEOUT,
OTEL_SERVICE_NAME; https://opentelemetry.io/docs/specs/otel/protocol/exporter/). The SDK and the
instrumentations are the `tracing` extra: `pip install 'lianxin[tracing]'`."""

from __future__ import annotations

import os
from typing import Any

from server.logs import current_request_id

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
REQUEST_ID_ATTRIBUTE = "lianxin.request_id"

_provider: Any = None


def enabled() -> bool:
    return bool(os.environ.get(ENDPOINT_ENV))


def setup(exporter: Any = None) -> Any:
    """The tracer provider (made once per process): spans get the request id and go to `exporter`,
    by default OTLP over HTTP in batches. Also instruments asyncpg."""
    global _provider
    if _provider is not None:
        return _provider
    from opentelemetry import trace
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    class RequestIdProcessor(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            request_id = current_request_id.get()
            if request_id != "-":
                span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)

    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "lianxin")})
    )
    provider.add_span_processor(RequestIdProcessor())
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:  # tests: every span at once, in order
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return provider


def asgi_middleware(app: Any) -> Any:
    """The ASGI app wrapped in OpenTelemetry's middleware (a server span per request)."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(app, tracer_provider=setup())


def shutdown() -> None:
    """Send the spans still waiting in the batch (at the server's shutdown)."""
    if _provider is not None:
        _provider.shutdown()
