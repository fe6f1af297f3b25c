"""Webhooks for departments' systems: Mr Wang's ticket heard by a receiver on 127.0.0.1 in order,
signed per Standard Webhooks (verified with the `standardwebhooks` package), a receiver that goes
away and comes back, retries ending in a dead letter, target URLs, and the outbox's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from server.clock import CITY_TZ
from server.notifications.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from server.tickets.models import TicketEvent
from tests.helpers import data
from tests.notifications.helpers import Clock, Receiver, configure, subscribe, work
from tests.tickets.test_return_visits import _resolved, _visit
from tests.tickets.workflow_helpers import ids, register, step

MR_WANG = ["ticket.register", "ticket.dispatch", "ticket.arrive", "ticket.resolve", "ticket.close"]
DELIVERIES = """query($s: ID!) { webhookDeliveries(subscriptionId: $s) { id messageId eventType status
  attempts lastStatusCode lastError lagMs attemptLog { statusCode error } } }"""
REDELIVER = """mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { __typename
  ... on WebhookDeliveryPayload { delivery { status messageId } }
  ... on ValidationError { fields { field code } } } }"""


def _events_of(receiver: Receiver, number: str) -> list[Any]:
    return [r for r in receiver.received if r.json()["data"]["ticket"]["number"] == number]


async def test_mr_wangs_ticket_reaches_the_receiver_in_order_and_signed(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch)
    receiver = await Receiver().start()
    try:
        created = await subscribe(gql, receiver.url(), ["ticket.*"])
        assert created["__typename"] == "CreateWebhookSubscriptionPayload", created
        secret = created["secret"]
        assert secret.startswith("whsec_")
        refs = await ids(gql)
        t = await _resolved(gql, refs)
        closed = await _visit(gql, t, reached=True, rating="SATISFIED")
        assert closed["ticket"]["status"] == "CLOSED", closed
        number = closed["ticket"]["number"]
        await work()
    finally:
        await receiver.stop()
    heard = _events_of(receiver, number)
    assert [r.json()["type"] for r in heard] == MR_WANG
    verifier = Webhook(secret)
    for r in heard:
        assert verifier.verify(r.body, r.headers)["type"] == r.json()["type"]
        assert r.headers["webhook-signature"].startswith("v1,")
        # no personal data without a key that may read it
        assert "王先生" not in r.body.decode() and "13800000001" not in r.body.decode()
    assert len({r.headers["webhook-id"] for r in heard}) == 5
    log = data(await gql(DELIVERIES, {"s": created["subscription"]["id"]}, as_user="admin"))[
        "webhookDeliveries"
    ]
    assert {d["status"] for d in log} == {"DELIVERED"}
    assert all(d["attemptLog"] == [{"statusCode": 200, "error": ""}] and d["lagMs"] >= 0 for d in log)


async def test_a_receiver_away_for_a_minute_gets_every_event_it_missed_once_per_id(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch)
    clock = Clock(monkeypatch, datetime.now(CITY_TZ))
    receiver = await Receiver().start()
    created = await subscribe(gql, receiver.url(), ["ticket.register", "ticket.dispatch"])
    await receiver.stop()  # away: connections refused
    refs = await ids(gql)
    registered = await register(gql, refs)
    t = {"id": registered["ticket"]["id"], "version": registered["ticket"]["version"]}
    number = registered["ticket"]["number"]
    dispatched = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": t, "a": refs["chief"], "_types": ", $a: ID!"},
        "chief-changan",
    )
    assert dispatched["__typename"] == "TicketPayload"
    await work()  # the first attempt fails; the dispatch waits behind the registration
    rows = await WebhookDelivery.filter(
        subscription_id__isnull=False, event_type__in=["ticket.register", "ticket.dispatch"]
    ).order_by("id")
    rows = [r for r in rows if r.payload["data"]["ticket"]["number"] == number]
    assert [(r.event_type, r.attempts, r.status) for r in rows] == [
        ("ticket.register", 1, "PENDING"),
        ("ticket.dispatch", 0, "PENDING"),
    ]
    clock.advance(minutes=1)  # a minute later the receiver is back
    await receiver.start()
    try:
        await work()
        # a duplicate the receiver must tolerate: the same event again, under the same id
        log = data(await gql(DELIVERIES, {"s": created["subscription"]["id"]}, as_user="admin"))[
            "webhookDeliveries"
        ]
        first = next(d for d in log if d["eventType"] == "ticket.register")
        again = data(await gql(REDELIVER, {"d": first["id"]}, as_user="admin"))["redeliverWebhook"]
        assert again["__typename"] == "WebhookDeliveryPayload" and again["delivery"]["status"] == "PENDING"
        await work()
    finally:
        await receiver.stop()
    heard = _events_of(receiver, number)
    assert [r.json()["type"] for r in heard] == ["ticket.register", "ticket.dispatch", "ticket.register"]
    ids_by_event: dict[int, set[str]] = {}
    for r in heard:
        ids_by_event.setdefault(r.json()["data"]["eventId"], set()).add(r.headers["webhook-id"])
    assert all(len(v) == 1 for v in ids_by_event.values())  # never the same event under two ids
    verifier = Webhook(created["secret"])
    for r in heard:
        verifier.verify(r.body, r.headers)


async def test_a_receiver_that_keeps_failing_is_retried_for_a_day_then_dead_and_disabled(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch)
    clock = Clock(monkeypatch, datetime.now(CITY_TZ))
    receiver = await Receiver(status=500).start()
    try:
        created = await subscribe(gql, receiver.url(), ["ticket.register"])
        refs = await ids(gql)
        await register(gql, refs)
        await work()
        waited = 0.0
        for _ in range(10):
            delivery = await WebhookDelivery.get(subscription_id=await _sub_pk(created))
            if delivery.status != "PENDING":
                break
            step_seconds = (delivery.next_attempt_at - clock.value).total_seconds() + 1
            waited += step_seconds
            clock.advance(seconds=step_seconds)
            await work()
    finally:
        await receiver.stop()
    assert delivery.status == "DEAD" and delivery.attempts == 8
    assert waited >= 24 * 3600  # retried for at least a day
    assert await WebhookAttempt.filter(delivery_id=delivery.id, status_code=500).count() == 8
    subs = data(await gql("{ webhookSubscriptions { id enabled disabledReason } }", as_user="admin"))
    mine = next(s for s in subs["webhookSubscriptions"] if s["id"] == created["subscription"]["id"])
    assert mine["enabled"] is False and "failed 8 times" in mine["disabledReason"]
    inbox = data(await gql("{ notifications { unreadCount items { kind title } } }", as_user="admin"))
    assert inbox["notifications"]["items"][0]["kind"] == "webhook_disabled"
    assert "已停用" in inbox["notifications"]["items"][0]["title"]
    refused = data(await gql(REDELIVER, {"d": _delivery_gid(delivery.id)}, as_user="admin"))[
        "redeliverWebhook"
    ]
    assert refused["fields"] == [{"field": "deliveryId", "code": "SUBSCRIPTION_DISABLED"}]


async def _sub_pk(created: dict[str, Any]) -> int:
    from schema.ids import parse_global_id

    return parse_global_id(created["subscription"]["id"])[1]


def _delivery_gid(pk: int) -> str:
    from schema.ids import to_global_id

    return to_global_id("WebhookDelivery", pk)


async def test_target_urls_and_who_may_subscribe(gql: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    before = await WebhookDelivery.all().count()
    bad_scheme = await subscribe(gql, "ftp://example.org/x", ["ticket.*"])
    assert bad_scheme["fields"] == [{"field": "targetUrl", "code": "INVALID_URL"}]
    loopback = await subscribe(gql, "http://127.0.0.1:9/x", ["ticket.*"])
    assert loopback["fields"] == [{"field": "targetUrl", "code": "TARGET_NOT_ALLOWED"}]
    private = await subscribe(gql, "https://10.1.2.3/x", ["ticket.*"])
    assert private["fields"] == [{"field": "targetUrl", "code": "TARGET_NOT_ALLOWED"}]
    bad_type = await subscribe(gql, "https://example.org/x", ["tickets"])
    assert bad_type["fields"] == [{"field": "eventTypes[0]", "code": "INVALID"}]
    not_admin = await subscribe(gql, "https://example.org/x", ["ticket.*"], as_user="bureau")
    assert not_admin["__typename"] == "ForbiddenError"
    listed = data(await gql("{ webhookSubscriptions { id } }", as_user="admin"))["webhookSubscriptions"]
    assert listed == [] and await WebhookDelivery.all().count() == before
    configure(monkeypatch)  # loopback allowed: what the tests' receivers need
    allowed = await subscribe(gql, "http://127.0.0.1:9/x", ["ticket.*"])
    assert allowed["__typename"] == "CreateWebhookSubscriptionPayload"
    assert data(await gql("{ webhookSubscriptions { id } }", as_user="bureau"))["webhookSubscriptions"] == []


async def test_a_step_rolled_back_after_its_history_was_written_leaves_no_outbox_row(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = await ids(gql)
    registered = await register(gql, refs)
    t = {"id": registered["ticket"]["id"], "version": registered["ticket"]["version"]}
    outbox, history = await OutboxEvent.all().count(), await TicketEvent.all().count()

    async def failing_audit(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the audit entry could not be written")

    # the history row (and with it the outbox row) is written before the audit entry fails
    monkeypatch.setattr("server.workflow_step.record", failing_audit)
    result = await gql(
        "mutation($t: TicketVersion!, $a: ID!) { dispatchTicket(ticket: $t, assigneeId: $a) { __typename } }",
        {"t": t, "a": refs["chief"]},
        as_user="chief-changan",
    )
    assert result["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert (await OutboxEvent.all().count(), await TicketEvent.all().count()) == (outbox, history)
    last = await OutboxEvent.all().order_by("-id").first()
    assert last is not None and last.event_type == "ticket.register"
