"""A webhook subscription after its dead letters: enabled again by whoever may manage it, its dead
deliveries left dead unless asked for; and who may own a subscription as the creator of its
data-sharing key, decided by policy lines (own_webhook)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from schema.ids import parse_global_id
from server.audit.models import AuditEntry
from server.clock import CITY_TZ
from server.notifications.models import WebhookDelivery
from tests.helpers import data
from tests.notifications.helpers import Clock, Receiver, configure, subscribe, work
from tests.tickets.workflow_helpers import ids, register

ENABLE = """mutation($s: ID!, $v: Int!, $retry: Boolean!) {
  enableWebhookSubscription(id: $s, version: $v, retryDeadDeliveries: $retry) { __typename
    ... on EnableWebhookSubscriptionPayload { retriedDeadDeliveries
          subscription { id enabled version disabledReason disabledAt } }
    ... on ValidationError { fields { field code } }
    ... on ConflictError { currentVersion }
    ... on NotFoundError { code } } }"""
DISABLE = """mutation($s: ID!, $v: Int!) { disableWebhookSubscription(id: $s, version: $v, reason: "维护") {
  __typename ... on WebhookSubscriptionPayload { subscription { version enabled } } } }"""
SUBSCRIPTIONS = "{ webhookSubscriptions { id enabled version owner } }"
POLICY = """mutation($i: PolicyLineInput!) { addPolicyLine(input: $i) { __typename
  ... on ValidationError { fields { field code } } } }"""
UNPOLICY = POLICY.replace("addPolicyLine", "removePolicyLine")
CREATE_KEY = """mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { __typename
  ... on ApiKeyCreated { apiKey { prefix } } } }"""


async def _subscription(gql: Any, sid: str, as_user: str = "admin") -> dict[str, Any]:
    listed = data(await gql(SUBSCRIPTIONS, as_user=as_user))["webhookSubscriptions"]
    return next(s for s in listed if s["id"] == sid)


async def _enable(gql: Any, sid: str, version: int, retry: bool, as_user: str = "admin") -> dict[str, Any]:
    answer = data(await gql(ENABLE, {"s": sid, "v": version, "retry": retry}, as_user=as_user))
    return dict(answer["enableWebhookSubscription"])


async def _dead_lettered(gql: Any, monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> tuple[str, int]:
    """A subscription whose one delivery failed for a day: dead, and the subscription disabled.
    (subscription's global id, the delivery's id)"""
    clock = Clock(monkeypatch, datetime.now(CITY_TZ))
    created = await subscribe(gql, receiver.url(), ["ticket.register"])
    sid = created["subscription"]["id"]
    pk = parse_global_id(sid)[1]
    await register(gql, await ids(gql))
    await work()
    for _ in range(10):
        [delivery] = await WebhookDelivery.filter(subscription_id=pk)
        if delivery.status != "PENDING":
            break
        clock.advance(seconds=(delivery.next_attempt_at - clock.value).total_seconds() + 1)
        await work()
    assert delivery.status == "DEAD"
    assert (await _subscription(gql, sid))["enabled"] is False
    return sid, delivery.id


async def test_a_subscription_disabled_by_its_dead_letters_is_enabled_again(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch)
    receiver = await Receiver(status=500).start()
    try:
        sid, dead_id = await _dead_lettered(gql, monkeypatch, receiver)
        receiver.status = 200  # the receiver is mended
        version = (await _subscription(gql, sid))["version"]
        audited = await AuditEntry.filter(operation="webhook_subscription.enable").count()

        # refused, changing nothing: someone who may not manage it, a stale version
        assert (await _enable(gql, sid, version, False, as_user="bureau")) == {
            "__typename": "NotFoundError",
            "code": "NOT_FOUND",
        }
        stale = await _enable(gql, sid, version - 1, False)
        assert stale == {"__typename": "ConflictError", "currentVersion": version}
        assert (await _subscription(gql, sid))["enabled"] is False

        enabled = await _enable(gql, sid, version, False)
        assert enabled["__typename"] == "EnableWebhookSubscriptionPayload", enabled
        assert enabled["retriedDeadDeliveries"] == 0
        sub = enabled["subscription"]
        assert (sub["enabled"], sub["disabledReason"], sub["disabledAt"]) == (True, "", None)
        assert sub["version"] == version + 1
        assert await AuditEntry.filter(operation="webhook_subscription.enable").count() == audited + 1
        again = await _enable(gql, sid, sub["version"], False)
        assert again["fields"] == [{"field": "id", "code": "ALREADY_ENABLED"}]

        # new events are delivered again; the dead letter stays dead, as not asked for
        registered = await register(gql, await ids(gql))
        await work()
        heard = [r.json()["data"]["ticket"]["number"] for r in receiver.received]
        assert registered["ticket"]["number"] in heard
        assert (await WebhookDelivery.get(id=dead_id)).status == "DEAD"
        dead_message = (await WebhookDelivery.get(id=dead_id)).message_id

        # disabled by hand and enabled asking for the dead letters: sent again under their ids
        disabled = data(await gql(DISABLE, {"s": sid, "v": sub["version"]}, as_user="admin"))
        version = disabled["disableWebhookSubscription"]["subscription"]["version"]
        retried = await _enable(gql, sid, version, True)
        assert retried["retriedDeadDeliveries"] == 1, retried
        assert (await WebhookDelivery.get(id=dead_id)).status == "PENDING"
        await work()
        assert (await WebhookDelivery.get(id=dead_id)).status == "DELIVERED"
        assert receiver.received[-1].headers["webhook-id"] == dead_message
    finally:
        await receiver.stop()


async def test_who_owns_a_keys_subscription_is_a_policy_line(gql: Any) -> None:
    """Bureau staff given api_key:create make a key; subscribing it as its creator needs
    own_webhook:create, and reading one's own subscriptions own_webhook:read."""
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))
    city_id = city["jurisdictions"]["nodes"][0]["id"]
    keys = {"role": "bureau-staff", "object": "api_key", "action": "create"}
    owning = [{"role": "bureau-staff", "object": "own_webhook", "action": a} for a in ("create", "read")]
    assert data(await gql(POLICY, {"i": keys}, as_user="admin"))["addPolicyLine"]["__typename"] == (
        "PolicyLinePayload"
    )
    try:
        made = data(
            await gql(
                CREATE_KEY,
                {"i": {"name": "城管局自用", "scopes": ["station"], "jurisdictionId": city_id}},
                as_user="bureau",
            )
        )["createApiKey"]
        prefix = made["apiKey"]["prefix"]
        refused = await subscribe(
            gql, "https://example.org/hook", ["station.*"], "bureau", apiKeyPrefix=prefix
        )
        assert refused == {"__typename": "ForbiddenError", "code": "FORBIDDEN"}
        for line in owning:
            added = data(await gql(POLICY, {"i": line}, as_user="admin"))["addPolicyLine"]
            assert added["__typename"] == "PolicyLinePayload", added
        owned = await subscribe(gql, "https://example.org/hook", ["station.*"], "bureau", apiKeyPrefix=prefix)
        assert owned["__typename"] == "CreateWebhookSubscriptionPayload", owned
        assert owned["subscription"]["owner"] == "bureau"
        mine = data(await gql(SUBSCRIPTIONS, as_user="bureau"))["webhookSubscriptions"]
        assert [s["id"] for s in mine] == [owned["subscription"]["id"]]
        # without own_webhook:read the owner no longer reads it (admin still does)
        await gql(UNPOLICY, {"i": owning[1]}, as_user="admin")
        assert data(await gql(SUBSCRIPTIONS, as_user="bureau"))["webhookSubscriptions"] == []
        assert await _subscription(gql, owned["subscription"]["id"])
    finally:
        for line in (keys, *owning):
            await gql(UNPOLICY, {"i": line}, as_user="admin")
