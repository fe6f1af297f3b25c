"""Escalation and reminder rules as data (督办规则), and which rule has fired for which ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from server.enums import TimeUnit
from server.escalation.vocabulary import RuleAction

if TYPE_CHECKING:
    from server.tickets.models import Ticket, TicketCategory


class EscalationRule(Model):
    """When an open ticket is reminded or escalated. A rule fires once per ticket, at either a
    percentage of the ticket's resolution time after its registration (`at_percent`: 75 reminds
    at three quarters of the time) or an offset after its resolution due time (`after_due_amount`
    in `after_due_unit`: 1 WORKING_DAYS). A rule of a category replaces the rule for all categories
    (category null) with the same action and level for that category's tickets."""

    id = fields.IntField(primary_key=True)
    category: fields.ForeignKeyNullableRelation[TicketCategory] = fields.ForeignKeyField(
        "lianxin.TicketCategory", related_name="escalation_rules", null=True, on_delete=fields.RESTRICT
    )
    category_id: int | None
    action = fields.CharEnumField(RuleAction, max_length=16)
    level = fields.SmallIntField(default=0, description="ESCALATE: 1 town, 2 city, REMIND: 0")
    at_percent = fields.IntField(null=True, description="percent of the resolution time after registration")
    after_due_amount = fields.IntField(null=True, description="offset after the resolution due time")
    after_due_unit = fields.CharEnumField(TimeUnit, max_length=16, null=True)
    enabled = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "escalation_rule"
        ordering = ("id",)


class EscalationFiring(Model):
    """Rule `rule` has fired for ticket `ticket`. The unique pair is what makes a rule fire once per
    ticket, whether two workers sweep at the same moment or a bureau member presses the button
    while a worker sweeps: the second insert fails and its transaction writes nothing."""

    id = fields.BigIntField(primary_key=True)
    rule: fields.ForeignKeyRelation[EscalationRule] = fields.ForeignKeyField(
        "lianxin.EscalationRule", related_name="firings", on_delete=fields.RESTRICT
    )
    rule_id: int
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "lianxin.Ticket", related_name="escalation_firings", on_delete=fields.RESTRICT
    )
    ticket_id: int
    at = fields.DatetimeField()

    class Meta:
        table = "escalation_firing"
        unique_together = (("rule", "ticket"),)
