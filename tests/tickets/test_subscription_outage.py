"""Subscriptions survive a PostgreSQL restart: a subscriber on one server, open across the restart,
gets the events of tickets registered through another server afterwards, on the same socket and
subscription (the LISTEN connection reconnects; the session re-check waits for the database)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from typing import Any

import httpx
import pytest

from server.settings import settings
from tests.conftest import TEST_DB
from tests.servers import free_port, login, stop, wait_ready
from tests.test_outage import REGISTER, Cluster, copy_of_the_suite
from tests.tickets.test_subscription_sessions import bearer, subscribe

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(TEST_DB != "postgres", reason="cross-server events go through PostgreSQL"),
]


REFS = '{ ticketCategories { id code } stations(first: 1, filter: {search: "厦岗"}) { nodes { id } } }'


def _serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lianxin.cli", "serve", "--port", str(port)],
        env={**os.environ, "LIANXIN_DATABASE_URL": url, "LIANXIN_SECRET_KEY": settings.secret_key},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"127.0.0.1:{port}"


async def _register(address: str, token: str, refs: dict[str, str], marker: str) -> str | None:
    ticket = {
        "source": "HOTLINE_12345",
        "categoryId": refs["category"],
        "stationId": refs["station"],
        "description": marker,
        "reporterName": "王先生",
        "reporterPhone": "13800000001",
    }
    async with httpx.AsyncClient(timeout=5) as http:
        try:
            response = await http.post(
                f"http://{address}/graphql",
                json={"query": REGISTER, "variables": {"i": ticket}},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError:
            return None
    payload = ((response.json().get("data") or {}).get("registerTicket")) or {}
    return payload["ticket"]["number"] if payload.get("__typename") == "RegisterTicketPayload" else None


async def _event_for(ws: Any, number: str, timeout: float) -> bool:
    """Whether the subscription delivers `number`'s registration within `timeout`."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = json.loads(await ws.recv())
                assert message["type"] == "next", message  # the subscription goes on: no complete, no error
                if message["payload"]["data"]["ticketEvents"]["number"] == number:
                    return True
    except TimeoutError:
        return False


async def test_subscribers_get_events_again_after_postgres_restarts(database_url: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("running a PostgreSQL cluster as the postgres user needs root (as .ci/run has)")
    cluster = Cluster()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        url = await copy_of_the_suite(cluster, database_url, "lianxin_restart")
        listening, listening_at = _serve(url)  # the subscriber's server
        writing, writing_at = _serve(url)  # where tickets are registered
        procs += [listening, writing]
        await asyncio.to_thread(wait_ready, listening_at, listening)
        await asyncio.to_thread(wait_ready, writing_at, writing)
        bureau = await asyncio.to_thread(login, listening_at, "bureau")
        worker = await asyncio.to_thread(login, writing_at, "worker-xiagang")
        async with httpx.AsyncClient(timeout=5) as http:
            refs_body = (
                await http.post(
                    f"http://{writing_at}/graphql",
                    json={"query": REFS},
                    headers={"Authorization": f"Bearer {worker}"},
                )
            ).json()["data"]
        refs = {
            "category": next(c["id"] for c in refs_body["ticketCategories"] if c["code"] == "occupying_road"),
            "station": refs_body["stations"]["nodes"][0]["id"],
        }

        ws = await subscribe(listening_at, bearer(bureau))
        try:
            # Before: an event crosses from one server to the other.
            number = None
            for attempt in range(20):  # the subscription starts listening as it is set up
                number = await _register(writing_at, worker, refs, f"before restart {attempt}")
                assert number is not None
                if await _event_for(ws, number, timeout=1):
                    break
            else:
                raise AssertionError("no cross-server event before the restart")

            await asyncio.to_thread(cluster.stop)
            await asyncio.to_thread(cluster.start)
            await asyncio.to_thread(wait_ready, writing_at, writing)

            # After: registrations through the other server reach the same open subscription.
            delivered = False
            for attempt in range(30):
                number = await _register(writing_at, worker, refs, f"after restart {attempt}")
                if number is not None and await _event_for(ws, number, timeout=1):
                    delivered = True
                    break
            assert delivered, "the open subscription got no cross-server event after the restart"
        finally:
            await ws.close()
    finally:
        stop(*procs)
        await asyncio.to_thread(cluster.stop)
        shutil.rmtree(cluster.dir, ignore_errors=True)
