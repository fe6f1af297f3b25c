"""Receivers the notification tests start on 127.0.0.1 (a webhook endpoint, an SMS gateway), the
app's clock moved by the test, and settings for the test."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.helpers import data

SUBSCRIBE = """mutation($i: WebhookSubscriptionInput!) { createWebhookSubscription(input: $i) {
  __typename
  ... on CreateWebhookSubscriptionPayload { secret subscription { id version enabled eventTypes
        jurisdictionCode targetUrl owner } }
  ... on ValidationError { code fields { field code } }
  ... on ForbiddenError { code } } }"""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A tiny HTTP/1.1 server: records each POST and answers with `status`. Stopped and started
    again on the same port, as a receiver that goes away for a while."""

    status: int = 200
    port: int = 0
    received: list[Received] = field(default_factory=list)
    _server: asyncio.Server | None = None

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await reader.readline()
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(Received(request_line.decode().split(" ")[1], headers, body))
            writer.write(
                f"HTTP/1.1 {self.status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        finally:
            writer.close()


class Clock:
    """server.clock.now, moved by the test: `at` a moment, or `advance`d from where it is."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self.value = start
        monkeypatch.setattr("server.clock.now", lambda: self.value)

    def advance(self, **delta: float) -> None:
        self.value += timedelta(**delta)


def configure(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    """Settings for this test: private targets allowed (the receivers are on 127.0.0.1)."""
    from server.settings import settings

    changed = dataclasses.replace(settings, webhook_allow_private_targets=True, **changes)
    monkeypatch.setattr("server.settings.settings", changed)


async def subscribe(
    gql: Any, url: str, event_types: list[str], as_user: str = "admin", **extra: Any
) -> dict[str, Any]:
    result = data(
        await gql(
            SUBSCRIBE,
            {"i": {"name": "test receiver", "targetUrl": url, "eventTypes": event_types, **extra}},
            as_user=as_user,
        )
    )["createWebhookSubscription"]
    return dict(result)


async def work() -> tuple[int, int, int]:
    """One pass of the notification work, as a runner does at each poll."""
    from server.notifications.delivery import run_once

    return await run_once("test-runner")
