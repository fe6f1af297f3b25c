"""Page 1 and page 2,000 of the city's closed tickets, by offset and by keyset cursor.

    .venv/bin/python bench/keyset.py --database-url postgresql://…/lianxin_bench      # 20 runs each
    .venv/bin/python bench/keyset.py --database-url … --page 2000 --repeat 50

As the bureau, `tickets(filter: {status: CLOSED}, first: 50, after: …)` with the ASGI app in this
process (server time: the request through GraphQL, Tortoise and PostgreSQL), and the database's own
time for the statement it sends (`EXPLAIN ANALYZE`, median of 5). Page N's offset cursor is
"offset:(N-1)·50-1", as a client saved it before keyset pagination; its keyset cursor is the cursor
the server issues for the row just before the page (fetched once through an offset cursor). Both
must return the same rows, which the script checks. PostgreSQL only; it logs in, which writes a
session row, and otherwise only reads.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGE = 50
QUERY = """query($after: String, $n: Int) {
  tickets(filter: {status: CLOSED}, first: $n, after: $after) {
    edges { cursor } nodes { number status registeredAt } } }"""
# What the server sends for these pages (the bureau's scope is everywhere: no condition).
SQL_OFFSET = (
    "SELECT * FROM ticket WHERE status = 'CLOSED' ORDER BY registered_at DESC, id DESC "
    "LIMIT 51 OFFSET {offset}"
)
SQL_KEYSET = (
    "SELECT * FROM ticket WHERE status = 'CLOSED' AND (registered_at, id) < ($1, $2) "
    "ORDER BY registered_at DESC, id DESC LIMIT 51"
)


def _offset_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


async def _database_ms(url: str, sql: str, *args: Any) -> float:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        runs = []
        for _ in range(5):
            plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args)
            runs.append(float(json.loads(plan)[0]["Execution Time"]))
        return statistics.median(runs)
    finally:
        await conn.close()


async def measure(url: str, page: int, repeat: int) -> None:
    import httpx

    # imported here: settings are read from the environment at import (see main)
    from bench.run import login
    from lianxin.app import create_app
    from server.database import open_database

    before = (page - 1) * PAGE  # rows before the page
    async with open_database():
        app = create_app(manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as client:
            headers = {
                "Authorization": f"Bearer {await login(client, 'bureau')}",
                "Accept": "application/json",
            }

            async def ask(after: str | None, n: int = PAGE) -> dict[str, Any]:
                response = await client.post(
                    "/graphql", json={"query": QUERY, "variables": {"after": after, "n": n}}, headers=headers
                )
                body = response.json()
                if body.get("errors"):
                    raise SystemExit(f"error: {body['errors']}")
                return dict(body["data"]["tickets"])

            # the keyset cursor of the row just before the page, as the server issues it
            last_before = await ask(_offset_cursor(before - 2), 1) if before > 1 else await ask(None, 1)
            keyset_cursor = last_before["edges"][0]["cursor"]
            variants = {
                "page 1": None,
                f"page {page:,}, offset cursor": _offset_cursor(before - 1),
                f"page {page:,}, keyset cursor": keyset_cursor,
            }
            offset_page = await ask(variants[f"page {page:,}, offset cursor"])
            keyset_page = await ask(keyset_cursor)
            if offset_page["nodes"] != keyset_page["nodes"] or len(keyset_page["nodes"]) != PAGE:
                raise SystemExit("the offset and keyset pages differ")
            last = keyset_page["nodes"][0]
            print(f"page {page:,} starts at {last['number']} ({last['registeredAt']})")

            from tortoise.expressions import Q

            from server.paging import keyset_of
            from server.tickets.service import list_tickets

            keyset = keyset_of(list_tickets(visible=Q(), status="CLOSED"))
            if keyset is None:
                raise SystemExit("closed tickets newest first do not page by keyset")
            seek = keyset.decode(keyset_cursor)
            database = {
                "page 1": await _database_ms(url, SQL_OFFSET.format(offset=0)),
                f"page {page:,}, offset cursor": await _database_ms(url, SQL_OFFSET.format(offset=before)),
                f"page {page:,}, keyset cursor": await _database_ms(url, SQL_KEYSET, *seek),
            }
            print(f"{'':32} {'server p50 ms':>14} {'min':>8} {'max':>8} {'database ms':>12}")
            for name, after in variants.items():
                await ask(after)  # warm
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    await ask(after)
                    times.append((time.perf_counter() - started) * 1000)
                print(
                    f"{name:32} {statistics.median(times):14.1f} {min(times):8.1f} {max(times):8.1f} "
                    f"{database[name]:12.2f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="a PostgreSQL bench database")
    parser.add_argument("--page", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if "bench" not in args.database_url or not args.database_url.startswith("postgres"):
        raise SystemExit("--database-url: a PostgreSQL database whose name contains 'bench'")
    # Settings are read from the environment at import: set it before anything imports server.
    os.environ["LIANXIN_DATABASE_URL"] = args.database_url
    print(f"load average {os.getloadavg()[0]:.1f}")
    asyncio.run(measure(args.database_url, args.page, args.repeat))


if __name__ == "__main__":
    main()
