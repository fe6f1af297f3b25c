"""The sweep: every enabled rule applied to the open tickets it is due for, once per ticket.

Run by the scheduled `escalation_sweep` job (server/jobs/catalog.py) and by the
`escalateOverdueTickets` mutation, over the tickets its caller may escalate. Each firing is a
ticket history event, written in one transaction with the rule's firing row (unique per rule and
ticket) and, for an escalation, the ticket's new level; it is published on the ticket
subscription after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server import clock
from server.calendar.service import add_work_time
from server.enums import TimeUnit
from server.escalation.models import EscalationFiring, EscalationRule
from server.escalation.vocabulary import ESCALATION_LEVELS, LEVEL_LABELS, RuleAction
from server.tickets.models import Ticket, TicketEvent
from server.tickets.workflow import OPEN
from server.tickets.workflow_service import publish_step

# Tickets looked at per sweep, soonest due first; the next sweep takes the rest.
MAX_TICKETS_PER_SWEEP = 5000


@dataclass
class Applied:
    escalated: list[Ticket] = field(default_factory=list)
    reminded: list[Ticket] = field(default_factory=list)


class RuleBook:
    """The rules in force for each category: a category's own rule for an action and level
    replaces the rule for all categories."""

    def __init__(self, rules: Iterable[EscalationRule]) -> None:
        self.general: dict[tuple[RuleAction, int], EscalationRule] = {}
        self.by_category: dict[int, dict[tuple[RuleAction, int], EscalationRule]] = {}
        for rule in rules:
            key = (rule.action, rule.level)
            if rule.category_id is None:
                self.general[key] = rule
            else:
                self.by_category.setdefault(rule.category_id, {})[key] = rule

    def for_category(self, category_id: int) -> list[EscalationRule]:
        merged = {**self.general, **self.by_category.get(category_id, {})}
        return list(merged.values())

    @property
    def empty(self) -> bool:
        return not self.general and not self.by_category


async def fires_at(rule: EscalationRule, ticket: Ticket) -> datetime:
    if rule.at_percent is not None:
        period = ticket.resolution_due - ticket.registered_at
        return ticket.registered_at + period * rule.at_percent / 100
    return await add_work_time(
        ticket.resolution_due,
        rule.after_due_amount or 0,
        rule.after_due_unit or TimeUnit.NATURAL_HOURS,
        jurisdiction_id=ticket.jurisdiction_id,
    )


def _when(rule: EscalationRule) -> str:
    if rule.at_percent is not None:
        return f"{rule.at_percent}% of the resolution time has passed"
    if not rule.after_due_amount:
        return "the resolution due time has passed"
    unit = (rule.after_due_unit or TimeUnit.NATURAL_HOURS).value.lower().replace("_", " ")
    return f"overdue by {rule.after_due_amount} {unit}"


async def apply_rules(where: Q, *, actor: str, now: datetime | None = None) -> Applied:
    """Fire every due rule for the open tickets matching `where` (the caller's scope)."""
    now = now or clock.now()
    book = RuleBook(await EscalationRule.filter(enabled=True))
    applied = Applied()
    if book.empty:
        return applied
    # A ticket already at the city has nothing left to climb to: left out, so that tickets stuck
    # open there for months do not fill every sweep's window ahead of the ones that are due.
    top = max(ESCALATION_LEVELS)
    tickets = (
        await Ticket.filter(where, status__in=list(OPEN), registered_at__lte=now, escalation_level__lt=top)
        .order_by("resolution_due", "id")
        .limit(MAX_TICKETS_PER_SWEEP)
    )
    fired = set(
        await EscalationFiring.filter(ticket_id__in=[t.id for t in tickets]).values_list(
            "rule_id", "ticket_id"
        )
    )
    for ticket in tickets:
        due = []
        for rule in book.for_category(ticket.category_id):
            if (rule.id, ticket.id) in fired or now < await fires_at(rule, ticket):
                continue
            if rule.action is RuleAction.ESCALATE and rule.level <= ticket.escalation_level:
                continue  # already at or above that level
            due.append(rule)
        if due:
            await _fire(ticket, due, actor, now, applied)
    for ticket in applied.reminded:
        await publish_step(ticket, "remind", ticket.status.value, actor)
    for ticket in applied.escalated:
        await publish_step(ticket, "escalate", ticket.status.value, actor)
    return applied


async def _fire(
    ticket: Ticket, rules: list[EscalationRule], actor: str, now: datetime, applied: Applied
) -> None:
    reminders = [r for r in rules if r.action is RuleAction.REMIND]
    escalations = sorted((r for r in rules if r.action is RuleAction.ESCALATE), key=lambda r: r.level)
    status = ticket.status.value
    escalated = False
    try:
        async with in_transaction() as conn:
            for rule in rules:
                await EscalationFiring.create(rule_id=rule.id, ticket_id=ticket.id, at=now, using_db=conn)
            for rule in reminders:
                await TicketEvent.create(
                    ticket_id=ticket.id,
                    actor=actor,
                    action="remind",
                    from_status=status,
                    to_status=status,
                    comment=f"reminder: {_when(rule)}",
                    data={"rule": rule.id, "assigneeId": ticket.assignee_id},
                    at=now,
                    using_db=conn,
                )
            if escalations:
                # Both levels due at once (a sweep after a long pause): one step, to the higher.
                top = escalations[-1]
                escalated = bool(
                    await Ticket.filter(id=ticket.id, escalation_level__lt=top.level)
                    .using_db(conn)
                    .update(escalation_level=top.level, escalated_at=now, updated_at=now)
                )
                if escalated:
                    await TicketEvent.create(
                        ticket_id=ticket.id,
                        actor=actor,
                        action="escalate",
                        from_status=status,
                        to_status=status,
                        comment=f"{_when(top)}: escalated to the {LEVEL_LABELS[top.level]}",
                        data={"level": top.level, "rule": top.id},
                        at=now,
                        using_db=conn,
                    )
    except IntegrityError:
        return  # another sweep fired these rules for this ticket first; this one wrote nothing
    if reminders:
        applied.reminded.append(ticket)
    if escalated:
        ticket.escalation_level = escalations[-1].level
        ticket.escalated_at = now
        applied.escalated.append(ticket)
