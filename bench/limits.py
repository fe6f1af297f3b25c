"""How fast hostile queries are refused, and whether the next normal request is served at once.

    .venv/bin/python bench/limits.py

In-process ASGI app on a fresh SQLite demo database; each request timed 20 times, median shown.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LIANXIN_VAR_DIR", tempfile.mkdtemp(prefix="lianxin-limits-"))

HOSTILE = {
    "50 levels deep": "{ stations(first: 1) { nodes { "
    + "jurisdiction { parent { " * 25
    + "name"
    + " } }" * 25
    + " } } }",
    "1,000 aliases": "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }",
    "1 MB document": "{ stations(first: 1) { totalCount } } # " + "x" * 1_000_000,
    "first: 100000": "{ stations(first: 100000) { totalCount } }",
    "cost bomb": "{ stations(first: 500) { nodes { tickets(first: 500) { nodes { history { actor } } } } } }",
}
NORMAL = "{ stations(first: 10) { totalCount nodes { name } } }"


async def main() -> None:
    import httpx

    from lianxin.app import create_app
    from server.database import apply_migrations, open_database
    from server.demo import load_demo

    await apply_migrations(quiet=True)
    async with open_database():
        await load_demo(progress=lambda _m: None)
        app = create_app(manage_database=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client:
            login = await client.post(
                "/graphql",
                json={
                    "query": 'mutation { login(username: "bureau", '
                    'password: "lianxin-demo") { ... on LoginSuccess { token } } }'
                },
            )
            headers = {"Authorization": "Bearer " + login.json()["data"]["login"]["token"]}
            print(
                f"{'request':18} {'status':>6} {'refused in (median ms)':>24} "
                f"{'next normal request (ms)':>26}  error"
            )
            for label, query in HOSTILE.items():
                refused, after = [], []
                for _ in range(20):
                    start = time.perf_counter()
                    response = await client.post("/graphql", json={"query": query}, headers=headers)
                    refused.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    normal = await client.post("/graphql", json={"query": NORMAL}, headers=headers)
                    after.append(time.perf_counter() - start)
                    assert normal.status_code == 200 and "errors" not in normal.json()
                body = response.json()
                message = (body.get("errors") or [{}])[0].get("message", "")[:70]
                print(
                    f"{label:18} {response.status_code:>6} {statistics.median(refused) * 1000:>24.2f} "
                    f"{statistics.median(after) * 1000:>26.2f}  {message}"
                )


if __name__ == "__main__":
    asyncio.run(main())
