"""The scorecard (成绩单) for the city, a town or a community, over a period.

Stations and proposals are small tables, counted live by GROUP BY. Ticket figures are summed from
TicketRollup rows of the requested jurisdiction (a few thousand rows for a city-year, however many
tickets), except the two that depend on the clock: `overdue` and the tickets still awaiting a late
first response (the response rate), each counted live over open tickets, which the status indexes
find directly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum

from server import clock
from server.authz.authorizer import Authorizer
from server.authz.engine import engine
from server.clock import CITY_TZ
from server.enums import TicketStatus
from server.errors import FieldProblem, Forbidden, ValidationFailed
from server.proposals.models import Proposal, ProposalRating, ProposalReply
from server.stations.models import Station, StationTarget
from server.stats.models import TicketRollup
from server.stats.rates import RateCounts
from server.stats.rollup import (
    METHODS,
    RESPONDED_LATE,
    RESPONDED_ON_TIME,
    VISIT_METRICS,
    VISIT_UNREACHED,
    bucket,
    bucket_range,
    minutes_between,
    response_timeliness,
)
from server.tickets.models import ReturnVisit, Ticket
from server.tickets.workflow import OPEN


@dataclass
class StationCount:
    kind: str
    status: str
    count: int


@dataclass
class TargetProgress:
    year: int
    kind: str
    target: int
    planned: int
    operating: int
    note: str


@dataclass
class Percentiles:
    count: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None


@dataclass
class Scorecard:
    jurisdiction_id: int
    period_from: date
    period_to: date
    stations: list[StationCount] = field(default_factory=list)
    targets: list[TargetProgress] = field(default_factory=list)
    received: int = 0
    resolved: int = 0
    overdue: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    response: Percentiles = field(default_factory=Percentiles)
    resolution: Percentiles = field(default_factory=Percentiles)
    proposals_replied: int = 0
    proposals_replied_on_time: int = 0
    ratings: dict[str, int] = field(default_factory=dict)
    # the three rates (三率) and what they are counted from
    rates: RateCounts = field(default_factory=RateCounts)

    def share(self, method: str) -> float | None:
        done = sum(self.methods.values())
        return round(self.methods.get(method, 0) / done, 4) if done else None


def percentiles(histogram: dict[str, int]) -> Percentiles:
    total = sum(histogram.values())
    if not total:
        return Percentiles()

    def at(quantile: float) -> float:
        rank, seen = quantile * total, 0
        for name in sorted(histogram):
            count = histogram[name]
            if count and seen + count >= rank:
                low, high = bucket_range(name)
                return round(low + (high - low) * (rank - seen) / count, 1)
            seen += count
        return bucket_range(max(histogram))[1]

    return Percentiles(count=total, median_minutes=at(0.5), p90_minutes=at(0.9))


async def scorecard(
    jurisdiction_id: int, period_from: date, period_to: date, *, department_id: int | None = None
) -> Scorecard:
    """Figures for tickets registered from `period_from` to `period_to` (inclusive), stations as
    they stand, targets of the years the period touches, proposals replied within the period.

    `department_id`: the ticket figures count only the tickets transferred to that department (an
    N department's liaison or key sees those tickets only; Authorizer.figures_department)."""
    card = Scorecard(jurisdiction_id, period_from, period_to)
    code = engine.tree.code(jurisdiction_id) or ""
    within_ids = sorted(engine.tree.ids_within((code,)))

    def place(field: str = "jurisdiction_id") -> Q:
        # The whole city: no condition at all, rather than an IN list of every jurisdiction.
        if "/" not in code:
            return Q()
        condition: dict[str, Any] = {f"{field}__in": within_ids}
        return Q(**condition)

    rows = (
        await Station.filter(place())
        .annotate(n=Count("id"))
        .group_by("kind", "status")
        .values("kind", "status", "n")
    )
    card.stations = [
        StationCount(
            str(getattr(r["kind"], "value", r["kind"])),
            str(getattr(r["status"], "value", r["status"])),
            r["n"],
        )
        for r in rows
    ]

    years = list(range(period_from.year, period_to.year + 1))
    targets = await StationTarget.filter(jurisdiction_id=jurisdiction_id, year__in=years)
    if targets:
        progress = (
            await Station.filter(place(), planned_year__in=years)
            .annotate(planned=Count("id"), operating=Count("id", _filter=Q(status="OPERATING")))
            .group_by("planned_year", "kind")
            .values("planned_year", "kind", "planned", "operating")
        )
        by_key = {(r["planned_year"], str(getattr(r["kind"], "value", r["kind"]))): r for r in progress}
        for target in targets:
            kind = str(getattr(target.kind, "value", target.kind))
            got = by_key.get((target.year, kind), {"planned": 0, "operating": 0})
            card.targets.append(
                TargetProgress(
                    target.year, kind, target.target, got["planned"], got["operating"], target.note
                )
            )

    start = datetime.combine(period_from, time.min, CITY_TZ)
    end = datetime.combine(period_to + timedelta(days=1), time.min, CITY_TZ)
    if department_id is None:
        sums = (
            await TicketRollup.filter(
                jurisdiction_id=jurisdiction_id, day__gte=period_from, day__lte=period_to
            )
            .annotate(total=Sum("count"))
            .group_by("metric")
            .values("metric", "total")
        )
        figures = {r["metric"]: int(r["total"] or 0) for r in sums}
    else:
        figures = await _department_figures(place(), department_id, start, end)
    card.received = figures.get("received", 0)
    card.resolved = figures.get("resolved", 0)
    card.methods = {m: figures.get(m, 0) for m in METHODS}
    card.response = percentiles({k[5:]: v for k, v in figures.items() if k.startswith("resp:")})
    card.resolution = percentiles({k[5:]: v for k, v in figures.items() if k.startswith("reso:")})

    now = clock.now()
    tickets = Ticket.filter(
        place(),
        Q() if department_id is None else Q(department_id=department_id),
        registered_at__gte=start,
        registered_at__lt=end,
    )
    # Both depend on the clock, so they are counted live: open past the resolution due time
    # (overdue), and still awaiting the first dispatch past the response due time. Two statements,
    # each found through the status index among the few open tickets: one statement with both as
    # conditional counts is planned as a scan of the whole period (700 ms for a year of the city at
    # a million tickets, against 20 ms and 0.1 ms).
    card.overdue = await tickets.filter(status__in=[s.value for s in OPEN], resolution_due__lt=now).count()
    awaiting = await tickets.filter(status=TicketStatus.REGISTERED.value, response_due__lt=now).count()
    card.rates = RateCounts(
        responded_on_time=figures.get(RESPONDED_ON_TIME, 0),
        responded_late=figures.get(RESPONDED_LATE, 0),
        awaiting_response_late=awaiting,
        resolved=card.resolved,
        overdue=card.overdue,
        visits_satisfied=figures.get(VISIT_METRICS["SATISFIED"], 0),
        visits_basically_satisfied=figures.get(VISIT_METRICS["BASICALLY_SATISFIED"], 0),
        visits_dissatisfied=figures.get(VISIT_METRICS["DISSATISFIED"], 0),
        visits_unreached=figures.get(VISIT_UNREACHED, 0),
    )

    replies = (
        await ProposalReply.filter(
            place("proposal__jurisdiction_id"), replied_at__gte=start, replied_at__lt=end
        )
        .annotate(n=Count("id"))
        .group_by("late")
        .values("late", "n")
    )
    card.proposals_replied = sum(r["n"] for r in replies)
    card.proposals_replied_on_time = sum(r["n"] for r in replies if not r["late"])
    ratings = (
        await ProposalRating.filter(place("proposal__jurisdiction_id"), rated_at__gte=start, rated_at__lt=end)
        .annotate(n=Count("id"))
        .group_by("rating")
        .values("rating", "n")
    )
    card.ratings = {str(getattr(r["rating"], "value", r["rating"])): r["n"] for r in ratings}
    _ = Proposal  # proposals are reached through replies and ratings
    return card


async def _department_figures(place: Q, department_id: int, start: datetime, end: datetime) -> dict[str, int]:
    """The rollup's metrics for one department's tickets. Rollups are kept per jurisdiction, not per
    department; the tickets transferred to a department are few, so they are counted from the
    ticket table, into the same metrics as server.stats.rollup.recompute (same buckets)."""
    tickets = Ticket.filter(
        place, department_id=department_id, registered_at__gte=start, registered_at__lt=end
    )
    rows = await tickets.values_list(
        "registered_at", "dispatched_at", "resolved_at", "resolution_method", "response_due"
    )
    figures: dict[str, int] = defaultdict(int)
    for registered, dispatched, resolved, method, response_due in rows:
        figures["received"] += 1
        if dispatched is not None:
            figures["resp:" + bucket(minutes_between(registered, dispatched))] += 1
            figures[response_timeliness(dispatched, response_due)] += 1
        if resolved is not None:
            figures["resolved"] += 1
            figures["reso:" + bucket(minutes_between(registered, resolved))] += 1
            if method:
                figures[str(getattr(method, "value", method))] += 1
    visits = await ReturnVisit.filter(ticket_id__in=Subquery(tickets.values("id"))).values_list(
        "reached", "rating"
    )
    for reached, rating in visits:
        value = getattr(rating, "value", rating)
        figures[VISIT_METRICS[str(value)] if reached and value else VISIT_UNREACHED] += 1
    return dict(figures)


def resolve_place(authz: Authorizer, jurisdiction_id: int | None) -> int:
    """The jurisdiction asked for, which must lie within the caller's statistics scope; by default
    the top of that scope (a community worker: its community)."""
    scope = authz.scope("stats", "read")
    if scope.empty:
        raise Forbidden("You may not read statistics.")
    if jurisdiction_id is None:
        code = scope.codes[0] if scope.codes else "dongguan"
        jurisdiction_id = authz.engine.tree.id_by_code.get(code)
        if jurisdiction_id is None:
            raise Forbidden("You may not read statistics.")
    if not scope.contains(jurisdiction_id):
        raise Forbidden("That jurisdiction lies outside your statistics scope.")
    return jurisdiction_id


def check_period(period_from: date, period_to: date) -> None:
    if period_from > period_to:
        raise ValidationFailed(problems=[FieldProblem("to", "is before from", "BAD_RANGE")])
    if (period_to - period_from).days > 366 * 5:
        raise ValidationFailed(problems=[FieldProblem("to", "a period is at most five years", "BAD_RANGE")])


async def scorecard_for(
    authz: Authorizer, jurisdiction_id: int | None, period_from: date, period_to: date
) -> tuple[int, Scorecard]:
    """(place, figures) as this caller may read them, for every interface (GraphQL, CSV): the
    period checked, the place within the caller's statistics scope, and for a caller speaking for
    an N department only the tickets transferred to that department."""
    check_period(period_from, period_to)
    place = resolve_place(authz, jurisdiction_id)
    department_id = await authz.figures_department()
    return place, await scorecard(place, period_from, period_to, department_id=department_id)
