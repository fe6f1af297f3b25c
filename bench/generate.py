"""Fill a database with a Dongguan-scale dataset for the benchmark, deterministic from a seed.

    bench/generate                       # PostgreSQL lianxin_bench on 127.0.0.1:55432, 1,000,000 tickets
    bench/generate --sqlite              # var/bench/lianxin_bench.sqlite3, 100,000 tickets
    bench/generate --database-url URL --tickets N --seed S --until YYYY-MM-DD

The database is recreated (its name must contain "bench"), migrated with `lianxin migrate` and
given the demo data with `lianxin demo` (jurisdictions, stations, departments, demo accounts,
policy). On top of that come, by bulk load: staff up to 5,000 with their postings, deputies,
proposals up to 3,000 with units, tasks, replies, ratings, contacts and histories, stations
credited to them, and the tickets over the `--days` (730) before `--until` with their histories,
the ticket_counter rows and the ticket_rollup figures. PostgreSQL gets COPY (asyncpg
copy_records_to_table), SQLite executemany, in batches so that memory stays modest.

The data is a function of (seed, until, the sizes): the same arguments give the same rows. `until`
defaults to today (Dongguan time) so that open and overdue tickets look like a live queue; pass it
explicitly to reproduce a dataset exactly.

Distributions (see docs/benchmarks.md): tickets per day grow over the two years, dip at weekends
and follow the hours of the day; communities get lognormal weights; categories follow the demo's
weights; sources are walk-in (where the community has a station), 12345 hotline, patrol and
department; most tickets are dispatched, handled and resolved well within the category's time, a
lognormal tail resolves late, a few stay stuck open (overdue and escalated); resolved tickets
split about 70/20/10 between service, management and enforcement, each town a little off; some
are rejected, marked duplicate, transferred to an N department or reopened after an unsatisfied
citizen. Append-only history tables only ever get INSERTs.

Histories are walks through the workflow tables (server/tickets/workflow.py,
server/proposals/workflow.py): a ticket's life is drawn as the statuses it reaches and the table
gives the actions that lead there (the fewest), a proposal's as its actions in time order and the
table gives each its states. A changed table changes the generated histories; a life it no longer
allows stops the generator instead of writing a history the API could not have written.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import functools
import json
import math
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from server import demo_data as demo
from server.clock import CITY_TZ
from server.enums import ProposalStatus, TicketStatus
from server.proposals import workflow as proposal_workflow
from server.tickets import workflow as ticket_workflow

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:55432/lianxin_bench"
DEFAULT_SQLITE_PATH = ROOT / "var" / "bench" / "lianxin_bench.sqlite3"
SEED = 20220110
BATCH_TICKETS = 20_000

# Roughly how often each kind of problem is reported (the demo loader's weights).
CATEGORY_WEIGHTS = {
    "occupying_road": 4,
    "illegal_parking": 3,
    "littering": 2,
    "garbage_overflow": 2,
    "illegal_advertising": 2,
    "illegal_construction": 1,
    "noise": 1,
    "damaged_facility": 2,
    "green_space": 1,
}
METHOD_JSON = {m: f'{{"method":"{m}"}}' for m in ("SERVICE", "MANAGEMENT", "ENFORCEMENT")}
SATISFIED_JSON, UNSATISFIED_JSON = '{"satisfied":true}', '{"satisfied":false}'
SOURCE_JSON = {s: f'{{"source":"{s}"}}' for s in ("WALK_IN", "HOTLINE_12345", "PATROL", "DEPARTMENT")}
RESOLUTION_NOTES = {
    "SERVICE": "现场劝导，当事人自行整改 (persuaded on site; fixed voluntarily)",
    "MANAGEMENT": "责令限期整改并复查 (ordered to fix it by a deadline; re-checked)",
    "ENFORCEMENT": "依法立案查处 (case opened and penalised according to law)",
}
# Share of the day's tickets registered in each hour (city time): quiet at night, busy by day.
HOURLY = (1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 10, 8, 8, 10, 11, 11, 10, 9, 8, 6, 4, 3, 2)
PROPOSAL_TOPICS = (
    ("推进城市服务驿站建设", True),
    ("在驿站增设户外劳动者休息服务", True),
    ("完善社区城管服务工作站值守机制", True),
    ("规范占道经营管理", False),
    ("加强背街小巷环境卫生整治", False),
    ("优化垃圾分类收运体系", False),
    ("治理城区违规停车", False),
    ("加强违法建设查处", False),
    ("提升市政设施维护水平", False),
    ("增设公共饮水点", True),
    ("整治夜间施工噪音", False),
    ("加强公园绿地养护", False),
    ("推广“721工作法”", True),
    ("完善12345热线与城管工单衔接", False),
    ("推动部门服务进驻驿站（1+N）", True),
)
PROPOSAL_CATEGORIES = ("城市管理", "城市管理", "城市管理", "生态环境", "交通出行", "民生服务")


def columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# A ticket's move: when, who, where to (a status, or an action that keeps it), comment, data,
# and the columns it sets.
Move = tuple[datetime, str, str, str, Any, dict[str, Any]]


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)


# ---- databases ------------------------------------------------------------------------------------


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Writer:
    """The few things the generator asks of a database."""

    dialect: str

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def execute(self, sql: str) -> None:
        raise NotImplementedError

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """`sql` written with $1, $2 … placeholders."""
        raise NotImplementedError

    async def required_columns(self, table: str) -> set[str]:
        """NOT NULL columns without a default."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class PostgresWriter(Writer):
    dialect = "postgres"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self.conn.fetch(sql)]

    async def execute(self, sql: str) -> None:
        await self.conn.execute(sql)

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            await self.conn.copy_records_to_table(table, records=rows, columns=list(columns))

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            await self.conn.executemany(sql, rows)

    async def required_columns(self, table: str) -> set[str]:
        found = await self.conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = $1 AND is_nullable = 'NO' AND column_default IS NULL",
            table,
        )
        return {r[0] for r in found}

    async def close(self) -> None:
        await self.conn.close()


class SqliteWriter(Writer):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        import sqlite3

        # Stored as Tortoise stores them: datetimes as local time with their +08:00 offset.
        sqlite3.register_adapter(datetime, lambda v: v.isoformat(" "))
        sqlite3.register_adapter(date, lambda v: v.isoformat())
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = OFF")

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.conn.execute(sql).fetchall()]

    async def execute(self, sql: str) -> None:
        self.conn.executescript(sql)

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
        self.conn.execute("BEGIN")
        self.conn.executemany(sql, rows)
        self.conn.execute("COMMIT")

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        import re

        if not rows:
            return
        self.conn.execute("BEGIN")
        self.conn.executemany(re.sub(r"\$\d+", "?", sql), rows)
        self.conn.execute("COMMIT")

    async def required_columns(self, table: str) -> set[str]:
        info = self.conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        return {
            name for _cid, name, _type, notnull, default, pk in info if notnull and default is None and not pk
        }

    async def close(self) -> None:
        self.conn.close()


def sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite://") :])


def _remove_sqlite_files(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


async def recreate(url: str, started: float) -> None:
    """A fresh, empty database; refuses any whose name does not say it is for benchmarks."""
    if url.startswith("sqlite://"):
        path = sqlite_path(url)
        if "bench" not in path.name:
            raise SystemExit(f"refusing to replace {path}: its name must contain 'bench'")
        await asyncio.to_thread(_remove_sqlite_files, path)
        log(f"fresh SQLite file {path}", started)
        return
    import asyncpg

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    log(f"fresh PostgreSQL database {name}", started)


def lianxin(command: str, url: str, started: float) -> None:
    """`lianxin migrate` / `lianxin demo` against the bench database."""
    env = {**os.environ, "LIANXIN_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "lianxin.cli", command], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"lianxin {command} failed")
    log(
        f"lianxin {command}: {result.stdout.strip().splitlines()[-1] if result.stdout.strip() else 'done'}",
        started,
    )


async def open_writer(url: str) -> Writer:
    if url.startswith("sqlite://"):
        return SqliteWriter(sqlite_path(url))
    import asyncpg

    return PostgresWriter(await asyncpg.connect(url.replace("asyncpg://", "postgresql://")))


# ---- what the demo left -------------------------------------------------------------------------


@dataclass
class Community:
    id: int
    town_id: int
    code: str
    label: str  # 长安镇厦岗社区
    lat: float
    lon: float
    stations: list[int] = field(default_factory=list)  # operating ones, service stations first
    workstation: int | None = None


@dataclass
class Reference:
    city_id: int
    town_ids: list[int]
    town_slug: dict[int, str]
    communities: list[Community]
    parent: dict[int, int | None]
    stations: dict[int, tuple[str, str, str, int]]  # id → (kind, status, level, jurisdiction id)
    departments: dict[str, tuple[int, str]]  # code → (id, kind)
    categories: list[tuple[int, str, int, int]]  # (id, code, response minutes, resolution minutes)
    chief_by_town: dict[int, int]
    staff_name: dict[int, str]
    team_by_town: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    registrars: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    credited: set[int] = field(default_factory=set)


async def read_reference(db: Writer, rng: random.Random) -> Reference:
    towns_by_slug = {t.slug: t for t in demo.TOWNS}
    jurisdictions = await db.rows("SELECT id, code, name, level, parent_id FROM jurisdiction ORDER BY id")
    parent = {j[0]: j[4] for j in jurisdictions}
    city_id = next(j[0] for j in jurisdictions if j[3] == "CITY")
    town_rows = [j for j in jurisdictions if j[3] == "TOWN"]
    town_slug = {j[0]: j[1].split("/")[1] for j in town_rows}
    town_name = {j[0]: j[2] for j in town_rows}
    communities = []
    for jid, code, name, level, parent_id in jurisdictions:
        if level != "COMMUNITY":
            continue
        town = towns_by_slug[town_slug[parent_id]]
        label = name if name.startswith(town_name[parent_id]) else town_name[parent_id] + name
        communities.append(
            Community(
                jid,
                parent_id,
                code,
                label,
                town.lat + rng.uniform(-0.02, 0.02),
                town.lon + rng.uniform(-0.02, 0.02),
            )
        )
    by_id = {c.id: c for c in communities}
    stations = {}
    for sid, kind, status, level, jid in await db.rows(
        "SELECT id, kind, status, level, jurisdiction_id FROM station ORDER BY id"
    ):
        stations[sid] = (kind, status, level, jid)
        if status == "OPERATING" and jid in by_id:
            community = by_id[jid]
            if kind == "SERVICE_STATION":
                community.stations.insert(0, sid)
            else:
                community.stations.append(sid)
                community.workstation = sid
    departments = {
        code: (did, kind) for did, code, kind in await db.rows("SELECT id, code, kind FROM department")
    }
    categories = [
        tuple(r)
        for r in await db.rows(
            "SELECT id, code, response_minutes, resolution_minutes FROM ticket_category ORDER BY id"
        )
    ]
    ref = Reference(
        city_id=city_id,
        town_ids=[t[0] for t in town_rows],
        town_slug=town_slug,
        communities=communities,
        parent=parent,
        stations=stations,
        departments=departments,
        categories=categories,
        chief_by_town={},
        staff_name=dict(await db.rows("SELECT id, name FROM staff")),
    )
    for staff_id, station_id, jid, role in await db.rows(
        "SELECT staff_id, station_id, jurisdiction_id, role FROM posting WHERE ended_on IS NULL ORDER BY id"
    ):
        ref_posting(ref, staff_id, station_id, jid, role)
    ref.credited = {r[0] for r in await db.rows("SELECT id FROM station WHERE proposal_id IS NOT NULL")}
    return ref


def town_of(ref: Reference, jurisdiction_id: int) -> int | None:
    """The town a jurisdiction lies in (itself if it is a town); None for the city."""
    if jurisdiction_id in ref.town_slug:
        return jurisdiction_id
    parent = ref.parent.get(jurisdiction_id)
    return parent if parent in ref.town_slug else None


def ref_posting(ref: Reference, staff_id: int, station_id: int | None, jid: int, role: str) -> None:
    town = town_of(ref, jid)
    if role == "AREA_CHIEF" and town is not None:
        ref.chief_by_town.setdefault(town, staff_id)
    if role == "TEAM_MEMBER" and town is not None:
        ref.team_by_town[town].append(staff_id)
    if station_id is not None and role in ("TEAM_MEMBER", "COMMUNITY_WORKER"):
        ref.registrars[station_id].append(staff_id)


async def next_ids(db: Writer, tables: Iterable[str]) -> dict[str, int]:
    ids = {}
    for table in tables:
        ids[table] = int((await db.rows(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))[0][0]) + 1
    return ids


async def check_columns(db: Writer, table: str, columns: Sequence[str]) -> None:
    """Fail clearly when a migration added a required column the generator does not fill."""
    missing = await db.required_columns(table) - set(columns)
    if missing:
        raise SystemExit(
            f"table {table} has required column(s) {sorted(missing)} that bench/generate does not fill: "
            "update bench/generate.py"
        )


# ---- staff and postings ---------------------------------------------------------------------------

STAFF_COLUMNS = columns(
    "id name title work_phone department_id jurisdiction_id active version created_at updated_at"
)
POSTING_COLUMNS = columns(
    "id staff_id station_id jurisdiction_id role department_id started_on ended_on note version "
    "created_at updated_at"
)


async def staff_and_postings(
    db: Writer, ref: Reference, rng: random.Random, target: int, until: date, started: float
) -> None:
    await check_columns(db, "staff", STAFF_COLUMNS)
    await check_columns(db, "posting", POSTING_COLUMNS)
    existing = len(ref.staff_name)
    wanted = max(0, target - existing)
    ids = await next_ids(db, ("staff", "posting"))
    staff_id, posting_id = ids["staff"], ids["posting"]
    bureau = ref.departments["bureau"][0]
    n_departments = [(code, did) for code, (did, kind) in ref.departments.items() if kind == "DEPARTMENT"]
    short = {spec.code: spec.short_name for spec in demo.CITY_DEPARTMENTS}
    communities_by_town: dict[int, list[Community]] = defaultdict(list)
    for c in ref.communities:
        communities_by_town[c.town_id].append(c)
    service_by_town: dict[int, list[int]] = defaultdict(list)
    for sid, (kind, status, _level, jid) in ref.stations.items():
        if status == "OPERATING" and kind == "SERVICE_STATION":
            service_by_town[ref.parent[jid] or 0].append(sid)
    demonstration = [
        sid
        for sid, (kind, status, level, _j) in ref.stations.items()
        if status == "OPERATING" and level == "CITY_DEMONSTRATION"
    ]
    first_day = date(2021, 4, 1)
    span = max(1, (until - timedelta(days=30) - first_day).days)
    staff_rows: list[tuple[Any, ...]] = []
    posting_rows: list[tuple[Any, ...]] = []
    counters: dict[str, int] = defaultdict(int)

    def add(
        name: str, title: str, department: int, home: int, role: str, station: int | None, patch: int
    ) -> None:
        nonlocal staff_id, posting_id
        start = first_day + timedelta(days=rng.randrange(span))
        moment = datetime(start.year, start.month, start.day, 9, tzinfo=CITY_TZ)
        active = rng.random() > 0.02
        staff_rows.append((staff_id, name, title, "", department, home, active, 1, moment, moment))
        if rng.random() < 0.15:  # an earlier posting elsewhere, ended the day before this one
            earlier = start - timedelta(days=rng.randint(120, 700))
            ended = start - timedelta(days=1)
            posting_rows.append(
                (
                    posting_id,
                    staff_id,
                    None,
                    patch,
                    role,
                    department,
                    earlier,
                    ended,
                    "调岗 (moved)",
                    2,
                    moment,
                    moment,
                )
            )
            posting_id += 1
        ended_on = None if active else until - timedelta(days=rng.randint(1, 60))
        posting_rows.append(
            (posting_id, staff_id, station, patch, role, department, start, ended_on, "", 1, moment, moment)
        )
        if active:
            ref_posting(ref, staff_id, station, patch, role)
        ref.staff_name[staff_id] = name
        staff_id += 1
        posting_id += 1

    weights = [len(communities_by_town[t]) for t in ref.town_ids]
    for _ in range(wanted):
        roll = rng.random()
        town = rng.choices(ref.town_ids, weights)[0]
        community = rng.choice(communities_by_town[town])
        if roll < 0.04 and n_departments and demonstration:
            code, did = rng.choice(n_departments)
            counters[code] += 1
            add(
                f"{short.get(code, code)}联络员B{counters[code]:03d}",
                "部门联络员",
                did,
                ref.city_id,
                "DEPARTMENT_LIAISON",
                rng.choice(demonstration),
                ref.city_id,
            )
        elif roll < 0.60:
            counters["team"] += 1
            at_station = rng.random() < 0.4 and service_by_town[town]
            station = rng.choice(service_by_town[town]) if at_station else None
            patch = ref.stations[station][3] if station else community.id
            add(f"城管队员B{counters['team']:04d}", "城管队员", bureau, town, "TEAM_MEMBER", station, patch)
        else:
            counters["worker"] += 1
            government = ref.departments[f"town-{ref.town_slug[town]}"][0]
            station = community.workstation if rng.random() < 0.5 else None
            add(
                f"社区工作人员B{counters['worker']:04d}",
                "社区工作人员",
                government,
                community.id,
                "COMMUNITY_WORKER",
                station,
                community.id,
            )
    await db.insert("staff", STAFF_COLUMNS, staff_rows)
    await db.insert("posting", POSTING_COLUMNS, posting_rows)
    log(
        f"staff: {len(staff_rows)} added ({existing + len(staff_rows)} in all), {len(posting_rows)} postings",
        started,
    )


# ---- deputies and proposals -----------------------------------------------------------------------

DEPUTY_COLUMNS = columns("id name delegation jurisdiction_id")
PROPOSAL_COLUMNS = columns(
    "id number congress_term session title summary body internal_notes status category key_supervision "
    "submitted_at registered_at assigned_at reply_due replied_at closed_at rehandling_count version "
    "created_at updated_at author_id jurisdiction_id"
)
COSIGNER_COLUMNS = columns("id proposal_id deputy_id")
UNIT_COLUMNS = columns("id proposal_id department_id role opinion_due opinion_at opinion")
TASK_COLUMNS = columns(
    "id proposal_id title responsible_unit_id due_on progress status notes completed_at version "
    "created_at updated_at"
)
REPLY_COLUMNS = columns("id proposal_id result body reason replied_by replied_at late contact")
RATING_COLUMNS = columns("id proposal_id reply_id deputy_id rating comment rated_at")
CONTACT_COLUMNS = columns("id proposal_id phase channel summary contacted_by contacted_at")
PROPOSAL_EVENT_COLUMNS = columns("id proposal_id task_id actor action from_status to_status comment data at")


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError


def term_session(year: int) -> tuple[int, int]:
    """The demo puts the 16th congress's 6th and 7th sessions in 2020 and 2021."""
    return (16, year - 2014) if year <= 2021 else (17, year - 2021)


def proposal_walk(
    planned: list[tuple[datetime, str, str, Any, int | None, str]],
) -> list[tuple[datetime, str, str, str, str, Any, int | None, str]]:
    """A proposal's events in time order, each with the states the workflow table gives its action
    from the state before (a new proposal is a DRAFT). An action the table does not allow there is
    an error: the generated histories follow the table, whatever it says."""
    status = ProposalStatus.DRAFT
    events = []
    for at, actor, comment, data, task, action in planned:
        to = proposal_workflow.target(status, action)
        events.append((at, actor, status.value, to.value, comment, data, task, action))
        status = to
    return events


class ProposalBuilder:
    """All rows of the generated proposals, in memory (a few tens of thousands)."""

    def __init__(self, ref: Reference, rng: random.Random, ids: dict[str, int], now: datetime) -> None:
        self.ref, self.rng, self.ids, self.now = ref, rng, ids, now
        self.rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self.station_proposals: list[int] = []  # proposals that may be credited with a station

    def next_id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def build(
        self,
        number: str,
        term: int,
        session: int,
        year: int,
        author: int,
        cosigners: list[int],
        author_actor: str,
    ) -> None:
        rng, now = self.rng, self.now
        pid = self.next_id("proposal")
        topic, about_stations = rng.choice(PROPOSAL_TOPICS)
        # What happens, in any order: (at, actor, comment, data, task id, action). Sorted by time,
        # it is walked through the workflow table, which gives each event its states.
        planned_events: list[tuple[datetime, str, str, Any, int | None, str]] = []
        submitted = datetime(year, 1, 15, 9, tzinfo=CITY_TZ) + timedelta(
            days=rng.randint(0, 40), minutes=rng.randint(0, 480)
        )
        planned_events.append((submitted, author_actor, "", None, None, "submit"))
        lead_code = rng.choices(
            ["bureau", "housing", "ecology", "transport", "market", "publicsecurity"], [50, 10, 10, 15, 10, 5]
        )[0]
        lead = self.ref.departments[lead_code][0]
        lead_actor = "bureau" if lead_code == "bureau" else f"dept:{lead_code}"
        others = [c for c in ("bureau", "housing", "ecology", "transport", "market") if c != lead_code]
        co = rng.sample(others, rng.choice((0, 0, 1, 1, 2)))
        withdrawn = rng.random() < 0.02
        registered = submitted + timedelta(days=rng.randint(5, 15))
        assigned = registered + timedelta(days=rng.randint(3, 10))
        due = add_months(assigned.date(), 3)
        planned = assigned + timedelta(days=rng.randint(7, 20))
        late = rng.random() < 0.15
        replied = (
            datetime(due.year, due.month, due.day, 15, tzinfo=CITY_TZ) + timedelta(days=rng.randint(1, 30))
            if late
            else assigned + timedelta(days=rng.randint(40, 85), hours=rng.randint(0, 6))
        )
        rating = rng.choices(["SATISFIED", "BASICALLY_SATISFIED", "DISSATISFIED"], [80, 16, 4])[0]
        rated = replied + timedelta(days=rng.randint(5, 20))
        second_reply = rated + timedelta(days=rng.randint(10, 28))
        second_rated = second_reply + timedelta(days=rng.randint(5, 15))
        closed = (second_rated if rating == "DISSATISFIED" else rated) + timedelta(days=rng.randint(3, 10))
        key_supervision = rng.random() < 0.05
        unit_rows: list[tuple[Any, ...]] = []
        task_rows: list[list[Any]] = []

        def event(
            at: datetime,
            actor: str,
            action: str,
            comment: str = "",
            data: Any = None,
            task: int | None = None,
        ) -> None:
            if at <= now:
                planned_events.append((at, actor, comment, data, task, action))

        if withdrawn:
            at = submitted + timedelta(days=rng.randint(1, 5))
            event(at, author_actor, "withdraw", "撤回 (withdrawn)")
        else:
            event(registered, "congress", "register")
            if key_supervision:
                event(
                    registered + timedelta(hours=2),
                    "congress",
                    "flag_supervision",
                    "列为重点督办 (key supervision)",
                    {"keySupervision": True},
                )
            event(
                assigned,
                "congress",
                "assign",
                "",
                {"lead": lead_code, "co_handling": co, "reply_due": due.isoformat()},
            )
            if assigned <= now:
                for code in co:
                    opinion_at = assigned + timedelta(days=rng.randint(10, 35))
                    done = opinion_at <= now
                    unit_rows.append(
                        (
                            self.next_id("proposal_unit"),
                            pid,
                            self.ref.departments[code][0],
                            "CO_HANDLING",
                            add_months(assigned.date(), 1),
                            opinion_at if done else None,
                            "同意牵头单位办理意见 (agrees with the lead unit)" if done else "",
                        )
                    )
                    event(
                        opinion_at,
                        f"dept:{code}",
                        "record_opinion",
                        "协办意见 (opinion)",
                        {"unit": code},
                    )
                unit_rows.append((self.next_id("proposal_unit"), pid, lead, "LEAD", None, None, ""))
            event(planned - timedelta(days=3), lead_actor, "contact", "办理前沟通 (before handling)")
            event(
                planned,
                lead_actor,
                "plan",
                f"办理工作方案：{topic}（示例） (work plan)",
            )
            if planned <= now:
                for k in range(rng.randint(2, 5)):
                    tid = self.next_id("handling_task")
                    created = planned + timedelta(days=rng.randint(0, 3), hours=k)
                    task_due = (planned + timedelta(days=rng.randint(30, 80))).date()
                    unit = lead if not co or rng.random() < 0.7 else self.ref.departments[rng.choice(co)][0]
                    task: list[Any] = [
                        tid,
                        pid,
                        f"{topic}：任务{k + 1}（示例任务）",
                        unit,
                        task_due,
                        0,
                        "NOT_STARTED",
                        "",
                        None,
                        1,
                        created,
                        created,
                    ]
                    if created > now:
                        continue  # not created yet (its id stays unused)
                    task_rows.append(task)
                    event(created, lead_actor, "create_task", task[2], None, tid)
                    progress, moment = 0, created
                    while progress < 100:
                        moment += timedelta(days=rng.randint(5, 25))
                        if moment > now:
                            break
                        before = progress
                        progress = min(100, progress + rng.choice((20, 30, 40, 50, 100)))
                        task[5] = progress
                        task[6] = "DONE" if progress == 100 else "IN_PROGRESS"
                        task[8] = moment if progress == 100 else None
                        task[9] += 1
                        task[11] = moment
                        event(
                            moment,
                            lead_actor,
                            "update_task",
                            "",
                            {"progress": [before, progress]},
                            tid,
                        )
            event(
                replied,
                lead_actor,
                "reply",
                "答复 (reply)",
                {"result": "SOLVED" if rating != "DISSATISFIED" else "BEING_SOLVED"},
            )
            event(replied + timedelta(days=2), lead_actor, "contact", "办理后回访 (after the reply)")
            event(rated, author_actor, "rate", "", {"rating": rating})
            if rating == "DISSATISFIED":
                event(rated, "system", "rehandle", "不满意，重新办理 (re-handling)")
                event(
                    second_reply,
                    lead_actor,
                    "reply",
                    "再次答复 (second reply)",
                    {"result": "SOLVED"},
                )
                event(second_rated, author_actor, "rate", "", {"rating": "SATISFIED"})
            event(closed, "congress", "close")
        planned_events.sort(key=lambda e: e[0])
        # (at, actor, from status, to status, comment, data, task id, action)
        events = proposal_walk(planned_events)
        status = events[-1][3]
        reached = {e[7] for e in events}
        replies = [e for e in events if e[7] == "reply"]
        ratings = [e for e in events if e[7] == "rate"]
        reply_ids = []
        for index, e in enumerate(replies):
            rid = self.next_id("proposal_reply")
            reply_ids.append(rid)
            self.rows["proposal_reply"].append(
                (
                    rid,
                    pid,
                    e[5]["result"],
                    f"关于“{topic}”的答复（示例） (reply)",
                    "",
                    e[1],
                    e[0],
                    late and index == 0,
                    "示例联系人 (contact)",
                )
            )
        for index, e in enumerate(ratings):
            self.rows["proposal_rating"].append(
                (
                    self.next_id("proposal_rating"),
                    pid,
                    reply_ids[min(index, len(reply_ids) - 1)],
                    author,
                    e[5]["rating"],
                    "",
                    e[0],
                )
            )
        for e in events:
            if e[7] == "contact":
                phase = "BEFORE" if "before" in e[4] else "AFTER"
                self.rows["proposal_contact"].append(
                    (
                        self.next_id("proposal_contact"),
                        pid,
                        phase,
                        rng.choice(("电话", "座谈", "实地走访")),
                        e[4],
                        e[1],
                        e[0],
                    )
                )
        for e in events:
            self.rows["proposal_event"].append(
                (self.next_id("proposal_event"), pid, e[6], e[1], e[7], e[2], e[3], e[4], _json(e[5]), e[0])
            )
        last = events[-1][0]
        self.rows["proposal"].append(
            (
                pid,
                number,
                term,
                session,
                f"关于{topic}的建议（示例）",
                f"示例建议：{topic}。 (Demo proposal: plainly generated text.)",
                "",
                "",
                status,
                rng.choice(PROPOSAL_CATEGORIES),
                key_supervision and "register" in reached,
                submitted,
                registered if "register" in reached else None,
                assigned if "assign" in reached else None,
                due if "assign" in reached else None,
                replies[0][0] if replies else None,
                closed if "close" in reached else None,
                1 if "rehandle" in reached else 0,
                len(events),
                submitted,
                last,
                author,
                self.ref.city_id,
            )
        )
        for cosigner in cosigners:
            self.rows["proposal_cosigner"].append((self.next_id("proposal_cosigner"), pid, cosigner))
        self.rows["proposal_unit"] += unit_rows
        self.rows["handling_task"] += [tuple(t) for t in task_rows]
        if about_stations and "plan" in reached:
            self.station_proposals.append(pid)


async def deputies_and_proposals(
    db: Writer,
    ref: Reference,
    rng: random.Random,
    n_proposals: int,
    n_deputies: int,
    now: datetime,
    started: float,
) -> None:
    for table, columns in (
        ("deputy", DEPUTY_COLUMNS),
        ("proposal", PROPOSAL_COLUMNS),
        ("proposal_cosigner", COSIGNER_COLUMNS),
        ("proposal_unit", UNIT_COLUMNS),
        ("handling_task", TASK_COLUMNS),
        ("proposal_reply", REPLY_COLUMNS),
        ("proposal_rating", RATING_COLUMNS),
        ("proposal_contact", CONTACT_COLUMNS),
        ("proposal_event", PROPOSAL_EVENT_COLUMNS),
    ):
        await check_columns(db, table, columns)
    ids = await next_ids(
        db,
        (
            "deputy",
            "proposal",
            "proposal_cosigner",
            "proposal_unit",
            "handling_task",
            "proposal_reply",
            "proposal_rating",
            "proposal_contact",
            "proposal_event",
        ),
    )
    existing_deputies = int((await db.rows("SELECT COUNT(*) FROM deputy"))[0][0])
    town_names = {t.slug: t.full_name for t in demo.TOWNS}
    deputy_rows = []
    for n in range(1, max(0, n_deputies - existing_deputies) + 1):
        town = rng.choice(ref.town_ids)
        deputy_rows.append(
            (ids["deputy"], f"示例代表{n:03d}", f"{town_names[ref.town_slug[town]]}代表团", ref.city_id)
        )
        ids["deputy"] += 1
    await db.insert("deputy", DEPUTY_COLUMNS, deputy_rows)
    deputies = [r[0] for r in deputy_rows]
    existing = int((await db.rows("SELECT COUNT(*) FROM proposal"))[0][0])
    wanted = max(0, n_proposals - existing)
    # Ten sessions, the last one the latest already held (sessions sit in January and February).
    last = now.year if now >= datetime(now.year, 3, 1, tzinfo=CITY_TZ) else now.year - 1
    years = list(range(last - 9, last + 1))
    builder = ProposalBuilder(ref, rng, ids, now)
    per_year = [wanted // len(years) + (1 if i < wanted % len(years) else 0) for i in range(len(years))]
    for year, count in zip(years, per_year, strict=True):
        term, session = term_session(year)
        for n in range(count):
            author = rng.choice(deputies)
            cosigners = rng.sample([d for d in deputies if d != author], rng.choice((0, 0, 1, 2, 3)))
            # Numbers from 0101 up: the demo's proposals are 0001, 0002 and 0015.
            builder.build(
                f"{term}-{session}-{n + 101:04d}",
                term,
                session,
                year,
                author,
                cosigners,
                f"demo:示例代表{deputies.index(author) + 1:03d}",
            )
    await db.insert("proposal", PROPOSAL_COLUMNS, builder.rows["proposal"])
    await db.insert("proposal_cosigner", COSIGNER_COLUMNS, builder.rows["proposal_cosigner"])
    await db.insert("proposal_unit", UNIT_COLUMNS, builder.rows["proposal_unit"])
    await db.insert("handling_task", TASK_COLUMNS, builder.rows["handling_task"])
    await db.insert("proposal_reply", REPLY_COLUMNS, builder.rows["proposal_reply"])
    await db.insert("proposal_rating", RATING_COLUMNS, builder.rows["proposal_rating"])
    await db.insert("proposal_contact", CONTACT_COLUMNS, builder.rows["proposal_contact"])
    await db.insert("proposal_event", PROPOSAL_EVENT_COLUMNS, builder.rows["proposal_event"])
    # Stations credited to the proposals about stations: "what came of my proposal?"
    candidates = sorted(
        sid
        for sid, (_k, status, _l, _j) in ref.stations.items()
        if sid not in ref.credited and status in ("OPERATING", "UNDER_CONSTRUCTION")
    )
    credits = (
        [
            (rng.choice(builder.station_proposals), sid)
            for sid in rng.sample(candidates, min(len(candidates), 120))
        ]
        if builder.station_proposals
        else []
    )
    await db.executemany("UPDATE station SET proposal_id = $1 WHERE id = $2", credits)
    counts = {k: len(v) for k, v in builder.rows.items()}
    log(
        f"proposals: {counts.get('proposal', 0)} added by {len(deputy_rows)} deputies; "
        f"{counts.get('handling_task', 0)} tasks, {counts.get('proposal_reply', 0)} replies, "
        f"{counts.get('proposal_rating', 0)} ratings, {counts.get('proposal_event', 0)} events; "
        f"{len(credits)} stations credited",
        started,
    )


# ---- tickets --------------------------------------------------------------------------------------

TICKET_COLUMNS = columns(
    "id number source category_id description address latitude longitude jurisdiction_id station_id "
    "reporter_name reporter_phone registered_by_id assignee_id department_id department_status status "
    "resolution_method resolution_note reject_reason duplicate_of_id citizen_satisfied citizen_feedback "
    "reopen_count escalation_level escalated_at registered_at dispatched_at on_site_at resolved_at "
    "closed_at response_due resolution_due version created_at updated_at"
)
EVENT_COLUMNS = columns("id ticket_id actor action from_status to_status comment data at")
ROLLUP_COLUMNS = columns("id day jurisdiction_id metric count")
_T = {name: index for index, name in enumerate(TICKET_COLUMNS)}


# Events that record something about a ticket without a workflow step (escalate_overdue's).
HISTORY_ONLY_TICKET_ACTIONS = frozenset({"escalate"})


@functools.cache
def ticket_moves(current: str, to: str) -> tuple[tuple[str, str, str], ...]:
    """The workflow table's rows (from, action, to) that take a ticket from `current` to the status
    `to` in the fewest steps (breadth-first over the rows that change the status), or the one row of
    the action `to` that keeps the status. Generated histories are walks through the table, so a
    changed table changes them; a move the table cannot make is an error, not an invented row."""
    if to in HISTORY_ONLY_TICKET_ACTIONS:
        return ((current, to, current),)
    statuses = {s.value for s in TicketStatus}
    if to not in statuses:
        if ticket_workflow.target(TicketStatus(current), to) != TicketStatus(current):
            raise ValueError(f"the ticket workflow has no row ({current}, {to}, {current})")
        return ((current, to, current),)
    paths: dict[str, tuple[tuple[str, str, str], ...]] = {current: ()}
    frontier = [current]
    while frontier and to not in paths:
        following = []
        for status in frontier:
            for frm, action, dest in ticket_workflow.TRANSITIONS:
                if frm.value == status and dest.value not in paths:
                    paths[dest.value] = (*paths[status], (frm.value, action, dest.value))
                    following.append(dest.value)
        frontier = following
    if to not in paths or to == current:
        raise ValueError(f"the ticket workflow leads nowhere from {current} to {to}")
    return paths[to]


def day_counts(rng: random.Random, days: list[date], total: int) -> list[int]:
    """Tickets per day: growing by half over the window, lighter at weekends, ±10% noise; exactly
    `total` in all (largest remainders)."""
    weights = []
    for i, day in enumerate(days):
        trend = 0.8 + 0.4 * i / max(1, len(days) - 1)
        weekend = 0.8 if day.weekday() >= 5 else 1.0
        weights.append(trend * weekend * rng.uniform(0.9, 1.1))
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(days)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _cumulative(weights: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


class TicketMaker:
    """One ticket at a time: its row and its history."""

    def __init__(self, ref: Reference, rng: random.Random, now: datetime, ids: dict[str, int]) -> None:
        self.ref, self.rng, self.now = ref, rng, now
        self.ticket_id = ids["ticket"]
        self.event_id = ids["ticket_event"]
        # Communities: lognormal weights, each town busier or quieter, more where a station is.
        town_factor = {t: rng.uniform(0.6, 1.6) for t in ref.town_ids}
        weights = [
            town_factor[c.town_id] * rng.lognormvariate(0, 0.5) * (1.5 if c.stations else 1.0)
            for c in ref.communities
        ]
        self.communities = ref.communities
        self.community_cum = _cumulative(weights)
        by_code = {code: (cid, resp, reso) for cid, code, resp, reso in ref.categories}
        self.categories = [(code, *by_code[code]) for code in CATEGORY_WEIGHTS if code in by_code]
        self.category_cum = _cumulative([CATEGORY_WEIGHTS[c[0]] for c in self.categories])
        self.descriptions = {spec.code: spec.description for spec in demo.TICKET_CATEGORIES}
        # The 721 split, each town a little off the 70/20/10 target: cumulative shares.
        self.methods: dict[int, tuple[float, float]] = {}
        for town in ref.town_ids:
            service = 0.7 + rng.uniform(-0.06, 0.06)
            self.methods[town] = (service, service + 0.2 + rng.uniform(-0.04, 0.04))
        self.departments = sorted(
            (code, did) for code, (did, kind) in ref.departments.items() if kind == "DEPARTMENT"
        )
        self.last_in_community: dict[int, int] = {}
        from server.demo import DEMO_STAFF

        account_by_name = {name: account for account, name in DEMO_STAFF.items()}
        self.actor_of = {
            sid: account_by_name.get(name, f"demo:{name}") for sid, name in ref.staff_name.items()
        }

    def _pick(self, cum: list[float]) -> int:
        return bisect.bisect_right(cum, self.rng.random() * cum[-1])

    def make(self, number: str, registered: datetime) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        rng, ref, now = self.rng, self.ref, self.now
        community = self.communities[self._pick(self.community_cum)]
        town = community.town_id
        code, category_id, response, resolution = self.categories[self._pick(self.category_cum)]
        tid = self.ticket_id
        self.ticket_id += 1

        roll = rng.random()
        station = registrar = None
        if community.stations and roll < 0.35:
            source = "WALK_IN"
            station = community.stations[0] if rng.random() < 0.8 else rng.choice(community.stations)
            desk = ref.registrars.get(station)
            registrar = rng.choice(desk) if desk else None
        elif roll < 0.75:
            source = "HOTLINE_12345"
        elif roll < 0.95:
            source = "PATROL"
            team = ref.team_by_town.get(town)
            registrar = rng.choice(team) if team else None
            if community.stations and rng.random() < 0.5:
                station = community.stations[0]
        else:
            source = "DEPARTMENT"
        if registrar is not None:
            register_actor = self.actor_of.get(registrar, "system")
        else:
            register_actor = "hotline-12345" if source == "HOTLINE_12345" else "dept-platform"
        response_due = registered + timedelta(minutes=response)
        resolution_due = registered + timedelta(minutes=resolution)
        t: list[Any] = [None] * len(TICKET_COLUMNS)
        t[_T["id"]] = tid
        t[_T["number"]] = number
        t[_T["source"]] = source
        t[_T["category_id"]] = category_id
        t[_T["description"]] = self.descriptions.get(code, code)
        t[_T["address"]] = f"东莞市{community.label}示例路{rng.randint(1, 200)}号附近"
        t[_T["latitude"]] = round(community.lat + rng.uniform(-0.005, 0.005), 6)
        t[_T["longitude"]] = round(community.lon + rng.uniform(-0.005, 0.005), 6)
        t[_T["jurisdiction_id"]] = community.id
        t[_T["station_id"]] = station
        t[_T["reporter_name"]] = f"市民{demo.HEAVENLY_STEMS[tid % 10]}{tid % 997}"
        t[_T["reporter_phone"]] = f"138000{rng.randrange(100000):05d}"
        t[_T["registered_by_id"]] = registrar
        t[_T["resolution_note"]] = ""
        t[_T["reject_reason"]] = ""
        t[_T["citizen_feedback"]] = ""
        t[_T["reopen_count"]] = 0
        t[_T["escalation_level"]] = 0
        t[_T["registered_at"]] = registered
        t[_T["response_due"]] = response_due
        t[_T["resolution_due"]] = resolution_due
        t[_T["created_at"]] = registered

        # The whole life is drawn as moves, then walked through the workflow table up to `now`.
        moves: list[Move] = []

        def move(
            at: datetime, actor: str, to: str, comment: str = "", data: Any = None, **changes: Any
        ) -> None:
            moves.append((at, actor, to, comment, data, changes))

        chief = ref.chief_by_town.get(town)
        fate = rng.random()
        if fate < 0.012:
            at = registered + timedelta(minutes=rng.randint(5, 120))
            reason = "不属于城市管理范围 (not a city-management matter)"
            move(at, "system", "REJECTED", reason, reject_reason=reason, closed_at=at)
        elif fate < 0.02 and community.id in self.last_in_community:
            at = registered + timedelta(minutes=rng.randint(5, 60))
            original = self.last_in_community[community.id]
            move(
                at,
                "system",
                "DUPLICATE",
                "重复反映 (same problem)",
                {"original_id": original},
                duplicate_of_id=original,
                closed_at=at,
            )
        else:
            team = ref.team_by_town.get(town) or ([chief] if chief else [])
            assignee = chief if (chief and rng.random() < 0.25) or not team else rng.choice(team)
            worker = self.actor_of.get(assignee, "system") if assignee else "system"
            boss = self.actor_of.get(chief, "system") if chief else "system"
            # Dispatch within the response time mostly; on site a quarter of an hour later; resolved
            # at a lognormal share of the category's time (median 35%, about 1 in 10 late).
            dispatched = registered + timedelta(
                minutes=max(1.0, rng.lognormvariate(math.log(0.3 * response), 0.7))
            )
            move(
                dispatched,
                boss,
                "DISPATCHED",
                "",
                f'{{"assignee_id":{assignee if assignee is not None else "null"}}}',
                assignee_id=assignee,
                dispatched_at=dispatched,
            )
            stuck = rng.random() < 0.005  # never resolved: the overdue tail of the queues
            transferred = not stuck and rng.random() < 0.02
            on_site = dispatched + timedelta(minutes=max(3.0, rng.lognormvariate(math.log(15), 0.6)))
            took = rng.lognormvariate(math.log(0.35 * resolution), 0.8)
            resolved = max(registered + timedelta(minutes=took), on_site + timedelta(minutes=5))
            split = self.methods[town]
            roll = rng.random()
            method = "SERVICE" if roll < split[0] else ("MANAGEMENT" if roll < split[1] else "ENFORCEMENT")
            note = RESOLUTION_NOTES[method]
            if stuck:
                if rng.random() < 0.35:
                    move(on_site, worker, "ON_SITE", on_site_at=on_site)
                # Open past its due time: escalated to the town, then to the city (escalate_overdue).
                first = resolution_due + timedelta(hours=1)
                for level, when in ((1, first), (2, first + timedelta(minutes=resolution))):
                    move(
                        when,
                        "system",
                        "escalate",
                        f"overdue: escalated ({level})",
                        {"level": level},
                        escalation_level=level,
                        escalated_at=when,
                    )
            elif transferred:
                code_, department = self.departments[rng.randrange(len(self.departments))]
                moved = dispatched + timedelta(minutes=rng.randint(10, 120))
                move(
                    moved,
                    boss,
                    "TRANSFERRED",
                    "转部门处理 (transferred)",
                    {"department": code_},
                    department_id=department,
                    department_status="RECEIVED",
                )
                handling = moved + timedelta(hours=rng.randint(1, 24))
                move(
                    handling,
                    f"dept:{code_}",
                    "department_update",
                    "",
                    {"departmentStatus": "HANDLING"},
                    department_status="HANDLING",
                )
                resolved = max(resolved, handling + timedelta(hours=rng.randint(1, 72)))
                method = "MANAGEMENT" if rng.random() < 0.7 else "ENFORCEMENT"
                note = RESOLUTION_NOTES[method]
                move(
                    resolved,
                    f"dept:{code_}",
                    "RESOLVED",
                    note,
                    METHOD_JSON[method],
                    resolved_at=resolved,
                    resolution_method=method,
                    resolution_note=note,
                    department_status="DONE",
                )
            else:
                move(on_site, worker, "ON_SITE", on_site_at=on_site)
                move(
                    resolved,
                    worker,
                    "RESOLVED",
                    note,
                    METHOD_JSON[method],
                    resolved_at=resolved,
                    resolution_method=method,
                    resolution_note=note,
                )
            if not stuck:
                # The citizen's word: mostly satisfied; some never answer; a few send it back once.
                feedback = rng.random()
                answered = resolved + timedelta(minutes=rng.randint(20, 2880))
                if feedback < 0.06:
                    comment = "问题未解决 (not fixed)"
                    move(
                        answered,
                        register_actor,
                        "DISPATCHED",
                        comment,
                        UNSATISFIED_JSON,
                        citizen_satisfied=False,
                        citizen_feedback=comment,
                        resolved_at=None,
                        resolution_method=None,
                        on_site_at=None,
                        reopen_count=1,
                    )
                    again = answered + timedelta(minutes=rng.randint(30, 240))
                    fixed = again + timedelta(minutes=rng.randint(30, 600))
                    move(again, worker, "ON_SITE", on_site_at=again)
                    move(
                        fixed,
                        worker,
                        "RESOLVED",
                        note,
                        METHOD_JSON[method],
                        resolved_at=fixed,
                        resolution_method=method,
                        resolution_note=note,
                    )
                    answered = fixed + timedelta(minutes=rng.randint(20, 2880))
                if feedback < 0.92:
                    move(
                        answered,
                        register_actor,
                        "CLOSED",
                        "",
                        SATISFIED_JSON,
                        citizen_satisfied=True,
                        citizen_feedback="",
                        closed_at=answered,
                    )
            moves.sort(key=lambda m: m[0])
        self.last_in_community[community.id] = tid

        events: list[tuple[Any, ...]] = [
            (
                self.event_id,
                tid,
                register_actor,
                "register",
                None,
                "REGISTERED",
                "",
                SOURCE_JSON[source],
                registered,
            )
        ]
        self.event_id += 1
        status, last_at = "REGISTERED", registered
        for at, actor, to, comment, data, changes in moves:
            if at > now:
                break
            rows = ticket_moves(status, to)
            data = data if data is None or type(data) is str else _json(data)
            for index, (frm, action, dest) in enumerate(rows):
                last = index == len(rows) - 1
                events.append(
                    (
                        self.event_id,
                        tid,
                        actor,
                        action,
                        frm,
                        dest,
                        comment if last else "",
                        data if last else None,
                        at,
                    )
                )
                self.event_id += 1
            for name, value in changes.items():
                t[_T[name]] = value
            status, last_at = rows[-1][2], at
        t[_T["status"]] = status
        t[_T["version"]] = len(events)
        t[_T["updated_at"]] = last_at
        return tuple(t), events


class RollupDay:
    """ticket_rollup rows of one registration day from the tickets' final state, with the metrics
    the workflow keeps (server.stats.rollup's own functions), at the community, town and city."""

    def __init__(self, ref: Reference, rollup: Any) -> None:
        self.ref, self.rollup = ref, rollup
        self.counts: dict[tuple[int, str], int] = defaultdict(int)
        self.levels: dict[int, list[int]] = {}

    def add(self, row: tuple[Any, ...]) -> None:
        ticket = SimpleNamespace(**{name: row[i] for name, i in _T.items()})
        blank = SimpleNamespace(
            registered_at=ticket.registered_at,
            jurisdiction_id=ticket.jurisdiction_id,
            dispatched_at=None,
            resolved_at=None,
            resolution_method=None,
        )
        for _day, place, metric, n in [*self.rollup.on_register(ticket), *self.rollup.on_step(blank, ticket)]:
            levels = self.levels.get(place)
            if levels is None:
                levels = self.levels[place] = self._levels(place)
            for jurisdiction_id in levels:
                self.counts[(jurisdiction_id, metric)] += n

    def _levels(self, jurisdiction_id: int) -> list[int]:
        """The community, its town and the city."""
        out = [jurisdiction_id]
        parent = self.ref.parent.get(jurisdiction_id)
        while parent is not None:
            out.append(parent)
            parent = self.ref.parent.get(parent)
        return out

    def flush(self, day: date, next_id: int) -> list[tuple[Any, ...]]:
        items = [(key, n) for key, n in sorted(self.counts.items()) if n]
        self.counts.clear()
        return [(next_id + i, day, jid, metric, n) for i, ((jid, metric), n) in enumerate(items)]


async def tickets(
    db: Writer, ref: Reference, rng: random.Random, total: int, n_days: int, now: datetime, started: float
) -> None:
    await check_columns(db, "ticket", TICKET_COLUMNS)
    await check_columns(db, "ticket_event", EVENT_COLUMNS)
    rollup: Any
    try:
        from server.stats import rollup
    except ImportError:  # figures not kept in this version of the server
        rollup = None
    keep_rollup = rollup is not None and await has_table(db, "ticket_rollup")
    if keep_rollup:
        await check_columns(db, "ticket_rollup", ROLLUP_COLUMNS)
    ids = await next_ids(db, ("ticket", "ticket_event", *(("ticket_rollup",) if keep_rollup else ())))
    used: dict[str, int] = defaultdict(int)  # day → last number already issued (the demo's tickets)
    for (number,) in await db.rows("SELECT number FROM ticket"):
        key, _, seq = number[3:].partition("-")
        if seq.isdigit():
            used[key] = max(used[key], int(seq))

    first_day = (now - timedelta(days=n_days)).date()
    days = [first_day + timedelta(days=i) for i in range(n_days)]
    counts = day_counts(rng, days, total)
    hour_cum = _cumulative(HOURLY)
    maker = TicketMaker(ref, rng, now, ids)
    rollup_day = RollupDay(ref, rollup) if keep_rollup else None
    rollup_id = ids.get("ticket_rollup", 1)
    ticket_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    rollup_rows: list[tuple[Any, ...]] = []
    made = events_made = rollups_made = 0
    step_started = time.monotonic()
    next_report = 100_000

    async def flush() -> None:
        await db.insert("ticket", TICKET_COLUMNS, ticket_rows)
        await db.insert("ticket_event", EVENT_COLUMNS, event_rows)
        await db.insert("ticket_rollup", ROLLUP_COLUMNS, rollup_rows)
        ticket_rows.clear()
        event_rows.clear()
        rollup_rows.clear()

    for day, count in zip(days, counts, strict=True):
        midnight = datetime(day.year, day.month, day.day, tzinfo=CITY_TZ)
        seconds = sorted(
            bisect.bisect_right(hour_cum, rng.random() * hour_cum[-1]) * 3600 + rng.randrange(3600)
            for _ in range(count)
        )
        key = f"{day:%Y%m%d}"
        seq = used[key]
        for second in seconds:
            seq += 1
            row, history = maker.make(f"DG-{key}-{seq:06d}", midnight + timedelta(seconds=second))
            ticket_rows.append(row)
            event_rows.extend(history)
            if rollup_day is not None:
                rollup_day.add(row)
            made += 1
            events_made += len(history)
        if rollup_day is not None:
            rows = rollup_day.flush(day, rollup_id)
            rollup_id += len(rows)
            rollups_made += len(rows)
            rollup_rows.extend(rows)
        if len(ticket_rows) >= BATCH_TICKETS:
            await flush()
        if made >= next_report:
            rate = made / (time.monotonic() - step_started)
            log(f"tickets: {made:,} ({events_made:,} events) up to {day}, {rate:,.0f} tickets/s", started)
            next_report += 100_000
    await flush()
    log(
        f"tickets: {made:,} with {events_made:,} events over the {n_days} days to {days[-1]}"
        + (
            f"; {rollups_made:,} rollup rows" if keep_rollup else "; no ticket_rollup table: figures not kept"
        ),
        started,
    )


async def has_table(db: Writer, table: str) -> bool:
    if db.dialect == "sqlite":
        sql = f"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
    else:
        sql = (
            "SELECT COUNT(*) FROM information_schema.tables "
            f"WHERE table_schema = 'public' AND table_name = '{table}'"
        )
    return bool((await db.rows(sql))[0][0])


# ---- finishing ------------------------------------------------------------------------------------

INSERTED_TABLES = columns(
    "staff posting deputy proposal proposal_cosigner proposal_unit handling_task proposal_reply "
    "proposal_rating proposal_contact proposal_event ticket ticket_event ticket_rollup"
)


async def finish(db: Writer, started: float) -> None:
    """Counters, sequences and planner statistics."""
    greatest = "GREATEST" if db.dialect == "postgres" else "MAX"
    await db.execute(
        "INSERT INTO ticket_counter (day, last_number) "
        "SELECT substr(number, 4, 8), MAX(CAST(substr(number, 13) AS INTEGER)) FROM ticket "
        "WHERE number LIKE 'DG-%' GROUP BY substr(number, 4, 8) "
        "ON CONFLICT (day) DO UPDATE SET "
        f"last_number = {greatest}(ticket_counter.last_number, excluded.last_number)"
    )
    days = (await db.rows("SELECT COUNT(*), MAX(last_number) FROM ticket_counter"))[0]
    log(f"ticket_counter: {days[0]} days, at most {days[1]} tickets a day", started)
    if db.dialect == "postgres":
        for table in INSERTED_TABLES:
            if await has_table(db, table):
                await db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                )
        await db.execute("VACUUM (ANALYZE)")
    else:
        await db.execute("ANALYZE")
    log("sequences set, statistics gathered (VACUUM ANALYZE / ANALYZE)", started)


async def summary(db: Writer, url: str, started: float) -> None:
    parts = []
    for table in (
        "jurisdiction",
        "station",
        "staff",
        "posting",
        "deputy",
        "proposal",
        "handling_task",
        "proposal_event",
        "ticket",
        "ticket_event",
        "ticket_rollup",
    ):
        try:
            count = int((await db.rows(f"SELECT COUNT(*) FROM {table}"))[0][0])
        except Exception:  # noqa: BLE001 - a table another migration removed
            count = None
        if count is not None:
            parts.append(f"{table} {count:,}")
    log("rows: " + ", ".join(parts), started)
    if db.dialect == "postgres":
        size = (await db.rows("SELECT pg_size_pretty(pg_database_size(current_database()))"))[0][0]
    else:
        size = f"{sqlite_path(url).stat().st_size / 2**20:.0f} MB"
    log(f"database size: {size}", started)


async def verify_rollup(url: str) -> None:
    """Compare the stored figures with server.stats.rollup's recomputation (small datasets only)."""
    from server.database import open_database
    from server.stats import rollup

    async with open_database(url):
        stored, fresh = await rollup.stored(), await rollup.recompute()
    if stored != fresh:
        diff = {k for k in set(stored) | set(fresh) if stored.get(k) != fresh.get(k)}
        raise SystemExit(
            f"ticket_rollup differs from a recomputation in {len(diff)} rows, e.g. {sorted(diff)[:5]}"
        )
    print(f"ticket_rollup matches a recomputation from the tickets ({len(stored):,} rows)")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench/generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help=f"default {DEFAULT_POSTGRES_URL}")
    parser.add_argument("--sqlite", action="store_true", help=f"use {DEFAULT_SQLITE_PATH} (100,000 tickets)")
    parser.add_argument("--tickets", type=int, default=None, help="default 1,000,000 (SQLite 100,000)")
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--proposals", type=int, default=3000)
    parser.add_argument("--deputies", type=int, default=500)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--until", type=date.fromisoformat, default=None, help="last day (exclusive); default today"
    )
    parser.add_argument("--verify-rollup", action="store_true", help="recompute the figures and compare")
    args = parser.parse_args(argv)

    sqlite = args.sqlite or (args.database_url or "").startswith("sqlite://")
    url = args.database_url or (f"sqlite://{DEFAULT_SQLITE_PATH}" if sqlite else DEFAULT_POSTGRES_URL)
    n_tickets = args.tickets if args.tickets is not None else (100_000 if sqlite else 1_000_000)
    until = args.until or datetime.now(CITY_TZ).date()
    now = datetime(until.year, until.month, until.day, tzinfo=CITY_TZ)
    started = time.monotonic()
    print(
        f"bench/generate: {url.split('@')[-1]}, {n_tickets:,} tickets over the {args.days} days before "
        f"{until}, seed {args.seed}",
        flush=True,
    )
    await recreate(url, started)
    lianxin("migrate", url, started)
    lianxin("demo", url, started)
    bulk_started = time.monotonic()
    rng = random.Random(args.seed)
    db = await open_writer(url)
    try:
        ref = await read_reference(db, rng)
        await staff_and_postings(db, ref, rng, args.staff, until, started)
        await deputies_and_proposals(db, ref, rng, args.proposals, args.deputies, now, started)
        await tickets(db, ref, rng, n_tickets, args.days, now, started)
        await finish(db, started)
        await summary(db, url, started)
    finally:
        await db.close()
    total = time.monotonic() - started
    log(f"done: {total:.0f} s in all, {time.monotonic() - bulk_started:.0f} s of it the bulk load", started)
    if args.verify_rollup:
        await verify_rollup(url)


if __name__ == "__main__":
    asyncio.run(main())
