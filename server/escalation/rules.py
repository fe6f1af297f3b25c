"""Editing the escalation and reminder rules (bureau staff: escalation_rule create / update / read).

Every change takes the rule's version, is audited (the audit trail is the rules' history: who,
when, before and after) and is in force at the next sweep. A rule is never deleted: it is
disabled, so its firings keep saying which rule fired.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from server.audit.service import record, snapshot
from server.authz.engine import CITY
from server.caller import Caller
from server.enums import TimeUnit
from server.errors import FieldProblem, NotFound, ValidationFailed
from server.escalation.models import EscalationRule
from server.escalation.vocabulary import ESCALATION_LEVELS, RuleAction
from server.tickets.models import TicketCategory
from server.versioning import update_at_version

OBJECT = "escalation_rule"
MAX_PERCENT = 1000
MAX_OFFSET = 1000


@dataclass(frozen=True)
class RuleTiming:
    """Exactly one of: a percentage of the resolution time after registration, or an offset
    (amount, unit) after the resolution due time."""

    at_percent: int | None = None
    after_due_amount: int | None = None
    after_due_unit: TimeUnit | None = None


def _require(caller: Caller, act: str) -> None:
    caller.authz.require(OBJECT, act, caller.authz.engine.tree.id_by_code.get(CITY))


async def list_rules(*, caller: Caller) -> list[EscalationRule]:
    _require(caller, "read")
    return await EscalationRule.all().order_by("id")


def _check(action: RuleAction, level: int, timing: RuleTiming, problems: list[FieldProblem]) -> None:
    if action is RuleAction.ESCALATE and level not in ESCALATION_LEVELS:
        problems.append(FieldProblem("level", "an escalation goes to level 1 (town) or 2 (city)", "INVALID"))
    if action is RuleAction.REMIND and level != 0:
        problems.append(FieldProblem("level", "a reminder has level 0", "INVALID"))
    has_percent = timing.at_percent is not None
    has_offset = timing.after_due_amount is not None or timing.after_due_unit is not None
    if has_percent == has_offset:
        problems.append(
            FieldProblem(
                "atPercent", "give either atPercent or afterDue (amount and unit), not both", "INVALID"
            )
        )
    if has_percent and not 1 <= (timing.at_percent or 0) <= MAX_PERCENT:
        problems.append(FieldProblem("atPercent", f"must be between 1 and {MAX_PERCENT}", "OUT_OF_RANGE"))
    if has_offset:
        if timing.after_due_amount is None or timing.after_due_unit is None:
            problems.append(FieldProblem("afterDue", "give both amount and unit", "INVALID"))
        elif not 0 <= timing.after_due_amount <= MAX_OFFSET:
            problems.append(
                FieldProblem("afterDue.amount", f"must be between 0 and {MAX_OFFSET}", "OUT_OF_RANGE")
            )


async def _check_unique(
    category_id: int | None,
    action: RuleAction,
    level: int,
    problems: list[FieldProblem],
    *,
    but: int | None = None,
) -> None:
    same = EscalationRule.filter(category_id=category_id, action=action, level=level)
    if but is not None:
        same = same.exclude(id=but)
    existing = await same.first()
    if existing is not None:
        problems.append(
            FieldProblem(
                "level",
                f"rule {existing.id} already has this action and level for this category; update it instead",
                "DUPLICATE",
            )
        )


def _timing_columns(timing: RuleTiming) -> dict[str, object]:
    return {
        "at_percent": timing.at_percent,
        "after_due_amount": timing.after_due_amount if timing.at_percent is None else None,
        "after_due_unit": timing.after_due_unit if timing.at_percent is None else None,
    }


async def create_rule(
    category_id: int | None, action: RuleAction, level: int, timing: RuleTiming, *, caller: Caller
) -> EscalationRule:
    _require(caller, "create")
    problems: list[FieldProblem] = []
    if category_id is not None and not await TicketCategory.exists(id=category_id):
        problems.append(FieldProblem("categoryId", "no such ticket category", "NOT_FOUND"))
    _check(action, level, timing, problems)
    if not problems:
        await _check_unique(category_id, action, level, problems)
    if problems:
        raise ValidationFailed(problems=problems)
    async with in_transaction() as conn:
        rule = await EscalationRule.create(
            category_id=category_id, action=action, level=level, **_timing_columns(timing), using_db=conn
        )
        await record(caller, "escalation_rule.create", rule, using=conn)
    return rule


async def update_rule(
    rule_id: int, version: int, timing: RuleTiming | None, enabled: bool | None, *, caller: Caller
) -> EscalationRule:
    """Change a rule's timing and/or switch it on or off, at the version the caller read."""
    _require(caller, "update")
    rule = await EscalationRule.get_or_none(id=rule_id)
    if rule is None:
        raise NotFound("EscalationRule", rule_id)
    problems: list[FieldProblem] = []
    if timing is None and enabled is None:
        problems.append(FieldProblem("enabled", "nothing to change: give a timing or enabled", "REQUIRED"))
    if timing is not None:
        _check(rule.action, rule.level, timing, problems)
    if problems:
        raise ValidationFailed(problems=problems)
    changes: dict[str, object] = {}
    if timing is not None:
        changes.update(_timing_columns(timing))
    if enabled is not None:
        changes["enabled"] = enabled
    before = snapshot(rule)
    async with in_transaction() as conn:
        fresh = await update_at_version(EscalationRule, rule.id, version, changes, using=conn)
        await record(caller, "escalation_rule.update", fresh, before=before, using=conn)
    return fresh
