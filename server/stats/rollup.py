"""Keeping TicketRollup in step with tickets, and recomputing it from scratch.

Each workflow step that changes a figure adds deltas in the ticket's own transaction, as ONE
statement: a multi-row INSERT … ON CONFLICT DO UPDATE (the same SQL on PostgreSQL and SQLite),
for the ticket's community, its town and the city. A concurrent step on a ticket of the same day
and place waits for the row lock instead of losing an update.

Durations go into fixed buckets (minutes); percentiles are read off the buckets by linear
interpolation, so they are exact to within a bucket's width.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from tortoise import connections

from server.authz.engine import engine
from server.clock import CITY_TZ, local

if TYPE_CHECKING:
    from server.tickets.models import Ticket

# Upper bounds of the duration buckets, in minutes; the last bucket is open-ended.
BUCKETS: tuple[int, ...] = (
    5,
    10,
    15,
    20,
    30,
    45,
    60,
    90,
    120,
    180,
    240,
    360,
    480,
    720,
    1440,
    2880,
    4320,
    10080,
    20160,
    43200,
)
METHODS = ("SERVICE", "MANAGEMENT", "ENFORCEMENT")
# Whether the first dispatch came within the response due time (the response rate, 响应率).
RESPONDED_ON_TIME = "resp_on_time"
RESPONDED_LATE = "resp_late"
# Return visits (回访) by outcome (the satisfaction rate, 满意率); metric names fit 24 characters.
VISIT_METRICS = {
    "SATISFIED": "visit:satisfied",
    "BASICALLY_SATISFIED": "visit:basic",
    "DISSATISFIED": "visit:dissatisfied",
}
VISIT_UNREACHED = "visit:unreached"

Delta = tuple[date, int, str, int]  # (registration day, community id, metric, +/-n)


def bucket(minutes: float) -> str:
    for index, bound in enumerate(BUCKETS):
        if minutes < bound:
            return f"{index:02d}"
    return f"{len(BUCKETS):02d}"


def bucket_range(name: str) -> tuple[float, float]:
    index = int(name)
    low = 0.0 if index == 0 else float(BUCKETS[index - 1])
    high = float(BUCKETS[index]) if index < len(BUCKETS) else low * 2
    return low, high


def minutes_between(start: datetime, end: datetime) -> float:
    # Whole milliseconds, as the recomputation's SQL counts them: SQLite's julianday() is a float,
    # and a duration of exactly 15 minutes must fall in the same bucket both ways.
    return round((end - start).total_seconds(), 3) / 60


def day_of(moment: datetime) -> date:
    shown = local(moment)
    if shown is None:  # local() gives None only for None, which mypy cannot see through its type
        raise TypeError("day_of takes a datetime")
    return shown.date()


async def ensure_tree() -> None:
    """Outside a request (CLI, demo load) the policy engine may not have loaded the tree yet."""
    if not engine.tree.code_by_id:
        from server.geo.tree import JurisdictionTree

        engine.tree = await JurisdictionTree.load()


def levels(community_id: int) -> list[int]:
    """The community, its town and the city: every level a scorecard may ask for."""
    code = engine.tree.code(community_id)
    if code is None:
        return [community_id]
    parts = code.split("/")
    ids = [engine.tree.id_by_code.get("/".join(parts[:n])) for n in range(len(parts), 0, -1)]
    return [i for i in ids if i is not None]


async def apply(deltas: Iterable[Delta]) -> None:
    """Add the deltas at every level, in one statement, inside the caller's transaction."""
    rows: dict[tuple[date, int, str], int] = defaultdict(int)
    for day, community_id, metric, count in deltas:
        for jurisdiction_id in levels(community_id):
            rows[(day, jurisdiction_id, metric)] += count
    rows = {k: v for k, v in rows.items() if v}
    if not rows:
        return
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    values, params = [], []
    for position, ((day, jurisdiction_id, metric), count) in enumerate(sorted(rows.items())):
        if postgres:
            values.append(
                f"(${4 * position + 1}, ${4 * position + 2}, ${4 * position + 3}, ${4 * position + 4})"
            )
        else:
            values.append("(?, ?, ?, ?)")
        params += [day if postgres else day.isoformat(), jurisdiction_id, metric, count]
    # Sorted keys: concurrent transactions lock rows in the same order, so they cannot deadlock.
    # Only placeholders are joined into the statement; every value is a bound parameter.
    sql = (
        "INSERT INTO ticket_rollup (day, jurisdiction_id, metric, count) VALUES "  # noqa: S608
        + ", ".join(values)
        + " ON CONFLICT (day, jurisdiction_id, metric)"
        + " DO UPDATE SET count = ticket_rollup.count + excluded.count"
    )
    await conn.execute_query(sql, params)


# What each workflow step changes ------------------------------------------------------------------


def on_register(ticket: Ticket) -> list[Delta]:
    return [(day_of(ticket.registered_at), ticket.jurisdiction_id, "received", 1)]


def on_step(before: Any, after: Any) -> list[Delta]:
    """Deltas between a ticket before and after one step."""
    day, place = day_of(before.registered_at), before.jurisdiction_id
    deltas: list[Delta] = []
    if before.dispatched_at is None and after.dispatched_at is not None:
        deltas.append(
            (day, place, "resp:" + bucket(minutes_between(after.registered_at, after.dispatched_at)), 1)
        )
        deltas.append((day, place, response_timeliness(after.dispatched_at, after.response_due), 1))
    if before.resolved_at is not None and (
        after.resolved_at is None or after.resolution_method != before.resolution_method
    ):
        deltas += _resolution(before, day, place, -1)
    if after.resolved_at is not None and (
        before.resolved_at is None or after.resolution_method != before.resolution_method
    ):
        deltas += _resolution(after, day, place, 1)
    return deltas


def _resolution(ticket: Any, day: date, place: int, sign: int) -> list[Delta]:
    minutes = minutes_between(ticket.registered_at, ticket.resolved_at)
    out = [(day, place, "resolved", sign), (day, place, "reso:" + bucket(minutes), sign)]
    method = getattr(ticket.resolution_method, "value", ticket.resolution_method)
    if method:
        out.append((day, place, str(method), sign))
    return out


def response_timeliness(dispatched_at: datetime, response_due: datetime) -> str:
    """RESPONDED_ON_TIME or RESPONDED_LATE: the first dispatch at or before the response due time
    is on time (to the millisecond, as the recomputation compares them)."""
    late = round((dispatched_at - response_due).total_seconds(), 3) > 0
    return RESPONDED_LATE if late else RESPONDED_ON_TIME


def on_visit(ticket: Any, visit: Any) -> list[Delta]:
    """A return visit counts on its ticket's registration day and place: reached with its rating,
    or not reached. Visits are never changed or deleted, so nothing is ever taken back."""
    rating = getattr(visit.rating, "value", visit.rating)
    metric = VISIT_METRICS[str(rating)] if visit.reached and rating else VISIT_UNREACHED
    return [(day_of(ticket.registered_at), ticket.jurisdiction_id, metric, 1)]


# From scratch ------------------------------------------------------------------------------------


def _minutes_sql(dialect: str, start: str, end: str) -> str:
    if dialect == "postgres":
        return f"ROUND(EXTRACT(EPOCH FROM ({end} - {start})), 3) / 60.0"
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3) / 60.0"


def _day_sql(dialect: str) -> str:
    if dialect == "postgres":
        return f"CAST(registered_at AT TIME ZONE '{CITY_TZ.key}' AS DATE)"
    return "substr(registered_at, 1, 10)"  # stored as local time with its +08:00 offset


def _bucket_sql(minutes: str) -> str:
    cases = " ".join(f"WHEN {minutes} < {bound} THEN '{i:02d}'" for i, bound in enumerate(BUCKETS))
    return f"CASE {cases} ELSE '{len(BUCKETS):02d}' END"


async def recompute() -> dict[tuple[date, int, str], int]:
    """Every rollup row, computed afresh from the ticket table by GROUP BY at the community level,
    then added up to towns and the city."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    day_sql = _day_sql(dialect)
    resp = _bucket_sql(_minutes_sql(dialect, "registered_at", "dispatched_at"))
    reso = _bucket_sql(_minutes_sql(dialect, "registered_at", "resolved_at"))
    late = _minutes_sql(dialect, "response_due", "dispatched_at")
    outcomes = " ".join(
        f"WHEN v.rating = '{rating}' THEN '{metric}'" for rating, metric in VISIT_METRICS.items()
    )
    visit = (
        f"CASE WHEN v.reached AND v.rating IS NOT NULL THEN (CASE {outcomes} END) "
        f"ELSE '{VISIT_UNREACHED}' END"
    )
    # Each statement is built from fixed SQL fragments (the dialect's day and bucket expressions);
    # nothing from a request is interpolated and none takes a parameter.
    queries = [
        (
            f"SELECT {day_sql} AS d, jurisdiction_id AS j, 'received' AS m, COUNT(*) AS n "  # noqa: S608
            "FROM ticket GROUP BY 1, 2"
        ),
        (
            f"SELECT {day_sql}, jurisdiction_id, 'resolved', COUNT(*) FROM ticket "  # noqa: S608
            "WHERE resolved_at IS NOT NULL GROUP BY 1, 2"
        ),
        (
            f"SELECT {day_sql}, jurisdiction_id, resolution_method, COUNT(*) FROM ticket "  # noqa: S608
            "WHERE resolved_at IS NOT NULL AND resolution_method IS NOT NULL GROUP BY 1, 2, 3"
        ),
        (
            f"SELECT {day_sql}, jurisdiction_id, 'resp:' || {resp}, COUNT(*) FROM ticket "  # noqa: S608
            "WHERE dispatched_at IS NOT NULL GROUP BY 1, 2, 3"
        ),
        (
            f"SELECT {day_sql}, jurisdiction_id, 'reso:' || {reso}, COUNT(*) FROM ticket "  # noqa: S608
            "WHERE resolved_at IS NOT NULL GROUP BY 1, 2, 3"
        ),
        (
            f"SELECT {day_sql}, jurisdiction_id, CASE WHEN {late} > 0 "  # noqa: S608
            f"THEN '{RESPONDED_LATE}' ELSE '{RESPONDED_ON_TIME}' END, COUNT(*) FROM ticket "
            "WHERE dispatched_at IS NOT NULL GROUP BY 1, 2, 3"
        ),
        (
            f"SELECT {day_sql}, t.jurisdiction_id, {visit}, COUNT(*) "  # noqa: S608
            "FROM return_visit v JOIN ticket t ON t.id = v.ticket_id GROUP BY 1, 2, 3"
        ),
    ]
    await ensure_tree()
    totals: dict[tuple[date, int, str], int] = defaultdict(int)
    for sql in queries:
        for row in await conn.execute_query_dict(sql):
            raw_day, jurisdiction, metric, count = (row[k] for k in row)
            day = raw_day if isinstance(raw_day, date) else date.fromisoformat(str(raw_day))
            for jurisdiction_id in levels(int(jurisdiction)):
                totals[(day, jurisdiction_id, str(metric))] += int(count)
    return dict(totals)


async def stored() -> dict[tuple[date, int, str], int]:
    from server.stats.models import TicketRollup

    rows = await TicketRollup.filter(count__not=0).values_list("day", "jurisdiction_id", "metric", "count")
    return {(d if isinstance(d, date) else date.fromisoformat(str(d)), j, m): n for d, j, m, n in rows}


async def rebuild() -> int:
    """Replace every rollup row with a fresh recomputation (after bulk loads)."""
    from tortoise.transactions import in_transaction

    from server.stats.models import TicketRollup

    totals = await recompute()
    async with in_transaction():
        await TicketRollup.all().delete()
        await TicketRollup.bulk_create(
            [TicketRollup(day=d, jurisdiction_id=j, metric=m, count=n) for (d, j, m), n in totals.items()],
            batch_size=5000,
        )
    return len(totals)
