"""The escalation and reminder rules (bureau staff)."""

from __future__ import annotations

import strawberry

from schema.escalation.types import EscalationRule, as_rule
from server.escalation import rules


@strawberry.type
class EscalationQuery:
    @strawberry.field(
        description="Every escalation and reminder rule, disabled ones included, oldest first. "
        "Needs escalation_rule:read."
    )
    async def escalation_rules(self, info: strawberry.Info) -> list[EscalationRule]:
        return [as_rule(r) for r in await rules.list_rules(caller=info.context.caller)]
