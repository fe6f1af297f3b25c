"""Seconds from `logout` to the closed socket of the session's open ticketEvents subscription.

    .venv/bin/python bench/subscription_close.py [--trials 10] [--database-url URL]

Starts `lianxin serve` (default: a fresh SQLite demo database in a temporary directory) and, per
trial, logs in, subscribes over graphql-transport-ws, logs out over HTTP and waits for the close
(4403). Two cases: nothing happens after the logout (the periodic re-check closes it, every
LIANXIN_SUBSCRIPTION_RECHECK_SECONDS), and a ticket event follows the logout at once (the check
before delivery closes it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIBE = "subscription { ticketEvents { number action } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(client: Any, query: str, token: str | None = None, variables: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    response.raise_for_status()
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def login(client: Any, user: str) -> str:
    query = (
        'mutation($u: String!) { login(username: $u, password: "lianxin-demo") '
        "{ ... on LoginSuccess { token } } }"
    )
    return str(post(client, query, variables={"u": user})["login"]["token"])


async def trial(client: Any, address: str, register: Any) -> tuple[float, int | None, str]:
    import websockets
    from websockets.typing import Subprotocol

    token = await asyncio.to_thread(login, client, "worker-xiagang")
    ws = await websockets.connect(
        f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    await asyncio.sleep(random.uniform(0.3, 2.3))  # logouts fall anywhere in the re-check period
    started = time.monotonic()
    await asyncio.to_thread(post, client, "mutation { logout { ok } }", token)
    if register is not None:
        await asyncio.to_thread(register)
    try:
        async with asyncio.timeout(30):
            while True:
                await ws.recv()
    except websockets.ConnectionClosed:
        pass
    return time.monotonic() - started, ws.close_code, ws.close_reason or ""


async def trials(client: Any, address: str, register: Any, count: int) -> list[tuple[float, int | None, str]]:
    return [await trial(client, address, register) for _ in range(count)]


def main() -> None:
    """Starts the server and waits for it (blocking), then runs each series of trials in an event loop."""
    import httpx

    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    env = dict(os.environ)
    if not args.database_url:
        var = tempfile.mkdtemp(prefix="lianxin-subs-")
        env["LIANXIN_VAR_DIR"] = var
        for command in (["migrate"], ["demo", "--if-empty"]):
            subprocess.run([sys.executable, "-m", "lianxin.cli", *command], env=env, cwd=ROOT, check=True)
    else:
        env["LIANXIN_DATABASE_URL"] = args.database_url
    port = free_port()
    address = f"127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "lianxin.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://{address}", timeout=10) as client:
            for _ in range(150):
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            desk = login(client, "worker-xiagang")
            refs = post(
                client,
                """{ x: stations(filter: {search: "长安镇厦岗社区城市服务驿站"}) { nodes { id } }
                c: ticketCategories { id code } }""",
                desk,
            )
            station = refs["x"]["nodes"][0]["id"]
            category = next(c["id"] for c in refs["c"] if c["code"] == "occupying_road")

            def register() -> None:
                post(
                    client,
                    "mutation($i: RegisterTicketInput!) { registerTicket(input: $i) { __typename } }",
                    desk,
                    {
                        "i": {
                            "source": "WALK_IN",
                            "categoryId": category,
                            "stationId": station,
                            "description": "bench",
                        }
                    },
                )

            recheck = env.get("LIANXIN_SUBSCRIPTION_RECHECK_SECONDS", "2")
            print(f"{args.trials} trials, LIANXIN_SUBSCRIPTION_RECHECK_SECONDS={recheck}")
            for label, then in (("logout, then nothing", None), ("logout, then a ticket event", register)):
                results = asyncio.run(trials(client, address, then, args.trials))
                seconds = [r[0] for r in results]
                codes = sorted({f"{r[1]} {r[2]}" for r in results})
                print(
                    f"{label:28} min {min(seconds):5.2f} s  median {statistics.median(seconds):5.2f} s  "
                    f"max {max(seconds):5.2f} s  close: {'; '.join(codes)}"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
