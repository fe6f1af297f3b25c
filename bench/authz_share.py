"""How much of a request's time goes to authentication and authorization.

    .venv/bin/python bench/authz_share.py [--requests 300] [--database-url URL]

Runs the ASGI app in-process against a database that holds the demo data (default: a fresh
SQLite file, migrated and loaded here), sends the same GraphQL request repeatedly as several demo
accounts, and times, per request: the whole request; authentication (the one SQL statement that
checks the token and reads the policy version, see server.auth.service.identify); and the Casbin
decisions (scopes and per-row checks). Prints the share of each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = {
    "tickets page (50, nested)": """{ tickets(first: 50) { totalCount nodes { number status reporterPhone
        station { name } jurisdiction { name parent { name } } category { name } } } }""",
    "stations page (100, postings)": """{ stations(first: 100) { totalCount nodes { name kind status
        jurisdiction { name } postings { role staff { name } } } } }""",
}
USERS = ("bureau", "chief-changan", "worker-xiagang", "deputy")


class Timer:
    """Accumulates time in wrapped functions, counting only the outermost call of nested ones."""

    def __init__(self) -> None:
        self.total = 0.0
        self.depth = 0

    def wrap_async(self, fn: Any) -> Any:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.total += time.perf_counter() - start

        return timed

    def wrap(self, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.depth += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1
                if self.depth == 0:
                    self.total += time.perf_counter() - start

        return timed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url is None:
        os.environ["LIANXIN_VAR_DIR"] = tempfile.mkdtemp(prefix="lianxin-bench-")
    else:
        os.environ["LIANXIN_DATABASE_URL"] = args.database_url

    import httpx

    import schema.tickets.types as ticket_types
    import server.authz.authorizer as authorizer
    import server.pipeline as pipeline
    from lianxin.app import create_app
    from server.database import apply_migrations, open_database
    from server.demo import load_demo
    from server.settings import settings

    if args.database_url is None:
        await apply_migrations(quiet=True)
    authn, decide = Timer(), Timer()
    # The pipeline identifies every caller through its own reference to auth.service.identify.
    pipeline.identify = authn.wrap_async(pipeline.identify)
    for name in ("scope", "can", "visible_tickets", "require_somewhere"):
        setattr(authorizer.Authorizer, name, decide.wrap(getattr(authorizer.Authorizer, name)))
    ticket_types.personal_data = decide.wrap(ticket_types.personal_data)

    async with open_database():
        await load_demo(only_if_empty=True, progress=lambda _m: None)
        app = create_app(manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            tokens = {}
            for user in USERS:
                response = await client.post(
                    "/graphql",
                    json={
                        "query": "mutation($u: String!) { login(username: $u, "
                        'password: "lianxin-demo") { ... on LoginSuccess { token } } }',
                        "variables": {"u": user},
                    },
                )
                tokens[user] = response.json()["data"]["login"]["token"]
            print(f"database: {settings.database_url.split('@')[-1]}; {args.requests} requests per row\n")
            print(f"{'operation':32} {'user':15} {'p50 ms':>8} {'authn %':>8} {'authz %':>8}")
            for label, query in QUERIES.items():
                for user in USERS:
                    headers = {"Authorization": f"Bearer {tokens[user]}"}
                    for _ in range(10):  # warm up
                        await client.post("/graphql", json={"query": query}, headers=headers)
                    authn.total = decide.total = 0.0
                    times = []
                    start_all = time.perf_counter()
                    for _ in range(args.requests):
                        start = time.perf_counter()
                        await client.post("/graphql", json={"query": query}, headers=headers)
                        times.append(time.perf_counter() - start)
                    whole = time.perf_counter() - start_all
                    print(
                        f"{label:32} {user:15} {statistics.median(times) * 1000:8.2f} "
                        f"{100 * authn.total / whole:7.1f}% {100 * decide.total / whole:7.1f}%"
                    )


if __name__ == "__main__":
    asyncio.run(main())
