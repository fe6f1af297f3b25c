"""Do logins slow everyone else down? The latency of a trivial query with and without 12 logins.

    .venv/bin/python bench/logins.py                      # 10 s quiet, then 10 s with 12 logins
    .venv/bin/python bench/logins.py --duration 20 --logins 24
    .venv/bin/python bench/logins.py --tree /tmp/old-checkout   # the same against another checkout

Starts `lianxin serve` (one worker) on loopback against a fresh SQLite database in a temporary
directory, migrated and loaded with the demo data. Then, for --duration seconds each:

  quiet   one client sends `{ me { username } }` as `bureau`, the next when the last is answered;
  logins  the same, while --logins clients each log in again and again as the demo accounts
          (right password: the normal morning rush, not an attack, so the throttle stays out of it).

Prints p50/p99/max of the trivial query in both phases, and logins per second. Argon2 costs
0.1-1 s of CPU per login; when it runs on the event loop, every request queued behind it waits
that long. The client runs on the same cores as the server: its CPU time is part of the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The demo's login accounts, as the demo data creates them (this checkout's list, also with --tree).
from server.auth.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD  # noqa: E402

PASSWORD = DEMO_PASSWORD
ACCOUNTS = list(DEMO_ACCOUNTS)
LOGIN = (
    "mutation($u: String!, $p: String!) { login(username: $u, password: $p) "
    "{ __typename ... on LoginSuccess { token } ... on LoginError { code message } } }"
)
TRIVIAL = "{ me { username } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(tree: Path) -> Iterator[str]:
    """`lianxin serve` from `tree` on a fresh migrated demo database; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="lianxin-logins-") as tmp:
        env = {
            **os.environ,
            "LIANXIN_VAR_DIR": tmp,
            "LIANXIN_MODE": "demo",
            "LIANXIN_DATABASE_URL": f"sqlite://{tmp}/bench.sqlite3",
            "PYTHONPATH": str(tree),
        }
        env.pop("LIANXIN_SECRET_KEY", None)
        for command in (["migrate"], ["demo"]):
            subprocess.run(
                [sys.executable, "-m", "lianxin.cli", *command],
                cwd=tree,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        port = _free_port()
        log = Path(tmp) / "serve.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "lianxin.cli", "serve", "--port", str(port), "--workers", "1"],
                cwd=tree,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 60
                while True:
                    if proc.poll() is not None:
                        raise SystemExit("lianxin serve exited:\n" + log.read_text()[-2000:])
                    with contextlib.suppress(httpx.HTTPError):
                        if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise SystemExit("lianxin serve did not become ready")
                    time.sleep(0.2)
                yield base
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()


async def _login(client: httpx.AsyncClient, username: str) -> str:
    response = await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": PASSWORD}}
    )
    result = response.json()["data"]["login"]
    if result["__typename"] != "LoginSuccess":
        raise SystemExit(f"login as {username} refused: {result}")
    return str(result["token"])


async def _trivial_loop(client: httpx.AsyncClient, token: str, until: float, healthz: bool) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    latencies = []
    while time.monotonic() < until:
        start = time.perf_counter()
        if healthz:
            response = await client.get("/healthz")
        else:
            response = await client.post("/graphql", json={"query": TRIVIAL}, headers=headers)
        latencies.append(time.perf_counter() - start)
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise SystemExit(f"the trivial request failed: {response.status_code} {body}")
    return latencies


async def _login_loop(client: httpx.AsyncClient, index: int, until: float) -> list[float]:
    durations = []
    while time.monotonic() < until:
        start = time.perf_counter()
        await _login(client, ACCOUNTS[index % len(ACCOUNTS)])
        durations.append(time.perf_counter() - start)
    return durations


def _ms(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000


async def measure(base: str, duration: float, logins: int, healthz: bool) -> dict[str, dict[str, float]]:
    limits = httpx.Limits(max_connections=logins + 4, max_keepalive_connections=logins + 4)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        token = await _login(client, "bureau")
        await _trivial_loop(client, token, time.monotonic() + 1, healthz)  # warm-up
        results: dict[str, dict[str, float]] = {}
        for phase, parallel in (("quiet", 0), (f"{logins} logins", logins)):
            until = time.monotonic() + duration
            trivial, *login_runs = await asyncio.gather(
                _trivial_loop(client, token, until, healthz),
                *(_login_loop(client, i, until) for i in range(parallel)),
            )
            login_times = [t for run in login_runs for t in run]
            results[phase] = {
                "queries": len(trivial),
                "p50": statistics.median(trivial) * 1000,
                "p99": _ms(trivial, 0.99),
                "max": max(trivial) * 1000,
                "logins/s": len(login_times) / duration,
                "login p50": statistics.median(login_times) * 1000 if login_times else 0.0,
            }
        return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--logins", type=int, default=12, help="clients logging in at once")
    parser.add_argument("--healthz", action="store_true", help="time GET /healthz instead of the query")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose server to run")
    args = parser.parse_args()
    with served(args.tree.resolve()) as base:
        results = asyncio.run(measure(base, args.duration, args.logins, args.healthz))
    print(f"server: {args.tree.resolve()}  trivial request: {'GET /healthz' if args.healthz else TRIVIAL}")
    header = f"{'phase':12} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(f"{header} {'logins/s':>9} {'login p50 ms':>13}")
    for phase, row in results.items():
        print(
            f"{phase:12} {row['queries']:>8.0f} {row['p50']:>8.1f} {row['p99']:>8.1f} {row['max']:>8.1f}"
            f" {row['logins/s']:>9.1f} {row['login p50']:>13.0f}"
        )


if __name__ == "__main__":
    main()
