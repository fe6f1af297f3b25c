"""What a proposal delivered: the stations credited to it and what they did (tickets received and
resolved, median resolution time, the 721 split of service / management / enforcement).

Figures for any number of stations cost two statements: one GROUP BY station_id for the counts,
and one for the medians. The median is computed in SQL with window functions (ROW_NUMBER and
COUNT over PARTITION BY station_id, then the mean of the one or two middle rows), which SQLite
(≥ 3.25) and PostgreSQL both run; only the duration of a ticket is spelt per dialect. Fetching the
durations into Python instead would move every resolved ticket of every credited station over the
wire: at a million tickets a year, far too many rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tortoise.expressions import Q, RawSQL
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from server.enums import ResolutionMethod
from server.tickets.models import Ticket

# Minutes from registration to resolution, per dialect. SQLite keeps datetimes as ISO text with
# their offset, which julianday() understands; rounding to the second removes its float noise.
_MINUTES = {
    "sqlite": 'ROUND((julianday("ticket"."resolved_at") - julianday("ticket"."registered_at")) * 86400)'
    " / 60.0",
    "postgres": 'EXTRACT(EPOCH FROM ("ticket"."resolved_at" - "ticket"."registered_at")) / 60.0',
}

_MEDIAN = """SELECT station_id, AVG(minutes) AS median FROM (
  SELECT station_id, minutes,
         ROW_NUMBER() OVER (PARTITION BY station_id ORDER BY minutes) AS position,
         COUNT(*) OVER (PARTITION BY station_id) AS total
  FROM ({durations}) AS durations
) AS ranked
WHERE position IN ((total + 1) / 2, (total + 2) / 2)
GROUP BY station_id"""

_METHOD_COLUMNS = {
    ResolutionMethod.SERVICE: "service",
    ResolutionMethod.MANAGEMENT: "management",
    ResolutionMethod.ENFORCEMENT: "enforcement",
}


@dataclass(frozen=True)
class TicketFigures:
    received: int = 0
    resolved: int = 0
    median_resolution_minutes: float | None = None
    by_method: dict[ResolutionMethod, int] = field(default_factory=lambda: dict.fromkeys(ResolutionMethod, 0))


async def ticket_figures(station_ids: Sequence[int], *, visible: Q) -> dict[int, TicketFigures]:
    """Figures per station over the tickets matching `visible` (the caller's statistics scope)."""
    ids = sorted(set(station_ids))
    if not ids:
        return {}
    resolved = Q(resolved_at__isnull=False)
    tickets = Ticket.filter(visible, station_id__in=ids)
    counts = (
        await tickets.annotate(
            received=Count("id"),
            resolved=Count("id", _filter=resolved),
            **{
                column: Count("id", _filter=resolved & Q(resolution_method=method))
                for method, column in _METHOD_COLUMNS.items()
            },
        )
        .group_by("station_id")
        .values("station_id", "received", "resolved", *_METHOD_COLUMNS.values())
    )
    medians = await _medians(tickets.filter(resolved))
    return {
        row["station_id"]: TicketFigures(
            received=row["received"],
            resolved=row["resolved"],
            median_resolution_minutes=medians.get(row["station_id"]),
            by_method={method: int(row[column]) for method, column in _METHOD_COLUMNS.items()},
        )
        for row in counts
    }


async def _medians(resolved_tickets: QuerySet[Ticket]) -> dict[int, float]:
    db = Ticket._meta.db
    dialect = db.capabilities.dialect
    if dialect not in _MINUTES:
        raise NotImplementedError(f"median resolution time is not spelt for {dialect}")
    durations = (
        resolved_tickets.annotate(minutes=RawSQL(_MINUTES[dialect]))
        .values("station_id", "minutes")
        # Only ids and enum names are inlined (the caller's scope and the stations): no user text.
        .sql(params_inline=True)
    )
    rows = await db.execute_query_dict(_MEDIAN.format(durations=durations))
    return {int(row["station_id"]): round(float(row["median"]), 1) for row in rows}
