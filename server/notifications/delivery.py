"""Sending: webhook deliveries (Standard Webhooks), e-mail and SMS.

Every runner (`lianxin worker`, or the server on SQLite) calls `deliver_due` and `send_due_messages`
on each poll. A delivery or message is attempted by exactly one runner: it is taken by one guarded
UPDATE (still pending, due, and no live lease) that sets the runner's name and a lease; the
database lets one of two racing UPDATEs change the row. Results are written only while the lease
is the runner's own.

Order per object: only the oldest pending delivery of an object (ticket:12) to a subscription is
ever taken, so event n+1 waits while event n is pending (leased or backing off). At-least-once:
a runner that dies after the receiver got the message and before recording it leaves the lease
to run out, and the message is sent again with the same webhook-id, which receivers deduplicate on.
Retries back off as the Standard Webhooks guide suggests (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
10 h: about 27.6 hours); after the last the delivery is dead and its subscription disabled, with
a notice in its owner's inbox.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook
from tortoise.expressions import F, Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from server import clock
from server import settings as config
from server.notifications.channels import quiet_until, send_email, send_sms
from server.notifications.fanout import tell
from server.notifications.models import (
    NotificationPreference,
    OutgoingMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from server.tickets.models import Ticket

log = logging.getLogger("lianxin.notify")

RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MESSAGE_RETRIES = 5
BATCH = 200
CONCURRENCY = 16
MAX_ERROR = 1000


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=config.settings.job_lease_seconds)


def _free(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


async def _target_refusal(url: str) -> str | None:
    """SSRF guard at each send: a name is resolved and every address checked, unless private
    targets are allowed (tests, local receivers)."""
    if config.settings.webhook_allow_private_targets:
        return None
    host = urlsplit(url).hostname or ""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"{host} resolves to a non-public address"
    return None


async def _post(
    client: httpx.AsyncClient, sub: WebhookSubscription, delivery: WebhookDelivery
) -> tuple[int | None, str]:
    refusal = await _target_refusal(sub.target_url)
    if refusal:
        return None, refusal
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"))
    # in UTC: the library replaces the time zone by UTC rather than converting to it
    sent_at = clock.now().astimezone(UTC)
    signature = Webhook(sub.secret).sign(delivery.message_id, sent_at, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
        "user-agent": "Lianxin-Webhooks/1",
    }
    try:
        answer = await client.post(sub.target_url, content=body.encode(), headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    error = "" if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}: {answer.text[:200]}"
    return answer.status_code, error


async def _claim_deliveries(runner: str, limit: int) -> list[WebhookDelivery]:
    now = clock.now()
    # A disabled subscription's deliveries wait in the table; they must not fill the batch.
    candidates = (
        await WebhookDelivery.filter(
            _free(now), status="PENDING", next_attempt_at__lte=now, subscription__enabled=True
        )
        .order_by("id")
        .limit(limit)
    )
    if not candidates:
        return []
    heads = {
        (row["subscription_id"], row["object_key"]): row["first"]
        for row in await WebhookDelivery.filter(
            status="PENDING",
            subscription_id__in=list({c.subscription_id for c in candidates}),
            object_key__in=list({c.object_key for c in candidates}),
        )
        .annotate(first=Min("id"))
        .group_by("subscription_id", "object_key")
        .values("subscription_id", "object_key", "first")
    }
    # an earlier event of the same object still pending holds the later ones back
    firsts = [c.id for c in candidates if heads.get((c.subscription_id, c.object_key)) == c.id]
    if not firsts:
        return []
    # One guarded UPDATE takes them all; a racing runner's UPDATE skips the rows this one took.
    await WebhookDelivery.filter(_free(now), id__in=firsts, status="PENDING").update(
        locked_by=runner, lease_until=_lease(now), attempts=F("attempts") + 1
    )
    return await WebhookDelivery.filter(id__in=firsts, locked_by=runner, status="PENDING").order_by("id")


async def _disable(sub: WebhookSubscription, reason: str) -> None:
    now = clock.now()
    async with in_transaction() as conn:
        changed = (
            await WebhookSubscription.filter(id=sub.id, enabled=True)
            .using_db(conn)
            .update(
                enabled=False,
                disabled_reason=reason,
                disabled_at=now,
                version=F("version") + 1,
                updated_at=now,
            )
        )
        if changed:
            await tell(
                conn,
                [sub.owner],
                "webhook_disabled",
                {"name": sub.name, "url": sub.target_url, "reason": reason},
                object_type="webhook",
                object_id=sub.id,
                now=now,
            )
    log.warning("webhook subscription %s disabled: %s", sub.id, reason)


async def _attempt(
    client: httpx.AsyncClient, sub: WebhookSubscription, delivery: WebhookDelivery, runner: str
) -> WebhookAttempt:
    """Send one delivery and record its outcome (while the lease is still this runner's); returns
    the attempt's log row, written with the batch's."""
    started = time.perf_counter()
    status_code, error = await _post(client, sub, delivery)
    now = clock.now()
    attempt = WebhookAttempt(
        delivery_id=delivery.id,
        at=now,
        status_code=status_code,
        error=error,
        duration_ms=int((time.perf_counter() - started) * 1000),
        runner=runner,
    )
    mine = WebhookDelivery.filter(id=delivery.id, locked_by=runner)
    if not error:
        await mine.update(
            status="DELIVERED",
            delivered_at=now,
            lag_ms=int((now - delivery.event_at).total_seconds() * 1000),
            last_status_code=status_code,
            last_error="",
            locked_by=None,
            lease_until=None,
        )
        return attempt
    failures = delivery.failures + 1
    dead = failures > len(RETRY_SCHEDULE)
    await mine.update(
        status="DEAD" if dead else "PENDING",
        failures=failures,
        next_attempt_at=now if dead else now + RETRY_SCHEDULE[failures - 1],
        last_status_code=status_code,
        last_error=error,
        locked_by=None,
        lease_until=None,
    )
    if not dead:
        # The object's later events wait for this one: not due before it, so that they do not
        # fill every batch while it backs off.
        await WebhookDelivery.filter(
            subscription_id=delivery.subscription_id,
            object_key=delivery.object_key,
            status="PENDING",
            id__gt=delivery.id,
        ).update(next_attempt_at=now + RETRY_SCHEDULE[failures - 1])
    if dead:
        await _disable(sub, f"delivery {delivery.message_id} failed {failures} times over a day: {error}")
    return attempt


async def _gated(gate: asyncio.Semaphore, attempt: Awaitable[WebhookAttempt]) -> WebhookAttempt:
    async with gate:
        return await attempt


async def deliver_due(runner: str, limit: int = BATCH) -> int:
    """Take and send due webhook deliveries until none is left; returns how many were delivered."""
    delivered = 0
    gate = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(
        trust_env=False, timeout=config.settings.webhook_timeout_seconds, follow_redirects=False
    ) as client:
        while claimed := await _claim_deliveries(runner, limit):
            subs = {
                s.id: s for s in await WebhookSubscription.filter(id__in={d.subscription_id for d in claimed})
            }
            attempts = await asyncio.gather(
                *(_gated(gate, _attempt(client, subs[d.subscription_id], d, runner)) for d in claimed)
            )
            await WebhookAttempt.bulk_create(attempts)
            delivered += sum(1 for a in attempts if not a.error)
    return delivered


# ---- e-mail and SMS ----------------------------------------------------------------------------


async def _send(message: OutgoingMessage) -> str:
    """'' when sent, 'DROPPED: …' when there is nowhere to send it; raises when sending failed."""
    if message.channel == "SMS":
        ticket = await Ticket.get_or_none(id=message.ticket_id)
        phone = ticket.reporter_phone if ticket else ""  # the one read of the citizen's phone
        if not phone:
            return "DROPPED: the ticket has no phone number (anonymised or never given)"
        await send_sms(phone, message.body)
        return ""
    pref = await NotificationPreference.get_or_none(username=message.username or "")
    if pref is None or not pref.email or not pref.email_address:
        return "DROPPED: e-mail switched off or no address"
    await send_email(pref.email_address, message.subject, message.body)
    return ""


async def send_due_messages(runner: str, limit: int = BATCH) -> int:
    """Take and send due e-mail and SMS; an SMS whose time falls in the quiet hours is held until
    they end. Returns how many were sent."""
    now = clock.now()
    sent = 0
    for message in (
        await OutgoingMessage.filter(_free(now), status="PENDING", next_attempt_at__lte=now)
        .order_by("id")
        .limit(limit)
    ):
        if message.channel == "SMS" and (until := quiet_until(now)):
            await OutgoingMessage.filter(_free(now), id=message.id, status="PENDING").update(
                next_attempt_at=until, held=True
            )
            continue
        taken = await OutgoingMessage.filter(_free(now), id=message.id, status="PENDING").update(
            locked_by=runner, lease_until=_lease(now), attempts=F("attempts") + 1
        )
        if not taken:
            continue
        mine = OutgoingMessage.filter(id=message.id, locked_by=runner)
        try:
            outcome = await _send(message)
        except Exception as exc:  # noqa: BLE001 - any failure of a channel is retried, then FAILED
            log.warning("%s message %s not sent: %s", message.channel, message.id, exc)
            attempts = message.attempts + 1
            await mine.update(
                status="FAILED" if attempts >= MESSAGE_RETRIES else "PENDING",
                next_attempt_at=clock.now() + RETRY_SCHEDULE[min(attempts, len(RETRY_SCHEDULE)) - 1],
                last_error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR],
                locked_by=None,
                lease_until=None,
            )
            continue
        if outcome:
            await mine.update(status="DROPPED", last_error=outcome, locked_by=None, lease_until=None)
        else:
            sent += 1
            await mine.update(status="SENT", sent_at=clock.now(), locked_by=None, lease_until=None)
    return sent


async def run_once(runner: str) -> tuple[int, int, int]:
    """One pass of the notification work: fan the outbox out, send due webhooks, send due e-mail
    and SMS. Returns (events fanned out, webhooks delivered, messages sent)."""
    from server.notifications.fanout import fan_out

    fanned = 0
    while done := await fan_out():
        fanned += done
    return fanned, await deliver_due(runner), await send_due_messages(runner)
