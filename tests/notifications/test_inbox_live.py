"""The notificationAdded subscription: a deputy's open socket hears the new inbox entry."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from tests.notifications.helpers import work
from tests.proposals import flow
from tests.servers import login, serve, stop, wait_ready

SUBSCRIBE = "subscription { notificationAdded { kind title objectId } }"


async def test_a_new_notification_reaches_the_open_subscription(gql: Any, database_url: str) -> None:
    server, address = serve(database_url)
    try:
        wait_ready(address, server)
        token = login(address, "deputy")
        async with websockets.connect(
            f"ws://{address}/graphql",
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            additional_headers={"Authorization": f"Bearer {token}"},
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
            proposal = await flow.assigned(gql)
            await work()
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
    finally:
        stop(server)
    assert message["type"] == "next", message
    added = message["payload"]["data"]["notificationAdded"]
    assert added == {
        "kind": "proposal_assign",
        "title": f"建议{proposal['number']}已交办",
        "objectId": proposal["id"],
    }
