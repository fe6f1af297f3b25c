"""Escalation and reminder rules (督办规则) as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from schema.enums import TimeUnit, register_enum
from schema.ids import to_global_id
from schema.tickets.loaders import TicketCategoryByIdLoader
from schema.tickets.types import TicketCategory
from server.enums import label_zh
from server.escalation.vocabulary import RuleAction

register_enum(RuleAction, "What a rule does to an open ticket: remind (催办) or escalate (升级督办).")


@strawberry.type(description="An amount of time in a unit: 1 WORKING_DAYS, 4 NATURAL_HOURS.")
class WorkTime:
    amount: int
    unit: TimeUnit


@strawberry.input(description="An amount of time in a unit.")
class WorkTimeInput:
    amount: int
    unit: TimeUnit


@strawberry.type(
    description="When open tickets are reminded or escalated. A rule fires once per ticket: at atPercent "
    "of the ticket's resolution time after its registration, or afterDue past its resolution due time. "
    "A category's own rule replaces the all-categories rule with the same action and level; a disabled "
    "rule is as if absent. Changes are in the audit trail (EscalationRule)."
)
class EscalationRule:
    id: strawberry.ID
    action: RuleAction
    level: int = strawberry.field(description="ESCALATE: 1 the town (镇街), 2 the city (市); REMIND: 0.")
    at_percent: int | None
    after_due: WorkTime | None
    enabled: bool
    version: int
    updated_at: datetime
    category_id: strawberry.Private[int | None]

    @strawberry.field(description="Null: the rule is for every category.")
    async def category(self, info: strawberry.Info) -> TicketCategory | None:
        if self.category_id is None:
            return None
        return await info.context.load(TicketCategoryByIdLoader, self.category_id)

    @strawberry.field(description="The action's Chinese label.")
    def action_label(self) -> str:
        return label_zh(self.action) or ""


def as_rule(row: Any) -> EscalationRule:
    return EscalationRule(
        id=strawberry.ID(to_global_id("EscalationRule", row.id)),
        action=row.action,
        level=row.level,
        at_percent=row.at_percent,
        after_due=WorkTime(amount=row.after_due_amount, unit=row.after_due_unit)
        if row.after_due_amount is not None and row.after_due_unit is not None
        else None,
        enabled=row.enabled,
        version=row.version,
        updated_at=row.updated_at,
        category_id=row.category_id,
    )
