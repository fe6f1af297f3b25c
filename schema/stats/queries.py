"""The scorecard (成绩单) in GraphQL."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.enums import Rating, StationKind, StationStatus
from schema.geo.loaders import JurisdictionByIdLoader
from schema.geo.types import Jurisdiction
from schema.ids import filter_id
from schema.stats.rates import ThreeRates, three_rates
from server.authz.authorizer import Authorizer
from server.enums import label_zh
from server.proposals.vocabulary import label
from server.stats.scorecard import scorecard_for


@strawberry.type(description="Stations of one kind in one status.")
class StationTally:
    kind: StationKind
    kind_label: str | None
    status: StationStatus
    status_label: str | None
    count: int


@strawberry.type(description="Stations planned for a year against the target kept as data.")
class StationTargetProgress:
    year: int
    kind: StationKind
    target: int
    planned: int
    operating: int
    note: str


@strawberry.type(description="Durations in minutes, read off the rollup's buckets (exact to a bucket).")
class DurationFigures:
    count: int
    median_minutes: float | None
    p90_minutes: float | None


@strawberry.type(description="Resolved tickets by the 721 work method, against 70/20/10.")
class MethodSplit:
    service: int
    management: int
    enforcement: int
    service_share: float | None
    management_share: float | None
    enforcement_share: float | None
    target_service_share: float = 0.7
    target_management_share: float = 0.2
    target_enforcement_share: float = 0.1


@strawberry.type(description="Deputies' ratings of replies given in the period, by rating.")
class RatingCount:
    rating: Rating
    count: int

    @strawberry.field(description="Chinese label of the rating, e.g. 满意.")
    def rating_label(self) -> str | None:
        return label(self.rating)


@strawberry.type(
    description="成绩单: stations against targets, tickets, the 721 split, proposals and ratings."
)
class Scorecard:
    period_from: date
    period_to: date
    jurisdiction_id: strawberry.Private[int]
    stations: list[StationTally]
    station_targets: list[StationTargetProgress]
    tickets_received: int
    tickets_resolved: int
    tickets_overdue: int = strawberry.field(description="Open past their resolution due time, now")
    response_time: DurationFigures
    resolution_time: DurationFigures
    method_split: MethodSplit
    proposals_replied: int
    proposals_replied_on_time: int
    ratings: list[RatingCount]
    rates: ThreeRates = strawberry.field(
        description="The three rates (三率): response, resolution and satisfaction, from the rollups."
    )

    @strawberry.field
    async def jurisdiction(self, info: strawberry.Info) -> Jurisdiction:
        return await info.context.load(JurisdictionByIdLoader, self.jurisdiction_id)


async def build(
    authz: Authorizer, jurisdiction_id: int | None, period_from: date, period_to: date
) -> Scorecard:
    place, card = await scorecard_for(authz, jurisdiction_id, period_from, period_to)
    return Scorecard(
        period_from=period_from,
        period_to=period_to,
        jurisdiction_id=place,
        stations=[
            StationTally(
                kind=StationKind(s.kind),
                kind_label=label_zh(StationKind(s.kind)),
                status=StationStatus(s.status),
                status_label=label_zh(StationStatus(s.status)),
                count=s.count,
            )
            for s in sorted(card.stations, key=lambda s: (s.kind, s.status))
        ],
        station_targets=[
            StationTargetProgress(**(t.__dict__ | {"kind": StationKind(t.kind)})) for t in card.targets
        ],
        tickets_received=card.received,
        tickets_resolved=card.resolved,
        tickets_overdue=card.overdue,
        response_time=DurationFigures(**card.response.__dict__),
        resolution_time=DurationFigures(**card.resolution.__dict__),
        method_split=MethodSplit(
            service=card.methods["SERVICE"],
            management=card.methods["MANAGEMENT"],
            enforcement=card.methods["ENFORCEMENT"],
            service_share=card.share("SERVICE"),
            management_share=card.share("MANAGEMENT"),
            enforcement_share=card.share("ENFORCEMENT"),
        ),
        proposals_replied=card.proposals_replied,
        proposals_replied_on_time=card.proposals_replied_on_time,
        ratings=[RatingCount(rating=Rating(k), count=v) for k, v in sorted(card.ratings.items())],
        rates=three_rates(card.rates),
    )


@strawberry.type
class StatsQuery:
    @strawberry.field(
        description="The scorecard for a jurisdiction (default: the top of your statistics scope) and "
        "a period of registration days, inclusive; for an N department's liaison or key, the ticket "
        "figures count the tickets transferred to that department. Needs stats:read there."
    )
    async def scorecard(
        self,
        info: strawberry.Info,
        period_from: date,
        period_to: date,
        jurisdiction_id: strawberry.ID | None = None,
    ) -> Scorecard:
        authz = info.context.authz
        return await build(
            authz, filter_id(jurisdiction_id, "Jurisdiction", "jurisdictionId"), period_from, period_to
        )
