"""The floor: each operation of the mix answered by hand-written asyncpg SQL, serialized with
`json.dumps` into the same JSON as the GraphQL server's `data`, served by a bare ASGI app under
uvicorn with as many workers as the server gets. bench/run compares its answers with the server's
(same data) and times both under the same load.

    LIANXIN_BENCH_DATABASE_URL=postgresql://… uvicorn bench.floor:app --workers 2 --port 8101
    POST /floor/<operation>   {"variables": {…}}

No authentication and no per-request authorization: the caller's scope (Chang'an for the area
chief, everything for the bureau, non-drafts or their own for the deputy) is looked up once at
start and written into the SQL, as a hand-written endpoint for that one caller would. That is the
floor's advantage, and part of what the ratio measures.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg

from bench.mix import BY_NAME
from server.clock import CITY_TZ
from server.enums import LABELS_ZH, PostingRole, StationKind, StationStatus

OPEN = ["REGISTERED", "DISPATCHED", "ON_SITE", "TRANSFERRED"]
METHODS = ("SERVICE", "MANAGEMENT", "ENFORCEMENT")


def iso(value: datetime | None) -> str | None:
    """As the server writes a DateTime: ISO 8601 in Dongguan time."""
    return None if value is None else value.astimezone(CITY_TZ).isoformat()


class Scope:
    """Looked up once: what the three demo callers of the mix may see."""

    changan_id: int
    changan_ids: list[int]
    city_id: int
    deputy_id: int
    page_1999_last: asyncpg.Record | None = None  # (registered_at, id): see closed_tickets_page_2000

    async def load(self, conn: asyncpg.Connection) -> None:
        self.changan_id = await conn.fetchval("SELECT id FROM jurisdiction WHERE code = 'dongguan/changan'")
        self.changan_ids = [
            r[0]
            for r in await conn.fetch(
                "SELECT id FROM jurisdiction "
                "WHERE code = 'dongguan/changan' OR code LIKE 'dongguan/changan/%'"
            )
        ]
        self.city_id = await conn.fetchval("SELECT id FROM jurisdiction WHERE code = 'dongguan'")
        self.deputy_id = await conn.fetchval("SELECT deputy_id FROM app_user WHERE username = 'deputy'")


Floor = Callable[[asyncpg.Connection, Scope, dict[str, Any]], Awaitable[dict[str, Any]]]


async def stations_page(conn: asyncpg.Connection, scope: Scope, variables: dict[str, Any]) -> dict[str, Any]:
    rows = await conn.fetch(
        "SELECT s.id, s.code, s.name, s.kind, s.status, j.name AS jurisdiction FROM station s "
        "JOIN jurisdiction j ON j.id = s.jurisdiction_id ORDER BY s.id LIMIT $1",
        BY_NAME["stations_page"].page,
    )
    total = await conn.fetchval("SELECT COUNT(*) FROM station")
    postings: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    for posting in await conn.fetch(
        "SELECT p.station_id, p.role, st.name FROM posting p LEFT JOIN staff st ON st.id = p.staff_id "
        "WHERE p.station_id = ANY($1::int[]) ORDER BY p.id",
        list(postings),
    ):
        postings[posting["station_id"]].append(
            {
                "role": posting["role"],
                "roleLabel": LABELS_ZH.get((PostingRole, posting["role"])),
                "staff": None if posting["name"] is None else {"name": posting["name"]},
            }
        )
    return {
        "stations": {
            "totalCount": total,
            "nodes": [
                {
                    "code": r["code"],
                    "name": r["name"],
                    "kind": r["kind"],
                    "status": r["status"],
                    "kindLabel": LABELS_ZH.get((StationKind, r["kind"])),
                    "jurisdiction": {"name": r["jurisdiction"]},
                    "postings": postings[r["id"]],
                }
                for r in rows
            ],
        }
    }


async def chief_queue(conn: asyncpg.Connection, scope: Scope, variables: dict[str, Any]) -> dict[str, Any]:
    overdue = "AND t.resolution_due < now() " if variables.get("overdue") else ""
    rows = await conn.fetch(
        "SELECT t.number, t.status, t.resolution_due, s.name AS station, j.name AS jurisdiction, "
        "le.action, le.at FROM ticket t "
        "LEFT JOIN station s ON s.id = t.station_id AND s.jurisdiction_id = ANY($1::int[]) "
        "JOIN jurisdiction j ON j.id = t.jurisdiction_id "
        "LEFT JOIN LATERAL (SELECT e.action, e.at FROM ticket_event e WHERE e.ticket_id = t.id "
        "ORDER BY e.id DESC LIMIT 1) le ON true "
        f"WHERE t.status = 'DISPATCHED' AND t.jurisdiction_id = ANY($1::int[]) {overdue}"
        "ORDER BY t.resolution_due, t.id LIMIT $2",
        scope.changan_ids,
        BY_NAME["chief_queue"].page,
    )
    return {
        "tickets": {
            "nodes": [
                {
                    "number": r["number"],
                    "status": r["status"],
                    "resolutionDue": iso(r["resolution_due"]),
                    "station": None if r["station"] is None else {"name": r["station"]},
                    "jurisdiction": {"name": r["jurisdiction"]},
                    "latestEvent": None
                    if r["action"] is None
                    else {"action": r["action"], "at": iso(r["at"])},
                }
                for r in rows
            ]
        }
    }


async def ticket_history(conn: asyncpg.Connection, scope: Scope, variables: dict[str, Any]) -> dict[str, Any]:
    ticket = await conn.fetchrow(
        "SELECT t.id, t.number, t.status, t.source, t.registered_at, t.resolution_due, t.resolved_at, "
        "t.resolution_method, c.name AS category, s.name AS station, j.name AS jurisdiction, "
        "a.name AS assignee "
        "FROM ticket t JOIN ticket_category c ON c.id = t.category_id "
        "LEFT JOIN station s ON s.id = t.station_id AND s.jurisdiction_id = ANY($2::int[]) "
        "JOIN jurisdiction j ON j.id = t.jurisdiction_id "
        "LEFT JOIN staff a ON a.id = t.assignee_id AND a.jurisdiction_id = ANY($2::int[]) "
        "WHERE t.number = $1 AND t.jurisdiction_id = ANY($2::int[])",
        variables["number"],
        scope.changan_ids,
    )
    if ticket is None:
        return {"ticket": None}
    events = await conn.fetch(
        "SELECT actor, action, from_status, to_status, comment, at FROM ticket_event "
        "WHERE ticket_id = $1 ORDER BY id",
        ticket["id"],
    )
    return {
        "ticket": {
            "number": ticket["number"],
            "status": ticket["status"],
            "source": ticket["source"],
            "registeredAt": iso(ticket["registered_at"]),
            "resolutionDue": iso(ticket["resolution_due"]),
            "resolvedAt": iso(ticket["resolved_at"]),
            "resolutionMethod": ticket["resolution_method"],
            "category": {"name": ticket["category"]},
            "station": None if ticket["station"] is None else {"name": ticket["station"]},
            "jurisdiction": {"name": ticket["jurisdiction"]},
            "assignee": None if ticket["assignee"] is None else {"name": ticket["assignee"]},
            "history": [
                {
                    "actor": e["actor"],
                    "action": e["action"],
                    "fromStatus": e["from_status"],
                    "toStatus": e["to_status"],
                    "comment": e["comment"],
                    "at": iso(e["at"]),
                }
                for e in events
            ],
        }
    }


KEYSET_PAGE, KEYSET_PAGE_SIZE = 2_000, 50


async def closed_tickets_page_2000(
    conn: asyncpg.Connection, scope: Scope, variables: dict[str, Any]
) -> dict[str, Any]:
    """Page 2,000 of the city's CLOSED tickets, newest first, 50 a page, by keyset: the bureau's
    `tickets(filter: {status: CLOSED}, first: 50, after: <cursor of page 1,999>) { nodes { number
    status registeredAt } }`. A client walking the pages holds the last row's key of page 1,999;
    the floor looks it up once (OFFSET 99,949, the first time it is asked) and keeps it, as it keeps
    the callers' scopes, so that each request is only the keyset page."""
    if scope.page_1999_last is None:
        scope.page_1999_last = await conn.fetchrow(
            "SELECT registered_at, id FROM ticket WHERE status = 'CLOSED' "
            "ORDER BY registered_at DESC, id DESC OFFSET $1 LIMIT 1",
            (KEYSET_PAGE - 1) * KEYSET_PAGE_SIZE - 1,
        )
    if scope.page_1999_last is None:  # fewer than 1,999 pages: page 2,000 is empty
        return {"tickets": {"nodes": []}}
    rows = await conn.fetch(
        "SELECT number, status, registered_at FROM ticket "
        "WHERE status = 'CLOSED' AND (registered_at, id) < ($1, $2) "
        "ORDER BY registered_at DESC, id DESC LIMIT $3",
        scope.page_1999_last["registered_at"],
        scope.page_1999_last["id"],
        KEYSET_PAGE_SIZE,
    )
    return {
        "tickets": {
            "nodes": [
                {"number": r["number"], "status": r["status"], "registeredAt": iso(r["registered_at"])}
                for r in rows
            ]
        }
    }


async def deputy_oversight(
    conn: asyncpg.Connection, scope: Scope, variables: dict[str, Any]
) -> dict[str, Any]:
    proposals = await conn.fetch(
        "SELECT id, number, title, status, reply_due FROM proposal "
        "WHERE (status <> 'DRAFT' OR author_id = $2) AND (number ILIKE $1 OR title ILIKE $1) "
        "ORDER BY id LIMIT $3",
        f"%{variables['search']}%",
        scope.deputy_id,
        BY_NAME["deputy_oversight"].page,
    )
    stations = await conn.fetch(
        "SELECT id, name, proposal_id FROM station WHERE proposal_id = ANY($1::int[]) ORDER BY id",
        [p["id"] for p in proposals],
    )
    figures = {
        r["station_id"]: r
        for r in await conn.fetch(
            "SELECT station_id, COUNT(*) AS received, COUNT(resolved_at) AS resolved, "
            + ", ".join(
                f"COUNT(*) FILTER (WHERE resolved_at IS NOT NULL AND resolution_method = '{m}') "
                f"AS {m.lower()}"
                for m in METHODS
            )
            + ", percentile_cont(0.5) WITHIN GROUP "
            "(ORDER BY EXTRACT(EPOCH FROM (resolved_at - registered_at)) / 60.0)"
            " FILTER (WHERE resolved_at IS NOT NULL) AS median "
            "FROM ticket WHERE station_id = ANY($1::int[]) GROUP BY station_id",
            [s["id"] for s in stations],
        )
    }
    by_proposal: dict[int, list[dict[str, Any]]] = {p["id"]: [] for p in proposals}
    for station in stations:
        station_figures = figures.get(station["id"])
        resolved = station_figures["resolved"] if station_figures else 0
        by_proposal[station["proposal_id"]].append(
            {
                "station": {"name": station["name"]},
                "tickets": {
                    "received": station_figures["received"] if station_figures else 0,
                    "resolved": resolved,
                    "medianResolutionMinutes": round(float(station_figures["median"]), 1)
                    if station_figures and station_figures["median"] is not None
                    else None,
                    "split": [
                        {
                            "method": m,
                            "count": station_figures[m.lower()] if station_figures else 0,
                            "share": round(station_figures[m.lower()] / resolved, 4)
                            if station_figures and resolved
                            else None,
                        }
                        for m in METHODS
                    ],
                },
            }
        )
    return {
        "proposals": {
            "nodes": [
                {
                    "number": p["number"],
                    "title": p["title"],
                    "status": p["status"],
                    "replyDue": p["reply_due"].isoformat() if p["reply_due"] else None,
                    "outcomes": by_proposal[p["id"]],
                }
                for p in proposals
            ]
        }
    }


async def _scorecard(
    conn: asyncpg.Connection, place: int, within: list[int] | None, variables: dict[str, Any]
) -> dict[str, Any]:
    """`within` None: the whole city, no condition needed."""
    from server.stats.scorecard import percentiles  # the bucket arithmetic; the SQL is ours

    period_from, period_to = date.fromisoformat(variables["from"]), date.fromisoformat(variables["to"])
    start = datetime.combine(period_from, time.min, CITY_TZ)
    end = datetime.combine(period_to + timedelta(days=1), time.min, CITY_TZ)
    years = list(range(period_from.year, period_to.year + 1))
    where = "" if within is None else "WHERE jurisdiction_id = ANY($1::int[])"
    args: list[Any] = [] if within is None else [within]
    stations = await conn.fetch(
        f"SELECT kind, status, COUNT(*) AS n FROM station {where} GROUP BY kind, status", *args
    )
    targets = await conn.fetch(
        "SELECT year, kind, target, note FROM station_target "
        "WHERE jurisdiction_id = $1 AND year = ANY($2::int[]) "
        "ORDER BY id",
        place,
        years,
    )
    progress = {}
    if targets:
        cond = "planned_year = ANY($1::int[])" + (
            "" if within is None else " AND jurisdiction_id = ANY($2::int[])"
        )
        for row in await conn.fetch(
            "SELECT planned_year, kind, COUNT(*) AS planned, "
            "COUNT(*) FILTER (WHERE status = 'OPERATING') AS operating "
            f"FROM station WHERE {cond} GROUP BY planned_year, kind",
            years,
            *args,
        ):
            progress[(row["planned_year"], row["kind"])] = row
    sums = {
        r["metric"]: int(r["total"])
        for r in await conn.fetch(
            "SELECT metric, SUM(count) AS total FROM ticket_rollup WHERE jurisdiction_id = $1 AND day >= $2 "
            "AND day <= $3 GROUP BY metric",
            place,
            period_from,
            period_to,
        )
    }
    cond = "" if within is None else "jurisdiction_id = ANY($4::int[]) AND "
    overdue = await conn.fetchval(
        f"SELECT COUNT(*) FROM ticket WHERE {cond}status = ANY($1::text[]) AND resolution_due < now() "
        "AND registered_at >= $2 AND registered_at < $3",
        OPEN,
        start,
        end,
        *args,
    )
    cond = "" if within is None else "AND p.jurisdiction_id = ANY($3::int[]) "
    replies = await conn.fetch(
        "SELECT r.late, COUNT(*) AS n FROM proposal_reply r JOIN proposal p ON p.id = r.proposal_id "
        f"WHERE r.replied_at >= $1 AND r.replied_at < $2 {cond}GROUP BY r.late",
        start,
        end,
        *args,
    )
    ratings = await conn.fetch(
        "SELECT r.rating, COUNT(*) AS n FROM proposal_rating r JOIN proposal p ON p.id = r.proposal_id "
        f"WHERE r.rated_at >= $1 AND r.rated_at < $2 {cond}GROUP BY r.rating ORDER BY r.rating",
        start,
        end,
        *args,
    )
    name = await conn.fetchval("SELECT name FROM jurisdiction WHERE id = $1", place)
    methods = {m: sums.get(m, 0) for m in METHODS}
    done = sum(methods.values())
    response = percentiles({k[5:]: n for k, n in sums.items() if k.startswith("resp:")})
    resolution = percentiles({k[5:]: n for k, n in sums.items() if k.startswith("reso:")})
    return {
        "scorecard": {
            "periodFrom": period_from.isoformat(),
            "periodTo": period_to.isoformat(),
            "jurisdiction": {"name": name},
            "stations": [
                {"kind": r["kind"], "status": r["status"], "count": r["n"]}
                for r in sorted(stations, key=lambda r: (r["kind"], r["status"]))
            ],
            "stationTargets": [
                {
                    "year": t["year"],
                    "kind": t["kind"],
                    "target": t["target"],
                    "planned": progress[(t["year"], t["kind"])]["planned"]
                    if (t["year"], t["kind"]) in progress
                    else 0,
                    "operating": progress[(t["year"], t["kind"])]["operating"]
                    if (t["year"], t["kind"]) in progress
                    else 0,
                }
                for t in targets
            ],
            "ticketsReceived": sums.get("received", 0),
            "ticketsResolved": sums.get("resolved", 0),
            "ticketsOverdue": overdue,
            "responseTime": {
                "count": response.count,
                "medianMinutes": response.median_minutes,
                "p90Minutes": response.p90_minutes,
            },
            "resolutionTime": {
                "count": resolution.count,
                "medianMinutes": resolution.median_minutes,
                "p90Minutes": resolution.p90_minutes,
            },
            "methodSplit": {
                "service": methods["SERVICE"],
                "management": methods["MANAGEMENT"],
                "enforcement": methods["ENFORCEMENT"],
                **{f"{m.lower()}Share": round(methods[m] / done, 4) if done else None for m in METHODS},
            },
            "proposalsReplied": sum(r["n"] for r in replies),
            "proposalsRepliedOnTime": sum(r["n"] for r in replies if not r["late"]),
            "ratings": [{"rating": r["rating"], "count": r["n"]} for r in ratings],
        }
    }


async def city_scorecard(conn: asyncpg.Connection, scope: Scope, variables: dict[str, Any]) -> dict[str, Any]:
    return await _scorecard(conn, scope.city_id, None, variables)


async def town_scorecard(conn: asyncpg.Connection, scope: Scope, variables: dict[str, Any]) -> dict[str, Any]:
    return await _scorecard(conn, scope.changan_id, scope.changan_ids, variables)


FLOORS: dict[str, Floor] = {
    "stations_page": stations_page,
    "chief_queue": chief_queue,
    "chief_queue_overdue": chief_queue,
    "ticket_history": ticket_history,
    "closed_tickets_page_2000": closed_tickets_page_2000,  # for the mix's keyset operation, when it lands
    "deputy_oversight": deputy_oversight,
    "city_scorecard": city_scorecard,
    "town_scorecard": town_scorecard,
}
_ = StationStatus  # statuses are returned as stored


class FloorApp:
    """A bare ASGI app: no framework between uvicorn and the SQL."""

    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.scope = Scope()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    url = os.environ["LIANXIN_BENCH_DATABASE_URL"]
                    self.pool = await asyncpg.create_pool(url, min_size=2, max_size=10)
                    async with self.pool.acquire() as conn:
                        await self.scope.load(conn)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self.pool is not None:
                        await self.pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        name = scope["path"].rsplit("/", 1)[-1]
        floor = FLOORS.get(name)
        if floor is None or self.pool is None:
            status, payload = 404, b'{"error": "no such operation"}'
        else:
            variables = json.loads(body or b"{}").get("variables") or {}
            async with self.pool.acquire() as conn:
                data = await floor(conn, self.scope, variables)
            status, payload = 200, json.dumps({"data": data}, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


app = FloorApp()
