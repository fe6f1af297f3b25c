"""The write rate: ticket registrations per second that `lianxin serve` sustains on PostgreSQL, with
C clients each registering one ticket after another (the community worker's registerTicket, as the
desks send it), for docs/scaling.md.

    .venv/bin/python bench/registrations.py --postgres postgresql://postgres@127.0.0.1:55452/postgres
    .venv/bin/python bench/registrations.py --postgres URL --workers 2 --clients 8 --duration 20

Creates a database named lianxin_registrations_bench_<random> on that server, migrates it, loads the
demo data, serves it, measures, prints registrations/s with p50/p99 latency and the rows written per
registration, and drops the database."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, login, stop, wait_ready  # noqa: E402 - after the path

REGISTER = """mutation($i: RegisterTicketInput!) { registerTicket(input: $i) { __typename
  ... on RegisterTicketPayload { ticket { number } } } }"""
REFS = '{ ticketCategories { id code } stations(first: 1, filter: {search: "厦岗"}) { nodes { id } } }'


async def _client(
    address: str, token: str, refs: dict[str, str], until: float, latencies: list[float]
) -> int:
    done = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://{address}", headers=headers, timeout=30) as http:
        while time.perf_counter() < until:
            ticket = {
                "source": "HOTLINE_12345",
                "categoryId": refs["category"],
                "stationId": refs["station"],
                "description": f"bench registration {uuid.uuid4().hex[:8]}",
                "reporterName": "王先生",
                "reporterPhone": "13800000001",
            }
            started = time.perf_counter()
            response = await http.post("/graphql", json={"query": REGISTER, "variables": {"i": ticket}})
            body = response.json()
            if body.get("data", {}).get("registerTicket", {}).get("__typename") != "RegisterTicketPayload":
                raise SystemExit(f"registration failed: {body}")
            latencies.append(time.perf_counter() - started)
            done += 1
    return done


async def _rows(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_user_tables")
        counts = {f"{r['relname']} inserted": int(r["n_tup_ins"]) for r in rows}
        return counts | {f"{r['relname']} updated": int(r["n_tup_upd"]) for r in rows}
    finally:
        await conn.close()


async def _measure(
    address: str, token: str, refs: dict[str, str], url: str, clients: int, duration: float
) -> tuple[int, float, list[float], dict[str, int]]:
    latencies: list[float] = []
    await _client(address, token, refs, time.perf_counter() + 2, [])  # warm-up
    before = await _rows(url)
    started = time.perf_counter()
    until = started + duration
    counts = await asyncio.gather(*(_client(address, token, refs, until, latencies) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    await asyncio.sleep(1.0)  # the statistics collector's flush
    after = await _rows(url)
    return sum(counts), elapsed, sorted(latencies), {t: n - before.get(t, 0) for t, n in after.items()}


def _sql(admin_url: str, statement: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres", metavar="ADMIN_URL", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args()

    name = f"lianxin_registrations_bench_{uuid.uuid4().hex[:8]}"
    _sql(args.postgres, f'CREATE DATABASE "{name}"')
    url = args.postgres.rsplit("/", 1)[0] + "/" + name
    env = {**os.environ, "LIANXIN_DATABASE_URL": url, "LIANXIN_RUN_JOBS_IN_SERVER": "false"}
    server = None
    try:
        for command in ("migrate", "demo"):
            lianxin = [sys.executable, "-m", "lianxin.cli", command]
            subprocess.run(lianxin, env=env, check=True, capture_output=True)
        port = free_port()
        serve = ["serve", "--port", str(port), "--workers", str(args.workers)]
        server = subprocess.Popen(
            [sys.executable, "-m", "lianxin.cli", *serve],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        address = f"127.0.0.1:{port}"
        wait_ready(address, server)
        token = login(address, "worker-xiagang")
        headers = {"Authorization": f"Bearer {token}"}
        body = httpx.post(f"http://{address}/graphql", json={"query": REFS}, headers=headers).json()["data"]
        refs = {
            "category": next(c["id"] for c in body["ticketCategories"] if c["code"] == "occupying_road"),
            "station": body["stations"]["nodes"][0]["id"],
        }
        total, elapsed, latencies, added = asyncio.run(
            _measure(address, token, refs, url, args.clients, args.duration)
        )
        load = Path("/proc/loadavg").read_text().split()[0]
        print(
            f"{total} registrations in {elapsed:.1f} s: {total / elapsed:.1f}/s with {args.clients} clients, "
            f"{args.workers} workers; p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms; load average {load}"
        )
        print("rows written per registration:")
        for table, rows in sorted(added.items(), key=lambda item: -item[1]):
            if rows:
                print(f"  {table:<32} {rows / total:.2f}")
    finally:
        if server is not None:
            stop(server)
        _sql(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
