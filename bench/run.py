"""Drive the mix (bench/mix.py) against `lianxin serve`, the hand-written SQL floor and PostGraphile.

    bench/run                                   # PostgreSQL lianxin_bench, 2 workers, 8 connections, 10 s
    bench/run --workers 2 --concurrency 8 --duration 10 --ops chief_queue,ticket_history
    bench/run --no-peer --no-floor              # only the GraphQL server (SQLite: --database-url sqlite://…)
    bench/run --profile chief_queue             # pyinstrument over 300 in-process requests of one operation

Per operation it prints: SQL statements per request (measured once, in-process, at the database
client's logger, as tests/conftest.py count_sql does), requests/s, p50 and p99 latency, the resident
memory of the server's processes; the same for the floor (bench/floor.py: hand-written asyncpg SQL,
same JSON) with the ratios, after checking that the floor's answer equals the server's; and
PostGraphile's requests/s where the operation has a PostGraphile form (bench/peer.py), after checking
that its answer, normalised to the server's shape, equals the server's (labels aside).

The load generator is an asyncio httpx client with C keep-alive connections on loopback, each
sending its next request when the last one is answered, for a fixed duration or request count,
after a warm-up. It runs on the same two cores as the servers and PostgreSQL: its own CPU time is
part of every number (docs/benchmarks.md). Results also go to var/bench/results-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.mix import BY_NAME, OPERATIONS, Operation, Params
from bench.peer import PeerForm
from server.clock import CITY_TZ

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:55432/lianxin_bench"
OUT = ROOT / "var" / "bench"
LOGIN = (
    "mutation($u: String!, $p: String!) { login(username: $u, password: $p) "
    "{ ... on LoginSuccess { token } } }"
)


def password() -> str:
    """The demo accounts' password. Imported late: server.auth imports server.settings, which reads
    LIANXIN_DATABASE_URL once, and main() sets it from --database-url first."""
    from server.auth.demo_accounts import DEMO_PASSWORD

    return DEMO_PASSWORD


# ---- the machine ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count()}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
    info["python"] = sys.version.split()[0]
    return info


def git_commit() -> str:
    """The commit measured, with "+changes" when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True
        )
        return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += children.get(current, [])
    return out


def rss_mib(pid: int) -> dict[int, float]:
    """Resident memory of a process and all its descendants, by pid."""
    out: dict[int, float] = {}
    for current in tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS"):
                    out[current] = int(line.split()[1]) / 1024
    return out


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL server processes serving `database` (their titles name it)."""
    out = []
    needle = f" {database} ".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                title = (entry / "cmdline").read_bytes()
                if title.startswith(b"postgres: ") and needle in title:
                    out.append(int(entry.name))
    return out


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return out


class CpuWatch:
    """CPU time used by groups of processes between two moments: the server under test, the
    PostgreSQL backends of the bench database, and this process (the load generator)."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups
        self.before: dict[str, dict[int, float]] = {}

    def start(self) -> None:
        self.before = {name: cpu_seconds(pids()) for name, pids in self.groups.items()}
        self.client = sum(os.times()[:2])

    def stop(self) -> dict[str, float]:
        used = {"client": sum(os.times()[:2]) - self.client}
        for name, pids in self.groups.items():
            now = cpu_seconds(pids())
            used[name] = sum(now[p] - self.before[name].get(p, 0.0) for p in now)
        return used


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- parameters from the data ---------------------------------------------------------------------


async def read_params(url: str) -> Params:
    """200 of the area chief's recent tickets (walk-ins that have been dispatched, so that every
    relation of the query is there), and the last 365 days of data for the scorecards."""
    changan = "code = 'dongguan/changan' OR code LIKE 'dongguan/changan/%'"
    with_all = "station_id IS NOT NULL AND assignee_id IS NOT NULL"
    if url.startswith("sqlite://"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite://") :])
        try:
            numbers = [
                r[0]
                for r in conn.execute(
                    "SELECT number FROM ticket WHERE jurisdiction_id IN "
                    f"(SELECT id FROM jurisdiction WHERE {changan}) "
                    f"AND {with_all} ORDER BY id DESC LIMIT 2000"
                )
            ]
            last = datetime.fromisoformat(conn.execute("SELECT MAX(registered_at) FROM ticket").fetchone()[0])
        finally:
            conn.close()
    else:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            numbers = [
                r[0]
                for r in await conn.fetch(
                    "SELECT number FROM ticket WHERE jurisdiction_id = ANY(ARRAY(SELECT id FROM jurisdiction "
                    f"WHERE {changan})) AND {with_all} ORDER BY id DESC LIMIT 2000"
                )
            ]
            last = await conn.fetchval("SELECT MAX(registered_at) FROM ticket")
        finally:
            await conn.close()
    to = last.astimezone(CITY_TZ).date()
    return Params(
        ticket_numbers=tuple(numbers[::10][:200]), period_from=to - timedelta(days=364), period_to=to
    )


# ---- statements per request, in-process ------------------------------------------------------------


class Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith(("Created connection", "Closed connection")):
            self.count += 1


@contextlib.contextmanager
def counting() -> Iterator[Counter]:
    logger = logging.getLogger("tortoise.db_client")
    counter, level = Counter(), logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


async def in_process(
    ops: list[Operation], params: Params, profile: str | None, requests: int
) -> dict[str, Any]:
    """Statements per request and the server's answer (data) for each operation, with the ASGI app
    in this process; or, with `profile`, a pyinstrument profile of one operation."""
    import httpx

    from lianxin.app import create_app
    from server.database import open_database

    out: dict[str, Any] = {}
    async with open_database():
        app = create_app(manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
            tokens = {u: await login(client, u) for u in {op.user for op in ops}}
            for op in ops:
                headers = {"Authorization": f"Bearer {tokens[op.user]}", "Accept": "application/json"}
                body = {"query": op.document(), "variables": op.variables(params, 0)}
                await client.post("/graphql", json=body, headers=headers)  # warm: caches, policy
                if profile == op.name:
                    from pyinstrument import Profiler

                    profiler = Profiler(interval=0.0005, async_mode="enabled")
                    started = time.perf_counter()
                    with profiler:
                        for index in range(requests):
                            body = {"query": op.document(), "variables": op.variables(params, index)}
                            await client.post("/graphql", json=body, headers=headers)
                    elapsed = time.perf_counter() - started
                    text = profiler.output_text(unicode=True, color=False, show_all=False)
                    OUT.mkdir(parents=True, exist_ok=True)
                    (OUT / f"profile-{op.name}.txt").write_text(text)
                    (OUT / f"profile-{op.name}.html").write_text(profiler.output_html())
                    print(text)
                    each = elapsed / requests * 1000
                    print(f"{requests} requests in {elapsed:.2f} s in-process ({each:.1f} ms each); "
                          f"written to {OUT}/profile-{op.name}.txt and .html")  # fmt: skip
                    continue
                with counting() as counter:
                    response = await client.post("/graphql", json=body, headers=headers)
                result = response.json()
                out[op.name] = {
                    "statements": counter.count,
                    "bytes": len(response.content),
                    "data": result.get("data"),
                    "errors": result.get("errors"),
                }
    return out


async def login(client: Any, user: str) -> str:
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"u": user, "p": password()}},
        headers={"Accept": "application/json"},
    )
    return str(response.json()["data"]["login"]["token"])


# ---- processes -------------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    proc: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def spawn(name: str, argv: list[str], env: dict[str, str], url: str, cwd: Path = ROOT) -> Process:
    OUT.mkdir(parents=True, exist_ok=True)
    log = (OUT / f"{name}.log").open("wb")
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Process(name, proc, url)


async def wait_ready(process: Process, probe: str, within_seconds: float = 60) -> None:
    import httpx

    try:
        async with asyncio.timeout(within_seconds), httpx.AsyncClient(timeout=2) as client:
            while True:
                if process.proc.poll() is not None:
                    raise SystemExit(f"{process.name} exited: see {OUT / (process.name + '.log')}")
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.post(probe, json={"query": "{ __typename }"})
                    if response.status_code < 500:
                        return
                await asyncio.sleep(0.3)
    except TimeoutError:
        raise SystemExit(f"{process.name} did not become ready in {within_seconds:.0f} s") from None


# ---- load ------------------------------------------------------------------------------------------


@dataclass
class Load:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    rss: dict[int, float] = field(default_factory=dict)
    first_error: str = ""
    cpu: dict[str, float] = field(default_factory=dict)  # seconds, by process group

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, quantile: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.pct(0.5), 2),
            "p99_ms": round(self.pct(0.99), 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2) if self.latencies else None,
            "rss_mib": {str(k): round(v, 1) for k, v in self.rss.items()},
            "cpu_ms_per_request": self.cpu_ms(),
        }

    def cpu_ms(self) -> dict[str, float]:
        return {k: round(v * 1000 / self.requests, 2) for k, v in self.cpu.items()} if self.requests else {}


async def drive(
    url: str,
    bodies: list[bytes],
    headers: dict[str, str],
    args: argparse.Namespace,
    watch: CpuWatch | None = None,
) -> Load:
    """C connections, each sending its next request when the last is answered: `warmup` seconds
    discarded, then `duration` seconds or `max_requests` requests, whichever comes first."""
    import httpx

    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    headers = {"Content-Type": "application/json", "Accept": "application/json", **headers}
    load = Load()
    async with httpx.AsyncClient(limits=limits, timeout=60, headers=headers) as client:

        async def worker(worker_number: int, until: float, record: bool) -> None:
            turn = worker_number
            while time.perf_counter() < until and (not record or load.requests < args.max_requests):
                body = bodies[turn % len(bodies)]
                turn += args.concurrency
                started = time.perf_counter()
                response = await client.post(url, content=body)
                took = time.perf_counter() - started
                if not record:
                    continue
                load.requests += 1
                load.latencies.append(took)
                if response.status_code != 200 or b'"errors"' in response.content:
                    load.errors += 1
                    load.first_error = load.first_error or response.text[:300]

        until = time.perf_counter() + args.warmup
        await asyncio.gather(*(worker(n, until, False) for n in range(args.concurrency)))
        if watch:
            watch.start()
        started = time.perf_counter()
        until = started + args.duration
        await asyncio.gather(*(worker(n, until, True) for n in range(args.concurrency)))
        load.seconds = time.perf_counter() - started
        if watch:
            load.cpu = watch.stop()
    return load


def bodies_for(query: str, variables: Any, params: Params, count: int) -> list[bytes]:
    return [
        json.dumps({"query": query, "variables": variables(params, i)}, ensure_ascii=False).encode()
        for i in range(count)
    ]


def first_difference(served: Any, floor: Any, path: str = "", other: str = "floor") -> str | None:
    if isinstance(served, dict) and isinstance(floor, dict):
        for key in sorted(set(served) | set(floor)):
            if key not in served or key not in floor:
                return f"{path}.{key}: only in {'server' if key in served else other}"
            found = first_difference(served[key], floor[key], f"{path}.{key}", other)
            if found:
                return found
        return None
    if isinstance(served, list) and isinstance(floor, list):
        if len(served) != len(floor):
            return f"{path}: {len(served)} items vs {len(floor)}"
        for index, (served_item, floor_item) in enumerate(zip(served, floor, strict=True)):
            found = first_difference(served_item, floor_item, f"{path}[{index}]", other)
            if found:
                return found
        return None
    return None if served == floor else f"{path}: {served!r} vs {floor!r}"


# ---- py-spy ----------------------------------------------------------------------------------------

# Where a sample's innermost Python frame lies, by path fragment.
PACKAGES = (
    ("graphql/", "graphql-core"), ("strawberry/", "strawberry"), ("pypika", "tortoise (pypika)"),
    ("tortoise/", "tortoise"), ("asyncpg/", "asyncpg"), ("aiosqlite", "aiosqlite"), ("asyncio/", "asyncio"),
    ("uvicorn/", "uvicorn"), ("starlette/", "starlette"), ("json/", "json"), ("casbin", "casbin"),
    ("/schema/", "lianxin schema/"), ("/server/", "lianxin server/"),
)  # fmt: skip
# Samples py-spy takes as busy although they wait: the thread that listens to uvicorn's supervisor.
# A sample whose innermost Python frame is the event loop itself (Runner.run) is native work under
# it: uvloop, httptools, asyncpg's protocol decoding rows.
IDLE = ("Connection._recv", "select (selectors.py")


def start_spy(
    server: Process, op: Operation, args: argparse.Namespace
) -> tuple[subprocess.Popen[bytes], Path]:
    path = OUT / f"py-spy-{op.name}.txt"
    seconds = max(1, int(args.warmup + args.duration) - 1)
    argv = [
        str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.proc.pid),
        "--subprocesses", "--duration", str(seconds), "--rate", "200", "--format", "raw", "--nonblocking",
        "-o", str(path),
    ]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), path


def finish_spy(spy: tuple[subprocess.Popen[bytes], Path], op: Operation) -> dict[str, float]:
    """Busy samples (idle waits left out) by the package of their innermost frame, in %."""
    proc, path = spy
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
    counts: dict[str, int] = {}
    total = 0
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            stack, _, samples = line.rpartition(" ")
            inner = stack.rsplit(";", 1)[-1]
            if not samples.isdigit() or inner.startswith(IDLE) or "multiprocessing/connection.py" in inner:
                continue
            package = next((name for key, name in PACKAGES if key in inner), "other")
            if inner.startswith("Runner.run"):
                package = "event loop (native)"
            counts[package] = counts.get(package, 0) + int(samples)
            total += int(samples)
    shares = (
        {k: round(100 * v / total, 1) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}
        if total
        else {}
    )
    print(f"  py-spy {op.name}: " + ", ".join(f"{k} {v}%" for k, v in shares.items()))
    return shares


# ---- main ------------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.{digits}f}"


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds measured per operation and server"
    )
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--ops", default=",".join(op.name for op in OPERATIONS))
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--profile", default=None, help="profile one operation in-process (pyinstrument) and stop"
    )
    parser.add_argument("--profile-requests", type=int, default=300)
    parser.add_argument(
        "--py-spy",
        action="store_true",
        help="record the server's workers with py-spy while each operation runs",
    )
    args = parser.parse_args(argv)

    url = args.database_url
    postgres = not url.startswith("sqlite://")
    # Settings are read from the environment at import: set it before anything imports server.
    os.environ["LIANXIN_DATABASE_URL"] = url
    from server.settings import settings

    names = [n.strip() for n in args.ops.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise SystemExit(f"unknown operations {unknown}; known: {', '.join(BY_NAME)}")
    from schema.schema import schema

    query_type = schema._schema.query_type
    fields = set(query_type.fields) if query_type else set()
    ops: list[Operation] = []
    missing: list[Operation] = []
    for name in names:
        (ops if BY_NAME[name].requires in fields else missing).append(BY_NAME[name])
    info = machine()
    info["commit"] = git_commit()
    print(
        f"machine: {info.get('nproc')} cores, {info.get('memory_gib')} GiB, {info.get('cpu')}; "
        f"load average {loadavg()}; commit {info['commit']}"
    )
    for op in missing:
        print(f"  skipped {op.name}: the schema has no Query.{op.requires}")
    params = await read_params(url)
    print(f"database: {url.split('@')[-1]}; scorecard period {params.period_from} … {params.period_to}; "
          f"{len(params.ticket_numbers)} ticket numbers in turn")  # fmt: skip

    if args.profile:
        if args.profile not in {op.name for op in ops}:
            raise SystemExit(f"--profile: {args.profile} is not among the operations run")
        await in_process([BY_NAME[args.profile]], params, args.profile, args.profile_requests)
        return

    measured = await in_process(ops, params, None, 0)
    for name, figures in measured.items():
        if figures["errors"]:
            raise SystemExit(f"{name}: the server answered with errors: {figures['errors']}")

    env = {**os.environ, "LIANXIN_DATABASE_URL": url, "LIANXIN_SECRET_KEY": settings.secret_key}
    processes: list[Process] = []
    results: dict[str, Any] = {
        "machine": info,
        "database": url.split("@")[-1],
        "args": dict(vars(args)),
        "load_before": loadavg(),
        "operations": {},
        "started": datetime.now(CITY_TZ).isoformat(timespec="seconds"),
    }
    peer_queries: dict[str, PeerForm] = {}
    peer_note = ""
    try:
        port = free_port()
        server = spawn(
            "server",
            [
                sys.executable,
                "-m",
                "lianxin.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env,
            f"http://127.0.0.1:{port}/graphql",
        )
        processes.append(server)
        floor = peer = None
        if postgres and not args.no_floor:
            fport = free_port()
            floor = spawn(
                "floor",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bench.floor:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(fport),
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                {**env, "LIANXIN_BENCH_DATABASE_URL": url},
                f"http://127.0.0.1:{fport}/floor",
            )
            processes.append(floor)
        if postgres and not args.no_peer:
            from bench import peer as peer_module

            why = peer_module.ensure_installed()
            if why:
                peer_note = f"PostGraphile skipped: {why}"
            else:
                await peer_module.prepare(url)  # its schema and functions, before it introspects
                pport = free_port()
                peer_proc = peer_module.start(url, pport, OUT / "peer.log")
                peer = Process("peer", peer_proc, f"http://127.0.0.1:{pport}/graphql")
                processes.append(peer)
                peer_queries = peer_module.PEER_QUERIES
        await wait_ready(server, server.url)
        if floor:
            await wait_ready(floor, floor.url + "/none")
        if peer:
            try:
                await wait_ready(peer, peer.url, within_seconds=120)
            except SystemExit as exc:
                peer_note = f"PostGraphile skipped: {exc}"
                peer.stop()
                peer = None
        if peer_note:
            print(peer_note)
        results["peer_note"] = peer_note

        import httpx

        async with httpx.AsyncClient(timeout=30) as client:
            tokens = {}
            for user in sorted({op.user for op in ops}):
                response = await client.post(
                    server.url, json={"query": LOGIN, "variables": {"u": user, "p": password()}}
                )
                tokens[user] = response.json()["data"]["login"]["token"]

            same: dict[str, str] = {}
            if floor:
                for op in ops:
                    body = {"variables": op.variables(params, 0)}
                    answer = (await client.post(f"{floor.url}/{op.name}", json=body)).json()["data"]
                    diff = first_difference(measured[op.name]["data"], answer)
                    same[op.name] = "same" if diff is None else f"differs at {diff}"
            # The peer's answer, normalised to the server's shape, must be the same rows in the same
            # order with the same nested names: otherwise its requests/s measure other work.
            peer_same: dict[str, str] = {}
            if peer:
                for op in ops:
                    if op.name not in peer_queries:
                        continue
                    form = peer_queries[op.name]
                    answer = (
                        await client.post(
                            peer.url, json={"query": form.query, "variables": form.variables(params, 0)}
                        )
                    ).json()
                    if answer.get("errors") or not answer.get("data"):
                        peer_same[op.name] = f"errors: {json.dumps(answer.get('errors'))[:300]}"
                        continue
                    served = form.comparable(measured[op.name]["data"])
                    diff = first_difference(served, form.normalise(answer["data"]), other="peer")
                    peer_same[op.name] = "same" if diff is None else f"differs at {diff}"

        print(f"\nload: {args.workers} workers, {args.concurrency} connections, {args.warmup:g} s warm-up + "
              f"{args.duration:g} s per operation and server; load average now: {loadavg()}\n")  # fmt: skip
        header = (
            f"{'operation':22} {'stmts':>5} {'KiB':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'RSS/worker':>10} "
            f"{'floor r/s':>9} {'floor p50':>9} {'p50×floor':>9} {'peer r/s':>8} {'ours/peer':>9}"
        )
        print(header)
        print("-" * len(header))
        database = url.rsplit("/", 1)[1].split("?")[0] if postgres else ""

        def backends() -> list[int]:
            return postgres_backends(database) if database else []

        def processes_of(process: Process) -> Callable[[], list[int]]:
            return lambda: tree(process.proc.pid)

        watches = {
            name: CpuWatch({name: processes_of(process), "postgres": backends})
            for name, process in (("server", server), ("floor", floor), ("peer", peer))
            if process is not None
        }
        cpu_rows: list[tuple[str, Load, Load | None, Load | None]] = []
        for op in ops:
            row: dict[str, Any] = {"statements": measured[op.name]["statements"], "user": op.user}
            spy = start_spy(server, op, args) if args.py_spy else None
            ours = await drive(
                server.url, bodies_for(op.document(), op.variables, params, 200),
                {"Authorization": f"Bearer {tokens[op.user]}"}, args, watches["server"],
            )  # fmt: skip
            ours.rss = rss_mib(server.proc.pid)
            row["server"] = ours.summary()
            row["bytes"] = measured[op.name]["bytes"]
            if spy is not None:
                row["py_spy"] = finish_spy(spy, op)
            if ours.errors:
                print(f"  {op.name}: {ours.errors} errors, e.g. {ours.first_error}")
            floor_load = peer_load = None
            if floor:
                bodies = [json.dumps({"variables": op.variables(params, i)}).encode() for i in range(200)]
                floor_load = await drive(f"{floor.url}/{op.name}", bodies, {}, args, watches["floor"])
                row["floor"] = floor_load.summary()
                row["floor_same_data"] = same.get(op.name)
            if peer and op.name in peer_queries:
                form = peer_queries[op.name]
                peer_load = await drive(
                    peer.url, bodies_for(form.query, form.variables, params, 200), {}, args, watches["peer"]
                )
                peer_load.rss = rss_mib(peer.proc.pid)
                row["peer"] = peer_load.summary()
                row["peer_same_data"] = peer_same.get(op.name)
                if peer_load.errors:
                    print(f"  {op.name} (peer): {peer_load.errors} errors, e.g. {peer_load.first_error}")
            workers = list(ours.rss.values())  # the largest process of the tree is a worker
            print(
                f"{op.name:22} {row['statements']:>5} {row['bytes'] / 1024:>5.1f} {fmt(ours.rps):>8} "
                f"{fmt(ours.pct(0.5), 2):>8} "
                f"{fmt(ours.pct(0.99), 2):>8} {fmt(max(workers) if workers else None, 0) + ' MiB':>10} "
                f"{fmt(floor_load.rps if floor_load else None):>9} "
                f"{fmt(floor_load.pct(0.5) if floor_load else None, 2):>9} "
                f"{fmt(ours.pct(0.5) / floor_load.pct(0.5) if floor_load else None, 1):>9} "
                f"{fmt(peer_load.rps if peer_load else None):>8} "
                f"{fmt(ours.rps / peer_load.rps if peer_load and peer_load.rps else None, 2):>9}"
            )  # fmt: skip
            results["operations"][op.name] = row
            cpu_rows.append((op.name, ours, floor_load, peer_load))
        print(
            "\nCPU per request, ms (server or floor or peer / its PostgreSQL backends / the load generator):"
        )
        for name, *loads in cpu_rows:
            cells = []
            for label, load in zip(("ours", "floor", "peer"), loads, strict=True):
                if load is not None and load.requests:
                    ms = load.cpu_ms()
                    own = next(v for k, v in ms.items() if k not in ("postgres", "client"))
                    cells.append(f"{label} {own:6.2f} / {ms.get('postgres', 0):5.2f} / {ms['client']:4.2f}")
            print(f"  {name:22} " + "   ".join(cells))
        if same:
            print("\nfloor answers: " + "; ".join(f"{k}: {v}" for k, v in same.items()))
        if peer_same:
            print("peer answers: " + "; ".join(f"{k}: {v}" for k, v in peer_same.items()))
    finally:
        for process in reversed(processes):
            process.stop()
    results["load_after"] = loadavg()
    print(f"\nload average after: {results['load_after']}")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"results-{datetime.now(CITY_TZ):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"results: {path}")


if __name__ == "__main__":
    asyncio.run(main())
