"""The fixed cost of a GraphQL request: CPU spent per request on an operation that does almost
nothing, through the whole application in this process.

    .venv/bin/python bench/fixed_cost.py                          # fresh SQLite demo database
    .venv/bin/python bench/fixed_cost.py --postgres postgresql://postgres@127.0.0.1:55440/postgres
    .venv/bin/python bench/fixed_cost.py --profile me             # cProfile of one operation

Operations: `me` (`{ me { username } }` as the bureau: authentication, the context, the
resolver's display-name statement and scopes),
`typename` (`{ __typename }` with the same token), `anonymous` (`{ __typename }` without
credentials: no SQL at all), and `bare`, a constant JSON answer from a bare Starlette route through
the same client: the load generator's (httpx) own share, to subtract from the others.

For each, `--requests` sequential requests after a warm-up, timed with time.process_time() (the CPU
of this whole process: client, application, and on SQLite the database thread; PostgreSQL's
backend is another process and not counted) and time.perf_counter(). Logging is configured as
`lianxin serve` configures it (JSON lines), written to /dev/null.

`--postgres ADMIN_URL` creates a database named lianxin_fixed_cost_bench_<random> on that server,
loads the demo data into it and drops it at the end. `--profile OP` prints where the CPU of OP goes
(cProfile), summed by package and by our own functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging.config
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = {
    "me": ("{ me { username } }", True),
    "typename": ("{ __typename }", True),
    "anonymous": ("{ __typename }", False),
}
LOGIN = 'mutation { login(username: "bureau", password: "lianxin-demo") { ... on LoginSuccess { token } } }'


def _package(filename: str) -> str:
    """Which package a profiled function belongs to: ours by top-level folder, others by the
    distribution's folder under site-packages, the standard library as `stdlib`."""
    path = filename.replace("\\", "/")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    root = str(ROOT) + "/"
    if path.startswith(root):
        return path[len(root) :].split("/", 1)[0]
    if path.startswith("<") or path == "~":
        return "builtins"
    return "stdlib"


def _report_profile(profile: cProfile.Profile, requests: int) -> None:
    stats = pstats.Stats(profile)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_package: dict[str, float] = defaultdict(float)
    ours: list[tuple[float, float, str]] = []
    for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in raw.items():
        package = _package(filename)
        by_package[package] += tottime
        if package in {"server", "schema", "lianxin"}:
            ours.append((cumtime, tottime, f"{Path(filename).relative_to(ROOT)}:{line} {name}"))
    total = sum(by_package.values())
    print(f"\nown time by package (µs per request; {total / requests * 1e6:.0f} µs in all under cProfile)")
    for package, seconds in sorted(by_package.items(), key=lambda item: -item[1])[:15]:
        print(f"  {package:28} {seconds / requests * 1e6:8.0f}  {100 * seconds / total:5.1f}%")
    print("\nour functions by cumulative time (µs per request: cumulative, own)")
    for cumtime, tottime, where in sorted(ours, reverse=True)[:25]:
        print(f"  {cumtime / requests * 1e6:8.0f} {tottime / requests * 1e6:8.0f}  {where}")
    print("\nall functions by cumulative time")
    stats.sort_stats("cumulative").print_stats(45)


async def run(args: argparse.Namespace) -> None:
    import httpx
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from lianxin.app import create_app
    from server.database import apply_migrations, open_database
    from server.demo import load_demo

    await apply_migrations(quiet=True)
    async with open_database():
        await load_demo(only_if_empty=True, progress=lambda _m: None)
        app = create_app(manage_database=False)

        async def constant(request: Any) -> JSONResponse:
            return JSONResponse({"data": {"__typename": "Query"}})

        bare = Starlette(routes=[Route("/graphql", constant, methods=["POST"])])
        base = "http://bench"
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as client,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url=base) as bare_client,
        ):
            token = (await client.post("/graphql", json={"query": LOGIN})).json()["data"]["login"]["token"]
            auth = {"Authorization": f"Bearer {token}"}

            async def one(name: str) -> None:
                if name == "bare":
                    response = await bare_client.post("/graphql", json={"query": "{ __typename }"})
                else:
                    query, with_token = OPERATIONS[name]
                    response = await client.post(
                        "/graphql", json={"query": query}, headers=auth if with_token else None
                    )
                if response.status_code != 200 or "errors" in response.json():
                    raise SystemExit(f"{name}: unexpected answer {response.status_code} {response.text}")

            names = [args.profile] if args.profile else ["bare", *OPERATIONS]
            load = os.getloadavg()[0]
            print(f"database: {args.label}; {args.requests} requests each; load average (1 min) {load:.2f}")
            print(f"{'operation':12} {'CPU µs/req':>11} {'wall µs/req':>12} {'CPU − bare':>11}")
            bare_cpu = None
            for name in names:
                for _ in range(min(200, args.requests)):  # warm up: caches, policy, prepared statements
                    await one(name)
                profile = cProfile.Profile() if args.profile else None
                cpu, wall = time.process_time(), time.perf_counter()
                if profile:
                    profile.enable()
                for _ in range(args.requests):
                    await one(name)
                if profile:
                    profile.disable()
                cpu = (time.process_time() - cpu) / args.requests * 1e6
                wall = (time.perf_counter() - wall) / args.requests * 1e6
                if name == "bare":
                    bare_cpu = cpu
                net = f"{cpu - bare_cpu:11.0f}" if bare_cpu is not None and name != "bare" else f"{'':11}"
                print(f"{name:12} {cpu:11.0f} {wall:12.0f} {net}")
                if profile:
                    _report_profile(profile, args.requests)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--postgres", metavar="ADMIN_URL", default=None)
    parser.add_argument("--profile", choices=sorted(OPERATIONS), default=None)
    args = parser.parse_args()
    os.environ["LIANXIN_VAR_DIR"] = tempfile.mkdtemp(prefix="lianxin-fixed-cost-")
    os.environ.setdefault("LIANXIN_MODE", "demo")
    from server.logs import logging_config

    config = logging_config("INFO")
    config["handlers"]["stderr"]["stream"] = open(os.devnull, "w")  # noqa: SIM115 - for the whole run
    logging.config.dictConfig(config)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's line per request is not ours
    if args.postgres is None:
        args.label = "SQLite (fresh demo database)"
        asyncio.run(run(args))
        return

    import asyncpg

    admin = args.postgres
    name = f"lianxin_fixed_cost_bench_{uuid.uuid4().hex[:8]}"
    url = f"{admin.rpartition('/')[0]}/{name}"
    os.environ["LIANXIN_DATABASE_URL"] = url
    args.label = f"PostgreSQL {url.rpartition('@')[2]} (demo data)"

    async def database(statement: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(database(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(run(args))
    finally:
        asyncio.run(database(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
