"""Scheduled work that runs by itself: a ticket left open past its due time is escalated by running
`lianxin worker` processes with no call from anyone, once however many workers race for it; the
server runs the jobs itself where settings say so (the default on SQLite)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from server.clock import CITY_TZ
from tests.conftest import TEST_DB
from tests.helpers import data
from tests.jobs.helpers import FAST, start_worker
from tests.servers import login, serve, stop, wait_ready
from tests.tickets.test_live_updates import Subscriber
from tests.tickets.workflow_helpers import ids, register

HISTORY = """query($id: ID!) { node(id: $id) { ... on Ticket { escalationLevel history { action } } } }"""
NUMBER = "query($id: ID!) { node(id: $id) { ... on Ticket { number } } }"
JOBS_RUNNING = "{ jobs { name lastOutcome runningOn } }"
JOBS = "{ jobs { name lastOutcome attempts failures nextRunAt lastFinishedAt } }"


async def _overdue_ticket(gql: Any, monkeypatch: Any) -> str:
    """A ticket registered three hours ago (by the machine's clock, which the workers read): its
    120 minutes to resolution ran out an hour ago, a further period has not (the city waits)."""
    registered = datetime.now(CITY_TZ) - timedelta(hours=3)
    with monkeypatch.context() as patch:
        patch.setattr("server.clock.now", lambda: registered)
        refs = await ids(gql)
        result = await register(gql, refs)
    assert result["__typename"] == "RegisterTicketPayload", result
    return str(result["ticket"]["id"])


async def _until(check: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {what} within {seconds} s")


async def _sweeps(gql: Any) -> int:
    jobs = data(await gql(JOBS, as_user="admin"))["jobs"]
    return int(next(j["attempts"] for j in jobs if j["name"] == "escalation_sweep"))


async def test_two_racing_workers_escalate_an_overdue_ticket_once(
    gql: Any, database_url: str, monkeypatch: Any
) -> None:
    ticket = await _overdue_ticket(gql, monkeypatch)
    workers = [start_worker(database_url), start_worker(database_url)]
    try:

        async def escalated() -> Any:
            node = data(await gql(HISTORY, {"id": ticket}))["node"]
            return node if node["escalationLevel"] == 1 else None

        await _until(escalated, "escalation")
        seen = await _sweeps(gql)
        await _until(lambda: _later(gql, seen + 3), "three more sweeps")  # both workers went on looking
        assert all(w.poll() is None for w in workers)
    finally:
        stop(*workers)
    node = data(await gql(HISTORY, {"id": ticket}))["node"]
    actions = [h["action"] for h in node["history"]]
    assert node["escalationLevel"] == 1
    assert actions.count("escalate") == 1 and actions.count("remind") == 1, actions
    sweep = next(j for j in data(await gql(JOBS, as_user="admin"))["jobs"] if j["name"] == "escalation_sweep")
    assert sweep["lastOutcome"] in ("SUCCEEDED", "RUNNING") and sweep["failures"] == 0


async def _later(gql: Any, attempts: int) -> bool:
    return await _sweeps(gql) >= attempts


async def test_the_server_runs_the_jobs_itself_when_set_to(
    gql: Any, database_url: str, monkeypatch: Any
) -> None:
    """On SQLite that is the default (`make run` has nothing else to start, test_jobs.py checks the
    default); the suite turns it off for the servers of other tests. The sweep's reminder and
    escalation reach the ticket subscription, as any step's event does."""
    server, address = serve(database_url, env={**FAST, "LIANXIN_RUN_JOBS_IN_SERVER": "true"})
    try:
        wait_ready(address, server)
        async with Subscriber(address, login(address, "bureau"), in_payload=False) as subscriber:
            ticket = await _overdue_ticket(gql, monkeypatch)
            number = data(await gql(NUMBER, {"id": ticket}))["node"]["number"]
            seen: list[tuple[str, str]] = []
            while ("escalate", "scheduler") not in seen:
                event = await subscriber.next_event(timeout=30)
                if event["number"] == number:
                    seen.append((event["action"], event["actor"]))
            assert ("remind", "scheduler") in seen
        node = data(await gql(HISTORY, {"id": ticket}))["node"]
        assert node["escalationLevel"] == 1
    finally:
        stop(server)


@pytest.mark.skipif(
    TEST_DB != "postgres", reason="SQLite has one writer: a held lock would stop the claim too"
)
async def test_a_worker_killed_mid_job_leaves_it_to_another(
    gql: Any, database_url: str, monkeypatch: Any
) -> None:
    """The first worker is held inside the sweep (a lock the test holds on the table the sweep writes
    first), killed there, and the job is taken by the next worker once the lease has run out."""
    import asyncpg

    ticket = await _overdue_ticket(gql, monkeypatch)
    holder = await asyncpg.connect(database_url.replace("asyncpg://", "postgresql://"))
    first = second = None
    try:
        lock = holder.transaction()
        await lock.start()
        await holder.execute("LOCK TABLE escalation_firing IN EXCLUSIVE MODE")
        first = start_worker(database_url, LIANXIN_JOB_LEASE_SECONDS="2")

        async def running() -> bool:
            jobs = data(await gql(JOBS_RUNNING, as_user="admin"))["jobs"]
            sweep = next(j for j in jobs if j["name"] == "escalation_sweep")
            return bool(sweep["lastOutcome"] == "RUNNING" and sweep["runningOn"])

        await _until(running, "the first worker in the sweep")
        first.kill()
        first.wait(timeout=10)
        await lock.rollback()

        async def abandoned() -> bool:
            jobs = data(await gql(JOBS_RUNNING, as_user="admin"))["jobs"]
            return next(j for j in jobs if j["name"] == "escalation_sweep")["lastOutcome"] == "ABANDONED"

        await _until(abandoned, "the lease to run out")
        second = start_worker(database_url)

        async def escalated() -> bool:
            return bool(data(await gql(HISTORY, {"id": ticket}))["node"]["escalationLevel"] == 1)

        await _until(escalated, "escalation by the second worker")
    finally:
        await holder.close()
        stop(*(w for w in (first, second) if w is not None))
    actions = [h["action"] for h in data(await gql(HISTORY, {"id": ticket}))["node"]["history"]]
    assert actions.count("escalate") == 1, actions
