"""Open subscriptions are held to their caller's session, and a slow subscriber harms no one else
(issue "Security, round two", findings 3 and 4).

A real `lianxin serve` over graphql-transport-ws. Close codes (schema/websocket.py): 4403 Forbidden
when connection_init brings no valid credentials and when the session ends while the socket is
open (logout, deactivation, token expiry, key revocation); 1013 when a subscriber fell
LIANXIN_SUBSCRIPTION_QUEUE_SIZE events behind and was dropped. The measured times are printed
(`pytest -s`); the only bound asserted is a generous 10 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from server.settings import settings
from tests.servers import login, post, serve, stop, wait_ready

QUEUE_SIZE = 2
SUBSCRIBE = "subscription { ticketEvents { number action } }"
FORBIDDEN, TRY_AGAIN_LATER, NOT_ACCEPTABLE = 4403, 1013, 4406
SUBSCRIPTIONS_ONLY = (
    "Queries and mutations are served over HTTP POST at /graphql; this WebSocket serves subscriptions only."
)
GRANT = "mutation($i: RoleGrantInput!) { grantRole(input: $i) { __typename } }"


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    proc, address = serve(database_url, env={"LIANXIN_SUBSCRIPTION_QUEUE_SIZE": str(QUEUE_SIZE)})
    try:
        wait_ready(address, proc)
        yield address
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def refs(server: str) -> dict[str, str]:
    d = post(
        server,
        """{ x: stations(filter: {search: "长安镇厦岗社区城市服务驿站"}) { nodes { id } }
        c: ticketCategories { id code } city: jurisdictions(filter: {level: CITY}) { nodes { id } } }""",
        login(server, "bureau"),
    )["data"]
    return {
        "xiagang": d["x"]["nodes"][0]["id"],
        "category": next(c["id"] for c in d["c"] if c["code"] == "occupying_road"),
        "city": d["city"]["nodes"][0]["id"],
    }


def register(address: str, token: str, refs: dict[str, str]) -> str:
    result = post(
        address,
        """mutation($i: RegisterTicketInput!) { registerTicket(input: $i) {
          __typename ... on RegisterTicketPayload { ticket { number } } } }""",
        token,
        {
            "i": {
                "source": "WALK_IN",
                "categoryId": refs["category"],
                "stationId": refs["xiagang"],
                "description": "实时推送会话测试 (live session test)",
            }
        },
    )
    assert not result.get("errors"), result
    assert result["data"]["registerTicket"]["__typename"] == "RegisterTicketPayload", result
    return str(result["data"]["registerTicket"]["ticket"]["number"])


def mutate(address: str, token: str | None, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = post(address, query, token, variables)
    assert not result.get("errors"), result
    return result["data"]


async def open_socket(address: str, payload: dict[str, str], headers: dict[str, str] | None = None) -> Any:
    ws = await websockets.connect(
        f"ws://{address}/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        additional_headers=headers or {},
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    return ws


async def subscribe(address: str, credentials: dict[str, str], *, in_header: bool = False) -> Any:
    """A socket with a ticketEvents subscription, credentials in connection_init or the upgrade."""
    ws = await open_socket(address, {} if in_header else credentials, credentials if in_header else None)
    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ack["type"] == "connection_ack", ack
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return ws


async def next_event(ws: Any) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "next" and not message["payload"].get("errors"), message
    return dict(message["payload"]["data"]["ticketEvents"])


async def until_closed(ws: Any, timeout: float = 10) -> tuple[int | None, str, list[dict[str, Any]]]:
    """Reads until the server closes the socket: (close code, reason, messages read before)."""
    messages: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                messages.append(json.loads(await ws.recv()))
    except websockets.ConnectionClosed:
        return ws.close_code, ws.close_reason or "", messages
    except TimeoutError:
        await ws.close()
        pytest.fail(f"the socket is still open after {timeout} s; read {messages}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def with_exp(token: str, exp: int) -> str:
    """The same session, signed with another expiry (as the server would have signed it)."""
    claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"])
    return jwt.encode({**claims, "exp": exp}, settings.secret_key, algorithm="HS256")


async def test_logout_closes_an_open_subscription(server: str, refs: dict[str, str]) -> None:
    token, desk = login(server, "worker-xiagang"), login(server, "worker-xiagang")
    ws = await subscribe(server, bearer(token))
    await asyncio.sleep(0.5)  # the subscription is in place
    first = register(server, desk, refs)
    assert (await next_event(ws))["number"] == first
    started = time.monotonic()
    assert mutate(server, token, "mutation { logout { ok } }")["logout"]["ok"]
    after = register(server, desk, refs)  # an event the ended session must not hear of
    code, reason, messages = await until_closed(ws)
    elapsed = time.monotonic() - started
    print(f"\nlogout → closed socket: {elapsed:.2f} s")
    assert code == FORBIDDEN and "logged out" in reason, (code, reason)
    assert not [m for m in messages if after in json.dumps(m)], messages
    assert elapsed < 10


async def test_deactivating_the_user_closes_its_subscription(server: str, refs: dict[str, str]) -> None:
    admin = login(server, "admin")
    username, password = f"live-{uuid.uuid4().hex[:8]}", "live-subscription-test-1"
    created = mutate(
        server,
        admin,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { __typename } }",
        {"i": {"username": username, "displayName": "实时推送测试", "password": password}},
    )
    assert created["createUser"]["__typename"] == "UserPayload", created
    granted = mutate(
        server,
        admin,
        "mutation($i: RoleGrantInput!) { grantRole(input: $i) { __typename } }",
        {"i": {"username": username, "role": "bureau-staff", "jurisdictionId": refs["city"]}},
    )
    assert granted["grantRole"]["__typename"] == "RoleGrantPayload", granted
    token = mutate(
        server,
        None,
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) {"
        " ... on LoginSuccess { token } } }",
        {"u": username, "p": password},
    )["login"]["token"]
    ws = await subscribe(server, bearer(token), in_header=True)
    await asyncio.sleep(0.5)
    number = register(server, login(server, "worker-xiagang"), refs)
    assert (await next_event(ws))["number"] == number
    started = time.monotonic()
    deactivated = mutate(
        server,
        admin,
        "mutation($u: String!) { setUserActive(username: $u, active: false) { __typename } }",
        {"u": username},
    )
    assert deactivated["setUserActive"]["__typename"] == "UserPayload", deactivated
    code, reason, _ = await until_closed(ws)
    print(f"\nsetUserActive(false) → closed socket: {time.monotonic() - started:.2f} s")
    # deactivation also ends the user's sessions: either reason may be the one seen first
    assert code == FORBIDDEN and ("deactivated" in reason or "ended" in reason), (code, reason)


async def test_the_token_expiring_closes_the_subscription(server: str) -> None:
    session = login(server, "worker-xiagang")  # first: on a busy machine a login takes seconds
    exp = int(time.time()) + 3
    token = with_exp(session, exp)
    ws = await subscribe(server, bearer(token))
    code, reason, _ = await until_closed(ws)
    print(f"\ntoken exp → closed socket: {time.time() - exp:+.2f} s")
    assert code == FORBIDDEN and "expired" in reason, (code, reason)
    assert time.time() >= exp - 1  # not closed long before its time


async def test_revoking_a_data_sharing_key_closes_its_subscription(server: str, refs: dict[str, str]) -> None:
    admin = login(server, "admin")
    created = mutate(
        server,
        admin,
        """mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) {
          ... on ApiKeyCreated { key apiKey { prefix } } } }""",
        {"i": {"name": "实时推送测试", "scopes": ["ticket"], "jurisdictionId": refs["city"]}},
    )["createApiKey"]
    ws = await subscribe(server, {"X-Api-Key": created["key"]})
    await asyncio.sleep(0.5)
    number = register(server, login(server, "worker-xiagang"), refs)
    assert (await next_event(ws))["number"] == number
    started = time.monotonic()
    mutate(
        server,
        admin,
        "mutation($p: String!) { revokeApiKey(prefix: $p) { __typename } }",
        {"p": created["apiKey"]["prefix"]},
    )
    code, reason, _ = await until_closed(ws)
    print(f"\nrevokeApiKey → closed socket: {time.monotonic() - started:.2f} s")
    assert code == FORBIDDEN and "revoked" in reason, (code, reason)


@pytest.mark.parametrize(
    "credentials", ["none", "garbage token", "expired token", "logged-out token", "unknown key", "bad header"]
)
async def test_connection_init_without_valid_credentials_closes_with_4403(
    server: str, credentials: str
) -> None:
    payload: dict[str, str] = {}
    headers: dict[str, str] = {}
    if credentials == "garbage token":
        payload = bearer("not-a-token")
    elif credentials == "expired token":
        payload = bearer(with_exp(login(server, "worker-xiagang"), int(time.time()) - 10))
    elif credentials == "logged-out token":
        token = login(server, "worker-xiagang")
        mutate(server, token, "mutation { logout { ok } }")
        payload = bearer(token)
    elif credentials == "unknown key":
        payload = {"X-Api-Key": "lxk_00000000_not-a-key"}
    elif credentials == "bad header":
        headers = bearer("not-a-token")
    ws = await open_socket(server, payload, headers)
    code, reason, messages = await until_closed(ws)
    assert code == FORBIDDEN and reason.startswith("Forbidden"), (code, reason)
    assert messages == []  # never acknowledged


class SilentClient:
    """A graphql-transport-ws client that reads nothing until told to. Its tiny receive buffer and
    maximum segment size keep the server's socket buffers small too, so a few hundred kilobytes
    unread make the server's sends wait, as they would for a stalled desk on a bad network."""

    def __init__(self, address: str, token: str) -> None:
        host, port = address.split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
        self.sock.settimeout(10)
        self.sock.connect((host, int(port)))
        self.protocol = ClientProtocol(
            parse_uri(f"ws://{address}/graphql"), subprotocols=[Subprotocol("graphql-transport-ws")]
        )
        self.protocol.send_request(self.protocol.connect())
        self.events: list[Any] = []
        self._flush()
        while not isinstance(self._next(), Response):
            pass
        self.send({"type": "connection_init", "payload": bearer(token)})
        assert json.loads(self._next().data)["type"] == "connection_ack"

    def send(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self._flush()

    def until_closed(self) -> tuple[int, str, int]:
        """Reads everything the server sent: (close code, reason, messages before the close)."""
        read = 0
        while True:
            event = self._next()
            if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
                close = Close.parse(event.data)
                self.sock.close()
                return close.code, close.reason, read
            read += 1

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def _next(self) -> Any:
        while not self.events:
            data = self.sock.recv(65536)
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            self.events += self.protocol.events_received()
            self._flush()
            if not data and not self.events:
                raise EOFError("the server closed the connection without a close frame")
        return self.events.pop(0)


async def test_a_slow_subscriber_is_dropped_without_failing_mutations_or_starving_others(
    server: str, refs: dict[str, str]
) -> None:
    chief, worker = login(server, "chief-changan"), login(server, "worker-xiagang")
    # Ten subscriptions of fifty fields each: about 15 kB per event that the slow client never reads.
    wide = "subscription { ticketEvents { " + " ".join(f"a{i}: at" for i in range(50)) + " } }"
    slow = SilentClient(server, chief)
    for i in range(10):
        slow.send({"id": str(i), "type": "subscribe", "payload": {"query": wide}})
    fast = await subscribe(server, bearer(worker))
    await asyncio.sleep(0.5)
    for _ in range(12):
        number = register(server, worker, refs)  # asserts the mutation's own answer: no error
        assert (await next_event(fast))["number"] == number  # the other subscriber hears every event
    code, reason, read = slow.until_closed()
    print(f"\nslow subscriber: closed with {code} {reason!r} after {read} messages")
    assert code == TRY_AGAIN_LATER and reason == "subscriber too slow: events dropped; resubscribe"
    # the fast subscriber is still served
    number = register(server, worker, refs)
    assert (await next_event(fast))["number"] == number
    await fast.close()


async def test_the_legacy_graphql_ws_protocol_is_refused_at_the_handshake(server: str) -> None:
    """Only graphql-transport-ws holds a subscription to its session, so it is the only subprotocol
    spoken: a graphql-ws client is closed with 4406 before anything is acknowledged."""
    token = login(server, "worker-xiagang")
    ws = await websockets.connect(f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-ws")])
    assert ws.subprotocol is None  # the server picked none of the offered subprotocols
    with contextlib.suppress(websockets.ConnectionClosed):
        await ws.send(json.dumps({"type": "connection_init", "payload": bearer(token)}))
    code, reason, messages = await until_closed(ws)
    assert (code, reason) == (NOT_ACCEPTABLE, "Subprotocol not acceptable"), (code, reason)
    assert messages == []  # never acknowledged


async def ack(ws: Any) -> None:
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "connection_ack", message


async def answer(ws: Any, operation_id: str) -> dict[str, Any]:
    """The next message for `operation_id` (skipping other operations' messages)."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message.get("id") == operation_id:
            return dict(message)


def station_ticket_count(address: str, refs: dict[str, str]) -> int:
    data = mutate(
        address,
        login(address, "bureau"),
        "query($s: ID!) { tickets(filter: {stationId: $s}) { totalCount } }",
        {"s": refs["xiagang"]},
    )
    return int(data["tickets"]["totalCount"])


async def test_queries_and_mutations_over_the_socket_are_refused_and_run_nothing(
    server: str, refs: dict[str, str]
) -> None:
    """Queries and mutations go over HTTP, where every request is identified, rate-limited and
    logged; the WebSocket serves subscriptions only."""
    token = login(server, "worker-xiagang")
    before = station_ticket_count(server, refs)
    ws = await open_socket(server, bearer(token))
    await ack(ws)
    operations = {
        "q": {"query": "{ tickets(first: 3) { totalCount nodes { number reporterPhone } } }"},
        "m": {
            "query": """mutation($i: RegisterTicketInput!) { registerTicket(input: $i) {
              __typename ... on RegisterTicketPayload { ticket { number } } } }""",
            "variables": {
                "i": {
                    "source": "WALK_IN",
                    "categoryId": refs["category"],
                    "stationId": refs["xiagang"],
                    "description": "经 WebSocket 提交的工单 (a mutation over the socket)",
                }
            },
        },
    }
    for operation_id, payload in operations.items():
        await ws.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))
        message = await answer(ws, operation_id)
        assert message["type"] == "error", message
        (error,) = message["payload"]
        assert error["extensions"]["code"] == "BAD_REQUEST", message
        assert error["message"] == SUBSCRIPTIONS_ONLY, message
    # the connection stays open and still serves subscriptions
    await ws.send(json.dumps({"id": "s", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    await asyncio.sleep(0.5)  # the subscription is in place
    number = register(server, token, refs)
    assert (await next_event(ws))["number"] == number
    await ws.close()
    assert station_ticket_count(server, refs) == before + 1  # the one registered over HTTP


async def test_a_revoked_role_stops_events_and_refuses_new_subscriptions(
    server: str, refs: dict[str, str]
) -> None:
    admin = login(server, "admin")
    username, password = f"revoke-{uuid.uuid4().hex[:8]}", "live-subscription-test-2"
    grant = {"username": username, "role": "bureau-staff", "jurisdictionId": refs["city"]}
    mutate(
        server,
        admin,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { __typename } }",
        {"i": {"username": username, "displayName": "撤销角色测试", "password": password}},
    )
    granted = mutate(server, admin, GRANT, {"i": grant})
    assert granted["grantRole"]["__typename"] == "RoleGrantPayload", granted
    token = mutate(
        server,
        None,
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) {"
        " ... on LoginSuccess { token } } }",
        {"u": username, "p": password},
    )["login"]["token"]
    desk = login(server, "worker-xiagang")
    ws = await subscribe(server, bearer(token))
    observer = await subscribe(server, bearer(login(server, "bureau")))
    await asyncio.sleep(0.5)  # the subscriptions are in place
    first = register(server, desk, refs)
    assert (await next_event(ws))["number"] == first
    assert (await next_event(observer))["number"] == first

    revoked = mutate(server, admin, GRANT.replace("grantRole", "revokeRole"), {"i": grant})
    assert revoked["revokeRole"]["__typename"] == "RoleGrantPayload", revoked
    # a subscription started on the same connection after the revocation is refused
    await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    message = await answer(ws, "2")
    assert message["type"] == "error" or message["payload"].get("errors"), message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN", message
    # and the open one hears of no ticket it may no longer read
    after = register(server, desk, refs)
    assert (await next_event(observer))["number"] == after
    await asyncio.sleep(1)  # time for a wrongly delivered event to arrive
    leaked: list[Any] = []
    with contextlib.suppress(TimeoutError):
        while True:
            leaked.append(json.loads(await asyncio.wait_for(ws.recv(), 0.5)))
    assert not [m for m in leaked if after in json.dumps(m)], leaked
    await ws.close()
    await observer.close()
