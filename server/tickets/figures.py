"""The 721 figures: how resolved tickets split between service, management and enforcement,
against the 70/20/10 the work method aims for. Counted by GROUP BY in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from server import clock
from server.authz.engine import engine
from server.clock import local
from server.enums import ResolutionMethod, TicketStatus
from server.geo.models import Jurisdiction
from server.staff.models import Staff
from server.stations.models import Station
from server.stats.rates import RateCounts
from server.tickets.models import ReturnVisit, Ticket
from server.tickets.workflow import OPEN

TARGET = {"SERVICE": 0.7, "MANAGEMENT": 0.2, "ENFORCEMENT": 0.1}
GROUP_FIELDS = {
    "STATION": "station_id",
    "AREA_CHIEF": "assignee_id",
    "COMMUNITY": "jurisdiction_id",
    "TOWN": "jurisdiction_id",
    "CITY": None,
}


@dataclass
class Figures:
    key: int | None
    label: str
    received: int
    resolved: int
    service: int
    management: int
    enforcement: int
    rates: RateCounts = field(default_factory=RateCounts)

    def share(self, method: str) -> float | None:
        done = self.service + self.management + self.enforcement
        if not done:
            return None
        return round(
            {"SERVICE": self.service, "MANAGEMENT": self.management, "ENFORCEMENT": self.enforcement}[method]
            / done,
            4,
        )

    def deviation(self) -> float | None:
        """Largest gap, in share points, between the split and 70/20/10."""
        shares: dict[str, float] = {}
        for method in TARGET:
            value = self.share(method)
            if value is None:
                return None
            shares[method] = value
        return round(max(abs(shares[m] - TARGET[m]) for m in TARGET), 4)


async def figures(
    group_by: str,
    visible: Q,
    registered_from: datetime | None = None,
    registered_to: datetime | None = None,
    *,
    department_id: int | None = None,
) -> list[Figures]:
    """`department_id`: count only the tickets transferred to that department (an N department's
    liaison or key sees those tickets only; Authorizer.figures_department)."""
    query = Ticket.filter(visible)
    if department_id is not None:
        query = query.filter(department_id=department_id)
    if registered_from is not None:
        query = query.filter(registered_at__gte=local(registered_from))
    if registered_to is not None:
        query = query.filter(registered_at__lt=local(registered_to))
    key = GROUP_FIELDS[group_by]
    now = clock.now()
    counts = {
        "received": Count("id"),
        "resolved": Count("id", _filter=Q(resolved_at__isnull=False)),
        "service": Count("id", _filter=Q(resolution_method=ResolutionMethod.SERVICE)),
        "management": Count("id", _filter=Q(resolution_method=ResolutionMethod.MANAGEMENT)),
        "enforcement": Count("id", _filter=Q(resolution_method=ResolutionMethod.ENFORCEMENT)),
        # the three rates' parts (server.stats.rates), in the same statement
        "responded": Count("id", _filter=Q(dispatched_at__isnull=False)),
        "responded_late": Count("id", _filter=Q(dispatched_at__gt=F("response_due"))),
        "awaiting_response_late": Count(
            "id", _filter=Q(status=TicketStatus.REGISTERED, response_due__lt=now)
        ),
        "overdue": Count("id", _filter=Q(status__in=list(OPEN), resolution_due__lt=now)),
    }
    if key is None:
        rows = await query.annotate(**counts).values(*counts)
        result = [_figures(None, "东莞市 (Dongguan)", rows[0] if rows else dict.fromkeys(counts, 0))]
    else:
        rows = await query.annotate(**counts).group_by(key).values(key, *counts)
        result = [_figures(r[key], "", r) for r in rows]
    await _add_visits(query, key, {f.key: f for f in result})
    if group_by == "TOWN":
        result = _roll_up_to_towns(result)
    await _label(group_by, result)
    return sorted(result, key=lambda f: (-f.received, f.label))


def _figures(key: int | None, label: str, row: dict[str, Any]) -> Figures:
    def n(name: str) -> int:
        return int(row[name] or 0)

    late = n("responded_late")
    rates = RateCounts(
        responded_on_time=n("responded") - late,
        responded_late=late,
        awaiting_response_late=n("awaiting_response_late"),
        resolved=n("resolved"),
        overdue=n("overdue"),
    )
    return Figures(
        key, label, n("received"), n("resolved"), n("service"), n("management"), n("enforcement"), rates
    )


async def _add_visits(tickets: QuerySet[Ticket], key: str | None, groups: dict[int | None, Figures]) -> None:
    """Return visits to the tickets counted, by the tickets' group and the visit's outcome."""
    column = f"ticket__{key}" if key else None
    query = ReturnVisit.filter(ticket_id__in=Subquery(tickets.values("id"))).annotate(n=Count("id"))
    fields = [c for c in (column,) if c] + ["reached", "rating"]
    for row in await query.group_by(*fields).values(*fields, "n"):
        group = groups.get(row[column] if column else None)
        if group is None:
            continue
        rating = getattr(row["rating"], "value", row["rating"])
        n = int(row["n"])
        if not row["reached"] or not rating:
            group.rates.visits_unreached += n
        elif rating == "SATISFIED":
            group.rates.visits_satisfied += n
        elif rating == "BASICALLY_SATISFIED":
            group.rates.visits_basically_satisfied += n
        else:
            group.rates.visits_dissatisfied += n


def _roll_up_to_towns(rows: list[Figures]) -> list[Figures]:
    towns: dict[str, Figures] = {}
    for row in rows:
        code = engine.tree.code(row.key or 0) or ""
        town_code = "/".join(code.split("/")[:2])
        town = towns.setdefault(town_code, Figures(engine.tree.id_by_code.get(town_code), "", 0, 0, 0, 0, 0))
        for name in ("received", "resolved", "service", "management", "enforcement"):
            setattr(town, name, getattr(town, name) + getattr(row, name))
        town.rates.add(row.rates)
    return list(towns.values())


async def _label(group_by: str, rows: list[Figures]) -> None:
    keys = [r.key for r in rows if r.key is not None]
    if group_by == "STATION":
        names = dict(await Station.filter(id__in=keys).values_list("id", "name"))
    elif group_by == "AREA_CHIEF":
        names = dict(await Staff.filter(id__in=keys).values_list("id", "name"))
    else:
        names = dict(await Jurisdiction.filter(id__in=keys).values_list("id", "name"))
    for row in rows:
        row.label = names.get(row.key, "（未指定 none）") if row.key is not None else "（未指定 none）"
