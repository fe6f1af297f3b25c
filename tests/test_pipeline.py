"""The request pipeline (server/pipeline.py): every entry point goes through it, and a data-sharing
key's rate limit and use log are the same whichever interface, worker or server it uses."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import httpx
import pytest
import websockets
from starlette.routing import Mount

from tests.helpers import city_api_key, data
from tests.servers import serve, stop, wait_ready

# Windows start at multiples of their length: the current window of 10⁹ seconds began in 2001 and
# lasts beyond the test, so no window ends half-way through it.
ONE_WINDOW = 10**9
UNPIPED = {"/healthz", "/readyz", "/metrics"}  # probes and Prometheus: no caller, no personal data


async def _key(gql: Any, scopes: list[str]) -> tuple[str, str]:
    return await city_api_key(gql, scopes, "pipeline test")


async def _uses(gql: Any, prefix: str) -> list[tuple[str, str, bool]]:
    nodes = data(
        await gql(
            "query($p: String) { apiKeyUses(prefix: $p, first: 100) {"
            " nodes { interface operation allowed } } }",
            {"p": prefix},
            as_user="admin",
        )
    )["apiKeyUses"]["nodes"]
    return [(n["interface"], n["operation"], n["allowed"]) for n in reversed(nodes)]  # oldest first


def _limit(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    from server import pipeline

    monkeypatch.setattr(
        pipeline,
        "settings",
        dataclasses.replace(
            pipeline.settings, api_key_requests_per_minute=n, rate_limit_window_seconds=ONE_WINDOW
        ),
    )


def _routes(routes: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += _routes(route.routes, prefix + route.path)
        else:
            found.append((prefix + route.path, route))
    return found


def test_every_endpoint_is_served_through_the_pipeline(app: Any) -> None:
    from server.pipeline import served_through_pipeline

    routes = _routes(app.routes)
    assert {"/graphql", "/export/stations.csv", "/open311/v2/requests.json"} <= {p for p, _ in routes}
    skipping = sorted(
        path for path, route in routes if path not in UNPIPED and not served_through_pipeline(route)
    )
    assert skipping == [], f"declare these through server.pipeline.route: {skipping}"


async def test_csv_over_the_limit_is_429_with_retry_after_and_every_request_is_logged(
    client: Any, gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, prefix = await _key(gql, ["station", "stats"])
    _limit(monkeypatch, 3)
    answers = [await client.get("/export/stations.csv", headers={"X-Api-Key": key}) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[-1]
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= ONE_WINDOW
    assert await _uses(gql, prefix) == [
        ("csv", "GET /export/stations.csv", ok) for ok in [True] * 3 + [False] * 2
    ]


async def test_one_limit_across_interfaces_open311_answers_429_in_its_format(
    client: Any, gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, prefix = await _key(gql, ["ticket", "station"])
    _limit(monkeypatch, 2)
    first = await client.get("/open311/v2/requests.json", params={"api_key": key})
    second = await client.get("/export/stations.csv", headers={"Authorization": f"Bearer {key}"})
    third = await client.get("/open311/v2/requests.json", params={"api_key": key})
    over_graphql = await gql("{ stations { totalCount } }", token=key)
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert third.json() == [{"code": 429, "description": third.json()[0]["description"]}]
    assert "retry-after" in third.headers
    assert [e["extensions"]["code"] for e in over_graphql["errors"]] == ["RATE_LIMITED"]
    assert [(i, ok) for i, _, ok in await _uses(gql, prefix)] == [
        ("open311", True),
        ("csv", True),
        ("open311", False),
        ("graphql", False),
    ]


async def test_the_limit_is_shared_by_workers_and_servers(
    database_url: str, client: Any, gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key limited to 5 requests gets exactly 5 through, although its 12 requests alternate
    between a real `lianxin serve --workers 2` and the application in this test's process, on the
    same database (counted per process, 10 or more would get through)."""
    key, prefix = await _key(gql, ["station"])
    _limit(monkeypatch, 5)
    env = {"LIANXIN_API_KEY_REQUESTS_PER_MINUTE": "5", "LIANXIN_RATE_LIMIT_WINDOW_SECONDS": str(ONE_WINDOW)}
    server, address = serve(database_url, workers=2, env=env)
    statuses = []
    try:
        wait_ready(address, server)
        for i in range(12):
            if i % 2:
                response = await client.get("/export/stations.csv", headers={"X-Api-Key": key})
            else:
                # a new connection each time, so that either worker may take it
                async with httpx.AsyncClient(timeout=10) as http:
                    response = await http.get(
                        f"http://{address}/export/stations.csv", headers={"X-Api-Key": key}
                    )
            statuses.append(response.status_code)
    finally:
        stop(server)
    assert statuses.count(200) == 5 and statuses.count(429) == 7, statuses
    uses = await _uses(gql, prefix)
    assert len(uses) == 12 and [ok for _, _, ok in uses].count(True) == 5


async def test_websocket_operations_count_against_the_key_and_are_logged(database_url: str, gql: Any) -> None:
    """A key sent in connection_init: each subscription is one request under the key's limit."""
    key, prefix = await _key(gql, ["ticket"])
    env = {"LIANXIN_API_KEY_REQUESTS_PER_MINUTE": "1", "LIANXIN_RATE_LIMIT_WINDOW_SECONDS": str(ONE_WINDOW)}
    server, address = serve(database_url, env=env)
    try:
        wait_ready(address, server)
        async with websockets.connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"X-Api-Key": key}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            for n in ("1", "2"):
                subscribe = {"query": "subscription { ticketEvents { number } }"}
                await ws.send(json.dumps({"id": n, "type": "subscribe", "payload": subscribe}))
            refused = json.loads(await asyncio.wait_for(ws.recv(), 10))
    finally:
        stop(server)
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["RATE_LIMITED"]
    uses = await _uses(gql, prefix)  # the two subscriptions may be admitted in either order
    assert sorted(uses) == [("websocket", "ticketEvents", False), ("websocket", "ticketEvents", True)]
