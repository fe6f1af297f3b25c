"""Live ticket events over graphql-transport-ws, filtered by the subscriber's authorization.

On PostgreSQL the subscribers sit on one server and the changes are made through another: the
events cross servers by LISTEN/NOTIFY. On SQLite (one process by design) both sit on one server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets

from tests.conftest import TEST_DB
from tests.servers import login, post, serve, stop, wait_ready

SUBSCRIBE = "subscription { ticketEvents { ticketId number action fromStatus toStatus actor at } }"


@pytest.fixture
def servers(database_url: str) -> Iterator[tuple[str, str]]:
    a, addr_a = serve(database_url)
    procs = [a]
    addr_b = addr_a
    try:
        wait_ready(addr_a, a)
        if TEST_DB == "postgres":
            b, addr_b = serve(database_url)
            procs.append(b)
            wait_ready(addr_b, b)
        yield addr_a, addr_b
    finally:
        stop(*procs)


class Subscriber:
    def __init__(self, address: str, token: str, in_payload: bool) -> None:
        self.address, self.token, self.in_payload = address, token, in_payload
        self.ws: Any = None

    async def __aenter__(self) -> Subscriber:
        headers = {} if self.in_payload else {"Authorization": f"Bearer {self.token}"}
        self.ws = await websockets.connect(
            f"ws://{self.address}/graphql", subprotocols=["graphql-transport-ws"], additional_headers=headers
        )
        payload = {"Authorization": f"Bearer {self.token}"} if self.in_payload else {}
        await self.ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await self.ws.recv())["type"] == "connection_ack"
        await self.ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def next_event(self, timeout: float = 10) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message
        return dict(message["payload"]["data"]["ticketEvents"])


def _ids(address: str, token: str) -> dict[str, str]:
    d = post(
        address,
        """{ x: stations(filter: {search: "长安镇厦岗社区城市服务驿站"}) { nodes { id } }
        s: stations(filter: {search: "沙头"}) { nodes { id name } }
        c: ticketCategories { id code }
        chief: staff(filter: {search: "长安镇城管片长"}) { nodes { id } } }""",
        token,
    )["data"]
    return {
        "xiagang": d["x"]["nodes"][0]["id"],
        "shatou": d["s"]["nodes"][0]["id"],
        "category": next(c["id"] for c in d["c"] if c["code"] == "occupying_road"),
        "chief": d["chief"]["nodes"][0]["id"],
    }


REGISTER = """mutation($i: RegisterTicketInput!) { registerTicket(input: $i) {
  ... on RegisterTicketPayload { ticket { id number version } } } }"""


def _register(address: str, token: str, station: str, category: str) -> dict[str, Any]:
    result = post(
        address,
        REGISTER,
        token,
        {
            "i": {
                "source": "WALK_IN",
                "categoryId": category,
                "stationId": station,
                "description": "实时推送测试 (live update test)",
            }
        },
    )
    return dict(result["data"]["registerTicket"]["ticket"])


def _step(
    address: str, token: str, mutation: str, args: str, t: dict[str, Any], extra: dict[str, Any]
) -> int:
    types = "".join(f", ${k}: {v[1]}" for k, v in extra.items())
    query = (
        f"mutation($t: TicketVersion!{types}) {{ {mutation}(ticket: $t{args}) "
        "{ ... on TicketPayload { ticket { version } } } }"
    )
    variables = {"t": {"id": t["id"], "version": t["version"]}, **{k: v[0] for k, v in extra.items()}}
    result = post(address, query, token, variables)
    return int(result["data"][mutation]["ticket"]["version"])


async def test_subscribers_get_exactly_the_events_they_may_see(servers: tuple[str, str]) -> None:
    writer, reader = servers
    tokens = {u: login(writer, u) for u in ("worker-xiagang", "worker-shatou", "chief-changan")}
    refs = _ids(writer, tokens["chief-changan"])
    async with (
        Subscriber(reader, tokens["worker-xiagang"], in_payload=False) as xiagang,
        Subscriber(reader, tokens["worker-shatou"], in_payload=True) as shatou,
    ):
        await asyncio.sleep(1.0)  # both subscriptions (and the LISTEN connection) are in place
        t = _register(writer, tokens["worker-xiagang"], refs["xiagang"], refs["category"])
        chief = tokens["chief-changan"]
        t["version"] = _step(
            writer, chief, "dispatchTicket", ", assigneeId: $a", t, {"a": (refs["chief"], "ID!")}
        )
        t["version"] = _step(writer, chief, "markTicketOnSite", "", t, {})
        t["version"] = _step(
            writer, chief, "resolveTicket", ", method: SERVICE, note: $n", t, {"n": ("劝导", "String!")}
        )
        _step(writer, tokens["worker-xiagang"], "recordCitizenFeedback", ", satisfied: true", t, {})
        seen = [await xiagang.next_event() for _ in range(5)]
        assert [e["action"] for e in seen] == ["register", "dispatch", "arrive", "resolve", "close"]
        assert {e["number"] for e in seen} == {t["number"]}
        # A Shatou ticket comes after all of those: if it is the first thing worker-shatou hears,
        # it heard none of the Xiagang ticket's events.
        sentinel = _register(writer, tokens["worker-shatou"], refs["shatou"], refs["category"])
        first = await shatou.next_event()
        assert first["number"] == sentinel["number"] and first["action"] == "register"


async def test_a_connection_without_credentials_is_refused(servers: tuple[str, str]) -> None:
    """Every subscription needs a caller: graphql-transport-ws closes with 4403 Forbidden at
    connection_init (more cases in test_subscription_sessions.py)."""
    _, reader = servers
    async with websockets.connect(f"ws://{reader}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 4403 and (ws.close_reason or "").startswith("Forbidden"), ws.close_reason
