"""The three rates (三率) in GraphQL: each a count over a count (server.stats.rates)."""

from __future__ import annotations

import strawberry

from server.stats.rates import Rate as DomainRate
from server.stats.rates import RateCounts


@strawberry.type(description="A rate kept as its numerator and denominator; null over nothing, not 0.")
class Rate:
    numerator: int
    denominator: int
    rate: float | None = strawberry.field(description="numerator / denominator, to 4 places; null when 0/0")


@strawberry.type(
    description="The three rates (三率) over the tickets registered in the period and place, as "
    "docs/domain.md defines them."
)
class ThreeRates:
    response_rate: Rate = strawberry.field(
        description="响应率: first dispatched by the response due time, among those dispatched and "
        "those still awaiting dispatch past it."
    )
    resolution_rate: Rate = strawberry.field(
        description="解决率: resolved (or closed after it), among those resolved and those open past "
        "their resolution due time."
    )
    satisfaction_rate: Rate = strawberry.field(
        description="满意率: return visits that reached the citizen with 满意 or 基本满意, among the "
        "visits that reached the citizen."
    )
    responded_late: int = strawberry.field(description="First dispatched after the response due time.")
    awaiting_response_late: int = strawberry.field(
        description="Not yet dispatched, past the response due time (now, by the server's clock)."
    )
    visits_satisfied: int = strawberry.field(description="Return visits rated 满意.")
    visits_basically_satisfied: int = strawberry.field(description="Return visits rated 基本满意.")
    visits_dissatisfied: int = strawberry.field(description="Return visits rated 不满意.")
    visits_unreached: int = strawberry.field(description="Return visits that did not reach the citizen.")


def as_rate(rate: DomainRate) -> Rate:
    return Rate(numerator=rate.numerator, denominator=rate.denominator, rate=rate.value)


def three_rates(counts: RateCounts) -> ThreeRates:
    return ThreeRates(
        response_rate=as_rate(counts.response),
        resolution_rate=as_rate(counts.resolution),
        satisfaction_rate=as_rate(counts.satisfaction),
        responded_late=counts.responded_late,
        awaiting_response_late=counts.awaiting_response_late,
        visits_satisfied=counts.visits_satisfied,
        visits_basically_satisfied=counts.visits_basically_satisfied,
        visits_dissatisfied=counts.visits_dissatisfied,
        visits_unreached=counts.visits_unreached,
    )
