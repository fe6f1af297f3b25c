"""Two `lianxin worker` processes share the deliveries: each is attempted by exactly one of them.
And personal data in payloads only for a subscription whose data-sharing key may read it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from server.audit.models import PersonalDataAccess
from server.jobs.models import ScheduledJob
from server.notifications.models import WebhookAttempt, WebhookDelivery
from tests.helpers import city_api_key
from tests.jobs.helpers import start_worker
from tests.notifications.helpers import Receiver, configure, subscribe, work
from tests.servers import stop
from tests.tickets.workflow_helpers import ids, register

TICKETS = 6


async def _sweeps() -> int:
    job = await ScheduledJob.get_or_none(name="escalation_sweep")
    return job.attempts if job else 0


async def test_two_workers_never_deliver_one_attempt_twice(
    gql: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch)
    receiver = await Receiver().start()
    workers = []
    try:
        created = await subscribe(gql, receiver.url(), ["ticket.register"])
        assert created["__typename"] == "CreateWebhookSubscriptionPayload"
        refs = await ids(gql)
        numbers = {(await register(gql, refs))["ticket"]["number"] for _ in range(TICKETS)}
        workers = [start_worker(database_url, LIANXIN_WEBHOOK_ALLOW_PRIVATE_TARGETS="true") for _ in range(2)]
        deadline = time.monotonic() + 90
        while await WebhookDelivery.filter(status="DELIVERED").count() < TICKETS:
            assert time.monotonic() < deadline, "the workers did not deliver in time"
            assert all(w.poll() is None for w in workers)
            await asyncio.sleep(0.2)
        # Three more sweeps (run after the queues at each poll): anything left to send twice would
        # have gone by then.
        sweeps = await _sweeps()
        while await _sweeps() < sweeps + 3:
            assert time.monotonic() < deadline, "the workers stopped polling"
            await asyncio.sleep(0.2)
    finally:
        stop(*workers)
        await receiver.stop()
    heard = [r for r in receiver.received if r.json()["data"]["ticket"]["number"] in numbers]
    assert len(heard) == TICKETS and len({r.headers["webhook-id"] for r in heard}) == TICKETS
    attempts = await WebhookAttempt.all()
    assert len(attempts) == TICKETS and len({a.delivery_id for a in attempts}) == TICKETS


async def test_personal_data_only_for_a_key_that_may_read_it(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch)
    _key, personal = await city_api_key(gql, ["ticket", "ticket_personal"], "with personal data")
    _key2, plain = await city_api_key(gql, ["ticket"], "without personal data")
    receiver = await Receiver().start()
    try:
        refused = await subscribe(
            gql, receiver.url("/p"), ["ticket.register"], as_user="bureau", apiKeyPrefix=personal
        )
        assert refused["__typename"] == "ForbiddenError"  # neither admin nor the key's owner
        for prefix, path in ((personal, "/p"), (plain, "/n")):
            made = await subscribe(gql, receiver.url(path), ["ticket.register"], apiKeyPrefix=prefix)
            assert made["__typename"] == "CreateWebhookSubscriptionPayload", made
        registered = await register(gql, await ids(gql))
        await work()
    finally:
        await receiver.stop()
    number = registered["ticket"]["number"]
    by_path = {
        r.path: r.json()["data"]["ticket"]
        for r in receiver.received
        if r.json()["data"]["ticket"]["number"] == number
    }
    assert by_path["/p"]["reporterName"] == "王先生" and by_path["/p"]["reporterPhone"] == "13800000001"
    assert "reporterName" not in by_path["/n"] and "reporterPhone" not in by_path["/n"]
    read = await PersonalDataAccess.filter(ticket_number=number, interface="webhook")
    assert len(read) == 1 and read[0].actor.startswith("webhook:")
