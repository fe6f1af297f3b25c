"""Changing the escalation and reminder rules (bureau staff). Each change is audited and takes
effect at the next sweep."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, error_member
from schema.escalation.types import EscalationRule, WorkTimeInput, as_rule
from schema.ids import decode_id
from server.errors import DomainError
from server.escalation import rules
from server.escalation.vocabulary import RuleAction


@strawberry.type
class EscalationRulePayload:
    rule: EscalationRule


EscalationRuleResult = Annotated[
    EscalationRulePayload | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("EscalationRuleResult"),
]


def _timing(at_percent: int | None, after_due: WorkTimeInput | None) -> rules.RuleTiming:
    return rules.RuleTiming(
        at_percent=at_percent,
        after_due_amount=after_due.amount if after_due else None,
        after_due_unit=after_due.unit if after_due else None,
    )


@strawberry.type
class EscalationMutation:
    @strawberry.mutation(
        description="A new rule: for one category (categoryId) or all (null), an action and level "
        "(ESCALATE to 1 the town or 2 the city; REMIND at level 0), and exactly one of atPercent "
        "(1–1000) or afterDue (amount 0–1000). One rule per category, action and level: "
        "update the existing one instead (code DUPLICATE). Needs escalation_rule:create."
    )
    async def create_escalation_rule(
        self,
        info: strawberry.Info,
        action: RuleAction,
        level: int = 0,
        category_id: strawberry.ID | None = None,
        at_percent: int | None = None,
        after_due: WorkTimeInput | None = None,
    ) -> EscalationRuleResult:
        try:
            category = decode_id(category_id, "TicketCategory", "categoryId") if category_id else None
            rule = await rules.create_rule(
                category, action, level, _timing(at_percent, after_due), caller=info.context.caller
            )
        except DomainError as exc:
            return error_member(exc)
        return EscalationRulePayload(rule=as_rule(rule))

    @strawberry.mutation(
        description="Change a rule's timing (atPercent or afterDue: give one, and the other is "
        "cleared) and/or switch it on or off, at the version you read (CONFLICT otherwise). "
        "Needs escalation_rule:update."
    )
    async def update_escalation_rule(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        version: int,
        at_percent: int | None = None,
        after_due: WorkTimeInput | None = None,
        enabled: bool | None = None,
    ) -> EscalationRuleResult:
        try:
            pk = decode_id(id, "EscalationRule")
            timing = None if at_percent is None and after_due is None else _timing(at_percent, after_due)
            rule = await rules.update_rule(pk, version, timing, enabled, caller=info.context.caller)
        except DomainError as exc:
            return error_member(exc)
        return EscalationRulePayload(rule=as_rule(rule))

    @strawberry.mutation(
        description="Switch a rule off, at the version you read: it fires no more (its past firings "
        "stay in the tickets' history). Needs escalation_rule:update."
    )
    async def disable_escalation_rule(
        self, info: strawberry.Info, id: strawberry.ID, version: int
    ) -> EscalationRuleResult:
        try:
            pk = decode_id(id, "EscalationRule")
            rule = await rules.update_rule(pk, version, None, False, caller=info.context.caller)
        except DomainError as exc:
            return error_member(exc)
        return EscalationRulePayload(rule=as_rule(rule))
