"""How many requests one data-sharing key gets through in one rate-limit window, against a real
`lianxin serve --workers 4` on loopback. With the limit counted in the database it is the limit
(LIANXIN_API_KEY_REQUESTS_PER_MINUTE), whichever worker takes each request; a count per process
would let up to four times as many through.

    .venv/bin/python bench/rate_limit.py                      # limit 120 per 60 s, SQLite
    .venv/bin/python bench/rate_limit.py --limit 50 --window 20
    .venv/bin/python bench/rate_limit.py --database-url postgresql://postgres@127.0.0.1:55440/lianxin_bench_rate

A fresh database (SQLite in a temporary directory unless --database-url names one: it is migrated
and given the demo data if empty), a key made with `lianxin apikey create`, then C clients send
requests as fast as they can with new connections (so that every worker takes some), from the
start of a window to just before its end. Prints requests served (200) and refused (429).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PATH = "/open311/v2/services.json"  # cheap, and counted when a key is sent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lianxin(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lianxin.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"lianxin {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


async def _client(
    http: httpx.AsyncClient, address: str, key: str, until: float, counts: dict[int, int]
) -> None:
    while time.time() < until:
        response = await http.get(f"http://{address}{PATH}", headers={"X-Api-Key": key})
        if time.time() < until:
            counts[response.status_code] = counts.get(response.status_code, 0) + 1


async def _drive(address: str, key: str, window: int, clients: int) -> dict[int, int]:
    now = time.time()
    start = (int(now // window) + 1) * window  # the next window, from its first second
    await asyncio.sleep(start - now + 0.05)
    counts: dict[int, int] = {}
    # No keep-alive: a new connection per request, which the kernel hands to whichever worker
    # accepts first, so that every worker serves some.
    limits = httpx.Limits(max_keepalive_connections=0, max_connections=clients)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        until = start + window - 0.3
        await asyncio.gather(*(_client(http, address, key, until, counts) for _ in range(clients)))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=120, help="LIANXIN_API_KEY_REQUESTS_PER_MINUTE")
    parser.add_argument("--window", type=int, default=60, help="LIANXIN_RATE_LIMIT_WINDOW_SECONDS")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="lianxin-rate-")
    url = args.database_url or f"sqlite://{var_dir}/rate.sqlite3"
    env = {
        **os.environ,
        "LIANXIN_VAR_DIR": var_dir,
        "LIANXIN_DATABASE_URL": url,
        "LIANXIN_API_KEY_REQUESTS_PER_MINUTE": str(args.limit),
        "LIANXIN_RATE_LIMIT_WINDOW_SECONDS": str(args.window),
    }
    _lianxin(env, "migrate")
    _lianxin(env, "demo", "--if-empty")
    created = _lianxin(env, "apikey", "create", "--name", "rate bench", "--scope", "station")
    match = re.search(r"key \(shown once\): (\S+)", created)
    if match is None:
        raise SystemExit(f"no key in: {created}")
    key = match.group(1)

    port = _free_port()
    address = f"127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "lianxin.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://{address}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not become ready")
            time.sleep(0.2)
        time.sleep(1)  # every worker up, not only the first
        counts = asyncio.run(_drive(address, key, args.window, args.clients))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    served, refused = counts.get(200, 0), counts.get(429, 0)
    other = {status: n for status, n in counts.items() if status not in {200, 429}}
    print(f"database        {'PostgreSQL' if url.startswith(('postgres', 'asyncpg')) else 'SQLite'}")
    print(f"workers         {args.workers}")
    print(f"limit           {args.limit} per {args.window} s window")
    print(f"requests sent   {sum(counts.values())} by {args.clients} clients in one window")
    print(f"served (200)    {served}")
    print(f"refused (429)   {refused}")
    if other:
        print(f"other           {other}")
    print(f"per-process count would have allowed up to {args.limit * args.workers}")
    return 0 if served == args.limit and not other else 1


if __name__ == "__main__":
    raise SystemExit(main())
