"""Webhook subscriptions (admin, or the owner of the data-sharing key a subscription reads as),
their delivery log and redelivery; a person's inbox and channel preferences.

Who may do what, by policy lines held in the city: `webhook` create / read / update on every
subscription (admin's by default); `own_webhook` create / read / update on one's own: the account
that created a data-sharing key (`ApiKey.created_by`) may subscribe that key, and read, disable,
enable and redeliver the subscriptions it owns. The relation (the key's creator, the subscription's
owner) is the code's to check, as a proposal's author is; whether an owner may act on it at all is
the policy's."""

from __future__ import annotations

import ipaddress
import re
import secrets
from base64 import b64encode
from dataclasses import dataclass
from urllib.parse import urlsplit

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import clock
from server import settings as config
from server.audit.service import record, snapshot
from server.auth.models import ApiKey
from server.authz.engine import CITY
from server.caller import Caller
from server.errors import FieldProblem, Forbidden, NotFound, Unauthenticated, ValidationFailed
from server.geo.models import Jurisdiction
from server.notifications.models import (
    Notification,
    NotificationPreference,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from server.staff.models import Department
from server.versioning import update_at_version

OBJECT = "webhook"
OWN_OBJECT = "own_webhook"  # one's own subscriptions (of a data-sharing key one created)
EVENT_TYPE = re.compile(r"^(ticket|proposal|station)\.([a-z_]+|\*)$")
MAX_EVENT_TYPES = 50
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]+$")
MAX_INBOX_PAGE = 200


def _city(caller: Caller) -> int | None:
    return caller.authz.engine.tree.id_by_code.get(CITY)


def _is_admin(caller: Caller, act: str) -> bool:
    return caller.authz.can(OBJECT, act, _city(caller))


def _may_own(caller: Caller, act: str) -> bool:
    """May the caller `act` on webhook subscriptions it owns (own_webhook, held in the city)?"""
    return caller.authz.can(OWN_OBJECT, act, _city(caller))


def _username(caller: Caller) -> str:
    viewer = caller.viewer
    if viewer is None:
        raise Unauthenticated("Log in first.")
    if viewer.is_api_key:
        raise Forbidden("A data-sharing key has no inbox; log in as a person.")
    return viewer.name


def target_problem(url: str) -> FieldProblem | None:
    """Why a webhook may not be sent to `url` (None: it may). http(s) only, with a host; loopback,
    private, link-local and unspecified addresses only where LIANXIN_WEBHOOK_ALLOW_PRIVATE_TARGETS
    says so (tests, local receivers)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return FieldProblem("targetUrl", "an http:// or https:// URL with a host", "INVALID_URL")
    if len(url) > 500:
        return FieldProblem("targetUrl", "at most 500 characters", "TOO_LONG")
    if parts.username or parts.password:
        return FieldProblem("targetUrl", "no credentials in the URL", "INVALID_URL")
    if config.settings.webhook_allow_private_targets:
        return None
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        return FieldProblem("targetUrl", "loopback targets are not allowed", "TARGET_NOT_ALLOWED")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: its addresses are checked again at each delivery
    if not address.is_global:
        return FieldProblem(
            "targetUrl", "private, loopback or reserved addresses are not allowed", "TARGET_NOT_ALLOWED"
        )
    return None


@dataclass(frozen=True)
class NewSubscription:
    name: str
    target_url: str
    event_types: list[str]
    jurisdiction_id: int | None
    department_id: int | None
    api_key_prefix: str | None


async def create_subscription(data: NewSubscription, *, caller: Caller) -> tuple[WebhookSubscription, str]:
    """The subscription and its signing secret (whsec_…), which is shown this once."""
    owner = _username(caller)
    problems: list[FieldProblem] = []
    name = data.name.strip()
    if not name or len(name) > 100:
        problems.append(FieldProblem("name", "1 to 100 characters", "INVALID"))
    if problem := target_problem(data.target_url.strip()):
        problems.append(problem)
    if not data.event_types or len(data.event_types) > MAX_EVENT_TYPES:
        problems.append(FieldProblem("eventTypes", f"name 1 to {MAX_EVENT_TYPES} event types", "INVALID"))
    for i, event_type in enumerate(data.event_types):
        if not EVENT_TYPE.match(event_type):
            problems.append(
                FieldProblem(
                    f"eventTypes[{i}]",
                    "ticket.<action>, proposal.<action>, station.<action> or <object>.*",
                    "INVALID",
                )
            )
    key = None
    if data.api_key_prefix:
        key = await ApiKey.get_or_none(prefix=data.api_key_prefix, revoked_at=None)
        if key is None:
            problems.append(FieldProblem("apiKeyPrefix", "no live key with that prefix", "NOT_FOUND"))
    if not _is_admin(caller, "create") and (
        key is None or key.created_by != owner or not _may_own(caller, "create")
    ):
        raise Forbidden(
            "Subscribing needs webhook:create, or own_webhook:create and the data-sharing key it "
            "reads as to be one you created."
        )
    jurisdiction_id = data.jurisdiction_id or _city(caller)
    if data.jurisdiction_id is not None and not await Jurisdiction.exists(id=data.jurisdiction_id):
        problems.append(FieldProblem("jurisdictionId", "no such jurisdiction", "NOT_FOUND"))
    if data.department_id is not None and not await Department.exists(id=data.department_id):
        problems.append(FieldProblem("departmentId", "no such department", "NOT_FOUND"))
    if problems:
        raise ValidationFailed(problems=problems)
    secret = "whsec_" + b64encode(secrets.token_bytes(32)).decode()
    async with in_transaction() as conn:
        row = await WebhookSubscription.create(
            name=name,
            target_url=data.target_url.strip(),
            event_types=sorted(set(data.event_types)),
            jurisdiction_id=jurisdiction_id,
            department_id=data.department_id,
            api_key_id=key.id if key else None,
            owner=owner,
            secret=secret,
            created_at=clock.now(),
            using_db=conn,
        )
        await record(caller, "webhook_subscription.create", row, using=conn)
    return row, secret


async def _own_subscription(caller: Caller, subscription_id: int, act: str) -> WebhookSubscription:
    row = await WebhookSubscription.get_or_none(id=subscription_id)
    if row is None or not (
        _is_admin(caller, act) or (row.owner == _username(caller) and _may_own(caller, act))
    ):
        raise NotFound("WebhookSubscription", subscription_id)
    return row


async def list_subscriptions(*, caller: Caller) -> list[WebhookSubscription]:
    if _is_admin(caller, "read"):
        return await WebhookSubscription.all().order_by("id")
    if not _may_own(caller, "read"):
        return []
    return await WebhookSubscription.filter(owner=_username(caller)).order_by("id")


async def disable_subscription(
    subscription_id: int, version: int, reason: str, *, caller: Caller
) -> WebhookSubscription:
    row = await _own_subscription(caller, subscription_id, "update")
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed(
            problems=[FieldProblem("reason", "say why, in 1 to 500 characters", "REQUIRED")]
        )
    before = snapshot(row)
    async with in_transaction() as conn:
        fresh = await update_at_version(
            WebhookSubscription,
            row.id,
            version,
            {"enabled": False, "disabled_reason": reason, "disabled_at": clock.now()},
            using=conn,
        )
        await record(caller, "webhook_subscription.disable", fresh, before=before, using=conn)
    return fresh


async def enable_subscription(
    subscription_id: int, version: int, retry_dead: bool, *, caller: Caller
) -> tuple[WebhookSubscription, int]:
    """Take a disabled subscription (disabled by its owner, or by delivery after a dead letter) back
    into service at the version read: its pending deliveries are sent again, and its dead ones too
    when `retry_dead` says so (with a fresh retry schedule and their webhook-ids unchanged, as
    `redeliver` does one). Returns the subscription and how many dead deliveries were retried.

    Dead deliveries stay dead by default: they are a day old or more, and only the owner knows
    whether its receiver still wants them (it may have caught up another way); to have them, ask.
    Refused while its key is revoked or expired (it would hear nothing) or its target is no longer
    allowed."""
    row = await _own_subscription(caller, subscription_id, "update")
    problems: list[FieldProblem] = []
    if row.enabled:
        problems.append(FieldProblem("id", "the subscription is enabled already", "ALREADY_ENABLED"))
    if row.api_key_id is not None:
        key = await ApiKey.get_or_none(id=row.api_key_id)
        if key is None or not key.live_at(clock.now()):
            problems.append(
                FieldProblem(
                    "id", "its data-sharing key is revoked or expired: subscribe a live key", "KEY_GONE"
                )
            )
    if problem := target_problem(row.target_url):
        problems.append(FieldProblem("id", f"its target: {problem.message}", problem.code))
    if problems:
        raise ValidationFailed(problems=problems)
    before = snapshot(row)
    async with in_transaction() as conn:
        fresh = await update_at_version(
            WebhookSubscription,
            row.id,
            version,
            {"enabled": True, "disabled_reason": "", "disabled_at": None},
            using=conn,
        )
        await record(caller, "webhook_subscription.enable", fresh, before=before, using=conn)
        retried = 0
        if retry_dead:
            dead = await WebhookDelivery.filter(subscription_id=row.id, status="DEAD").using_db(conn)
            for delivery in dead:
                if await _send_again(delivery, conn):  # one taken meanwhile is left alone
                    retried += 1
                    again = await WebhookDelivery.filter(id=delivery.id).using_db(conn).get()
                    await record(
                        caller, "webhook_delivery.redeliver", again, before=snapshot(delivery), using=conn
                    )
    return fresh, retried


async def deliveries(
    subscription_id: int, status: str | None, limit: int, *, caller: Caller
) -> list[WebhookDelivery]:
    """The delivery log of one subscription, newest first."""
    await _own_subscription(caller, subscription_id, "read")
    query = WebhookDelivery.filter(subscription_id=subscription_id)
    if status:
        query = query.filter(status=status)
    return await query.order_by("-id").limit(max(1, min(limit, 500)))


async def attempts_of(delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    out: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    for attempt in await WebhookAttempt.filter(delivery_id__in=delivery_ids).order_by("id"):
        out[attempt.delivery_id].append(attempt)
    return out


async def _send_again(delivery: WebhookDelivery, conn: BaseDBAsyncClient) -> int:
    """Put a delivery back in the queue with a fresh retry schedule (its webhook-id unchanged),
    guarded by the status it was read with: how many rows changed (0 when it moved meanwhile)."""
    return int(
        await WebhookDelivery.filter(id=delivery.id, status=delivery.status)
        .using_db(conn)
        .update(status="PENDING", failures=0, next_attempt_at=clock.now(), locked_by=None, lease_until=None)
    )


async def redeliver(delivery_id: int, *, caller: Caller) -> WebhookDelivery:
    """Send a delivery again (a dead one, or one delivered already: the receiver deduplicates on its
    unchanged webhook-id), with a fresh retry schedule."""
    delivery = await WebhookDelivery.get_or_none(id=delivery_id)
    if delivery is None:
        raise NotFound("WebhookDelivery", delivery_id)
    subscription = await _own_subscription(caller, delivery.subscription_id, "update")
    if not subscription.enabled:
        raise ValidationFailed(
            problems=[
                FieldProblem(
                    "deliveryId",
                    "its subscription is disabled: enable it again first",
                    "SUBSCRIPTION_DISABLED",
                )
            ]
        )
    if delivery.status == "PENDING":
        raise ValidationFailed(
            problems=[FieldProblem("deliveryId", "it is still being delivered", "PENDING")]
        )
    before = snapshot(delivery)
    async with in_transaction() as conn:
        await _send_again(delivery, conn)
        fresh = await WebhookDelivery.filter(id=delivery.id).using_db(conn).get()
        await record(caller, "webhook_delivery.redeliver", fresh, before=before, using=conn)
    return fresh


# ---- a person's inbox and preferences --------------------------------------------------------


async def inbox(unread_only: bool, limit: int, *, caller: Caller) -> tuple[list[Notification], int]:
    """The caller's notifications, newest first, and how many are unread."""
    username = _username(caller)
    query = Notification.filter(recipient=username)
    unread = await query.filter(read_at=None).count()
    if unread_only:
        query = query.filter(read_at=None)
    return await query.order_by("-id").limit(max(1, min(limit, MAX_INBOX_PAGE))), unread


async def newer_than(after_id: int, *, caller: Caller) -> list[Notification]:
    return await Notification.filter(recipient=_username(caller), id__gt=after_id).order_by("id").limit(100)


async def mark_read(ids: list[int] | None, *, caller: Caller) -> tuple[int, int]:
    """Mark the caller's notifications read (all of them when `ids` is None); others' ids are
    ignored, as if absent. Returns (marked, unread left)."""
    username = _username(caller)
    query = Notification.filter(recipient=username, read_at=None)
    if ids is not None:
        if len(ids) > MAX_INBOX_PAGE:
            raise ValidationFailed(
                problems=[FieldProblem("ids", f"at most {MAX_INBOX_PAGE} at once", "TOO_MANY")]
            )
        query = query.filter(id__in=ids)
    marked = await query.update(read_at=clock.now())
    return marked, await Notification.filter(recipient=username, read_at=None).count()


async def preferences_of(username: str) -> NotificationPreference:
    row = await NotificationPreference.get_or_none(username=username)
    return row or NotificationPreference(username=username, updated_at=clock.now())


async def my_preferences(*, caller: Caller) -> NotificationPreference:
    return await preferences_of(_username(caller))


async def set_preferences(
    in_app: bool | None, email: bool | None, email_address: str | None, *, caller: Caller
) -> NotificationPreference:
    username = _username(caller)
    if email_address is not None and email_address.strip() and not EMAIL.match(email_address.strip()):
        raise ValidationFailed(problems=[FieldProblem("emailAddress", "not an e-mail address", "INVALID")])
    row = await preferences_of(username)
    before = snapshot(row) if row.id else None
    if in_app is not None:
        row.in_app = in_app
    if email is not None:
        row.email = email
    if email_address is not None:
        row.email_address = email_address.strip()
    row.updated_at = clock.now()
    async with in_transaction() as conn:
        await row.save(using_db=conn)
        await record(caller, "notification_preference.set", row, before=before, using=conn)
    return row


async def subscription_labels(
    rows: list[WebhookSubscription],
) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """The codes the API shows for subscriptions' jurisdictions, departments and keys."""
    codes: dict[int, str] = dict(
        await Jurisdiction.filter(id__in={r.jurisdiction_id for r in rows}).values_list("id", "code")
    )
    department_ids = {r.department_id for r in rows if r.department_id}
    key_ids = {r.api_key_id for r in rows if r.api_key_id}
    departments: dict[int, str] = (
        dict(await Department.filter(id__in=department_ids).values_list("id", "code"))
        if department_ids
        else {}
    )
    keys: dict[int, str] = (
        dict(await ApiKey.filter(id__in=key_ids).values_list("id", "prefix")) if key_ids else {}
    )
    return codes, departments, keys
