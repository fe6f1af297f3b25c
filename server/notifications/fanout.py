"""From the outbox to whoever must hear: a webhook delivery for each subscription the event
matches, inbox entries and e-mail for the staff and deputies it concerns, an SMS for the citizen.

Each outbox row is taken once: a guarded UPDATE of its `fanned_out_at` in the transaction that
writes what it fans out to, so two runners never fan one event out twice and a runner that dies
in the middle leaves the event for the next. Payloads carry no personal data unless the
subscription's data-sharing key may read it (ticket_personal in the ticket's jurisdiction, as a
read by that key would be decided); such a read is logged like any other (PersonalDataAccess).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import clock
from server.audit.models import AuditEntry, PersonalDataAccess
from server.auth.models import ApiKey, User
from server.auth.service import key_viewer
from server.authz.authorizer import Authorizer
from server.authz.engine import current_version, engine
from server.enums import ProposalStatus
from server.geo.models import Jurisdiction
from server.notifications.channels import quiet_until, render
from server.notifications.models import (
    Notification,
    NotificationPreference,
    OutboxEvent,
    OutgoingMessage,
    WebhookDelivery,
    WebhookSubscription,
)
from server.privacy.masking import mask_phone
from server.proposals.models import Proposal, ProposalEvent
from server.staff.models import Department
from server.stations.models import Station
from server.tickets.models import Ticket, TicketCategory, TicketEvent

log = logging.getLogger("lianxin.notify")

BATCH = 500
# People are told of what happens now; an event older than this when it is fanned out (the demo's
# history, a backlog after an outage of days) goes to webhooks only.
PEOPLE_MAX_AGE = timedelta(days=1)
TICKET_SMS = {"ticket.register": "ticket_registered", "ticket.resolve": "ticket_resolved"}
TICKET_STAFF = {"ticket.remind": "ticket_remind", "ticket.escalate": "ticket_escalate"}
PROPOSAL_DEPUTY = {"proposal.assign": "proposal_assign", "proposal.reply": "proposal_reply"}
OPEN_PROPOSAL = (ProposalStatus.ASSIGNED, ProposalStatus.HANDLING)


def matches(patterns: list[str], event_type: str) -> bool:
    kind = event_type.split(".", 1)[0]
    return event_type in patterns or f"{kind}.*" in patterns


def _within(scope_code: str, code: str) -> bool:
    return code == scope_code or code.startswith(scope_code + "/")


@dataclass
class Context:
    """What a batch of events needs, read once per batch."""

    codes: dict[int, str]
    subscriptions: list[WebhookSubscription]
    keys: dict[int, ApiKey]
    tickets: dict[int, Ticket] = field(default_factory=dict)
    proposals: dict[int, Proposal] = field(default_factory=dict)
    stations: dict[int, Station] = field(default_factory=dict)
    ticket_events: dict[int, TicketEvent] = field(default_factory=dict)
    proposal_events: dict[int, ProposalEvent] = field(default_factory=dict)
    station_changes: dict[int, AuditEntry] = field(default_factory=dict)
    categories: dict[int, TicketCategory] = field(default_factory=dict)
    departments: dict[int, str] = field(default_factory=dict)
    authorizers: dict[int, Authorizer] = field(default_factory=dict)


async def _context(events: list[OutboxEvent]) -> Context:
    def ids(kind: str) -> list[int]:
        return list({e.object_id for e in events if e.object_type == kind})

    def sources(kind: str) -> list[int]:
        return [e.source_id for e in events if e.object_type == kind]

    subscriptions = await WebhookSubscription.filter(enabled=True).order_by("id")
    key_ids = [s.api_key_id for s in subscriptions if s.api_key_id]
    ctx = Context(
        codes=dict(await Jurisdiction.all().values_list("id", "code")),
        subscriptions=subscriptions,
        keys={k.id: k for k in await ApiKey.filter(id__in=key_ids)} if key_ids else {},
    )
    if ticket_ids := ids("ticket"):
        ctx.tickets = {t.id: t for t in await Ticket.filter(id__in=ticket_ids)}
        ctx.ticket_events = {e.id: e for e in await TicketEvent.filter(id__in=sources("ticket"))}
        ctx.categories = {c.id: c for c in await TicketCategory.all()}
        ctx.departments = dict(await Department.all().values_list("id", "code"))
    if proposal_ids := ids("proposal"):
        ctx.proposals = {p.id: p for p in await Proposal.filter(id__in=proposal_ids)}
        ctx.proposal_events = {e.id: e for e in await ProposalEvent.filter(id__in=sources("proposal"))}
    if station_ids := ids("station"):
        ctx.stations = {s.id: s for s in await Station.filter(id__in=station_ids)}
        ctx.station_changes = {a.id: a for a in await AuditEntry.filter(id__in=sources("station"))}
    return ctx


def _key_authorizer(ctx: Context, key: ApiKey) -> Authorizer:
    if key.id not in ctx.authorizers:
        ctx.authorizers[key.id] = Authorizer(engine, key_viewer(key.prefix, key.department_id, key.scopes))
    return ctx.authorizers[key.id]


def _object_of(ctx: Context, event: OutboxEvent) -> Any:
    rows: dict[str, dict[int, Any]] = {
        "ticket": ctx.tickets,
        "proposal": ctx.proposals,
        "station": ctx.stations,
    }
    return rows[event.object_type].get(event.object_id)


def _public_payload(ctx: Context, event: OutboxEvent, obj: Any) -> dict[str, Any]:
    """What any subscriber of the event may read: no personal data, no free text (a comment may
    name people)."""
    data: dict[str, Any] = {"eventId": event.id, "action": event.event_type.split(".", 1)[1]}
    if event.object_type == "ticket":
        history = ctx.ticket_events.get(event.source_id)
        category = ctx.categories.get(obj.category_id)
        data["fromStatus"] = history.from_status if history else None
        data["toStatus"] = history.to_status if history else None
        data["ticket"] = {
            "number": obj.number,
            "category": category.code if category else None,
            "jurisdiction": ctx.codes.get(obj.jurisdiction_id),
            "department": ctx.departments.get(obj.department_id) if obj.department_id else None,
            "source": obj.source.value,
            "registeredAt": obj.registered_at.isoformat(),
            "resolutionDue": obj.resolution_due.isoformat(),
        }
    elif event.object_type == "proposal":
        told = ctx.proposal_events.get(event.source_id)
        data["fromStatus"] = told.from_status if told else None
        data["toStatus"] = told.to_status if told else None
        data["proposal"] = {"number": obj.number, "title": obj.title}
    else:
        # as the change left it (its audit entry's snapshot), not as it stands at fan-out
        after = (change.after if (change := ctx.station_changes.get(event.source_id)) else None) or {}
        data["station"] = {
            "name": after.get("name", obj.name),
            "jurisdiction": ctx.codes.get(obj.jurisdiction_id),
            "status": after.get("status", obj.status.value),
        }
    return {"type": event.event_type, "timestamp": event.at.isoformat(), "data": data}


def _jurisdiction_of(event: OutboxEvent, obj: Any) -> int | None:
    return getattr(obj, "jurisdiction_id", None) if event.object_type != "proposal" else None


def _may_receive(ctx: Context, sub: WebhookSubscription, event: OutboxEvent, obj: Any) -> bool:
    if not matches(sub.event_types, event.event_type) or event.at < sub.created_at:
        return False  # a subscription hears what happens after it was made
    jurisdiction_id = _jurisdiction_of(event, obj)
    scope_code = ctx.codes.get(sub.jurisdiction_id, "")
    if jurisdiction_id is not None and not _within(scope_code, ctx.codes.get(jurisdiction_id, "")):
        return False
    if (
        sub.department_id is not None
        and event.object_type == "ticket"
        and obj.department_id != sub.department_id
    ):
        return False
    key = ctx.keys.get(sub.api_key_id) if sub.api_key_id else None
    if key is None:
        return not sub.api_key_id  # a subscription whose key is gone hears nothing
    if not key.live_at(clock.now()):
        return False
    authz = _key_authorizer(ctx, key)
    if event.object_type == "ticket":
        return authz.may_read_ticket(obj)
    if event.object_type == "station":
        return authz.can("station", "read", jurisdiction_id)
    return authz.can("proposal", "read", jurisdiction_id)


async def _deliveries(
    conn: BaseDBAsyncClient, ctx: Context, event: OutboxEvent, obj: Any, now: datetime
) -> list[WebhookDelivery]:
    rows = []
    public: dict[str, Any] | None = None
    for sub in ctx.subscriptions:
        if not _may_receive(ctx, sub, event, obj):
            continue
        public = public or _public_payload(ctx, event, obj)
        payload = public
        key = ctx.keys.get(sub.api_key_id) if sub.api_key_id else None
        if (
            key is not None
            and event.object_type == "ticket"
            and _key_authorizer(ctx, key).can("ticket_personal", "read", obj.jurisdiction_id)
            and (obj.reporter_name or obj.reporter_phone)
        ):
            payload = {**public, "data": {**public["data"]}}
            payload["data"]["ticket"] = {
                **public["data"]["ticket"],
                "reporterName": obj.reporter_name,
                "reporterPhone": obj.reporter_phone,
            }
            await PersonalDataAccess.create(
                actor=f"webhook:{sub.id}",
                ticket_id=obj.id,
                ticket_number=obj.number,
                fields_read="reporterName,reporterPhone",
                at=now,
                request_id=f"outbox:{event.id}",
                interface="webhook",
                using_db=conn,
            )
        rows.append(
            WebhookDelivery(
                subscription_id=sub.id,
                outbox_id=event.id,
                message_id=f"msg_{event.id}_{sub.id}",
                object_key=f"{event.object_type}:{event.object_id}",
                event_type=event.event_type,
                payload=payload,
                next_attempt_at=now,
                event_at=event.at,
            )
        )
    return rows


async def _accounts(*, staff_id: int | None = None, deputy_id: int | None = None) -> list[str]:
    if staff_id is None and deputy_id is None:
        return []
    query = User.filter(active=True)
    query = query.filter(staff_id=staff_id) if staff_id is not None else query.filter(deputy_id=deputy_id)
    return [u.username for u in await query]


async def tell(
    conn: BaseDBAsyncClient,
    usernames: list[str],
    template: str,
    values: dict[str, Any],
    *,
    object_type: str,
    object_id: int | None,
    now: datetime,
) -> list[Notification]:
    """An inbox entry and an e-mail to each person, on the channels they have not switched off."""
    made = []
    prefs = {
        p.username: p for p in await NotificationPreference.filter(username__in=usernames).using_db(conn)
    }
    for username in usernames:
        pref = prefs.get(username) or NotificationPreference(username=username)
        inbox = render(template, "INBOX", values)
        if inbox and pref.in_app:
            made.append(
                await Notification.create(
                    recipient=username,
                    kind=template,
                    title=inbox.subject,
                    body=inbox.body,
                    object_type=object_type,
                    object_id=object_id,
                    created_at=now,
                    using_db=conn,
                )
            )
        email = render(template, "EMAIL", values)
        if email and pref.email and pref.email_address:
            await OutgoingMessage.create(
                channel="EMAIL",
                template=template,
                username=username,
                recipient_masked=username,
                subject=email.subject,
                body=email.body,
                next_attempt_at=now,
                created_at=now,
                using_db=conn,
            )
    return made


async def _people(conn: BaseDBAsyncClient, ctx: Context, event: OutboxEvent, obj: Any, now: datetime) -> None:
    if now - event.at > PEOPLE_MAX_AGE:
        return
    if event.object_type == "ticket":
        category = ctx.categories.get(obj.category_id)
        history = ctx.ticket_events.get(event.source_id)
        values = {
            "number": obj.number,
            "category": category.name if category else "",
            "comment": history.comment if history else "",
        }
        if (template := TICKET_SMS.get(event.event_type)) and obj.reporter_phone:
            sms = render(template, "SMS", values)
            if sms:
                held = quiet_until(now)
                await OutgoingMessage.create(
                    channel="SMS",
                    template=template,
                    ticket_id=obj.id,
                    recipient_masked=mask_phone(obj.reporter_phone) or "",
                    body=sms.body,
                    next_attempt_at=held or now,
                    held=held is not None,
                    created_at=now,
                    using_db=conn,
                )
        if template := TICKET_STAFF.get(event.event_type):
            usernames = await _accounts(staff_id=obj.assignee_id)
            await tell(conn, usernames, template, values, object_type="ticket", object_id=obj.id, now=now)
    elif event.object_type == "proposal" and (template := PROPOSAL_DEPUTY.get(event.event_type)):
        usernames = await _accounts(deputy_id=obj.author_id)
        values = {"number": obj.number, "title": obj.title}
        await tell(conn, usernames, template, values, object_type="proposal", object_id=obj.id, now=now)


async def fan_out(limit: int = BATCH) -> int:
    """Fan out up to `limit` events not fanned out yet, oldest first; returns how many."""
    events = await OutboxEvent.filter(fanned_out_at=None).order_by("id").limit(limit)
    if not events:
        return 0
    await engine.ensure_version(await current_version())  # keys' scopes under the policy in force
    ctx = await _context(events)
    now = clock.now()
    done = 0
    async with in_transaction() as conn:
        for event in events:
            taken = (
                await OutboxEvent.filter(id=event.id, fanned_out_at=None)
                .using_db(conn)
                .update(fanned_out_at=now)
            )
            if not taken:
                continue  # another runner has it
            done += 1
            obj = _object_of(ctx, event)
            if obj is None:
                continue
            rows = await _deliveries(conn, ctx, event, obj, now)
            if rows:
                await WebhookDelivery.bulk_create(rows, using_db=conn)
            await _people(conn, ctx, event, obj, now)
    return done


async def overdue_proposals() -> int:
    """Tell each deputy once that a proposal of theirs is past its reply date unanswered."""
    today = clock.today()
    late = await Proposal.filter(status__in=OPEN_PROPOSAL, reply_due__lt=today)
    if not late:
        return 0
    told = set(
        await AuditEntry.filter(
            operation="proposal.overdue_notice", object_id__in=[str(p.id) for p in late]
        ).values_list("object_id", flat=True)
    )
    now, count = clock.now(), 0
    for proposal in late:
        if str(proposal.id) in told:
            continue
        usernames = await _accounts(deputy_id=proposal.author_id)
        async with in_transaction() as conn:
            await tell(
                conn,
                usernames,
                "proposal_overdue",
                {"number": proposal.number, "title": proposal.title},
                object_type="proposal",
                object_id=proposal.id,
                now=now,
            )
            # the marker that the overdue notice went out, for deputies without an account too
            await AuditEntry.create(
                actor="scheduler",
                operation="proposal.overdue_notice",
                object_type="Proposal",
                object_id=str(proposal.id),
                after={"reply_due": proposal.reply_due.isoformat() if proposal.reply_due else None},
                using_db=conn,
            )
        count += 1
    return count
