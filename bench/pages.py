"""Server time of each web page (/app) on a bench database: p50 and p95 over N requests.

    .venv/bin/python bench/pages.py --database-url postgresql://postgres@127.0.0.1:55440/lianxin_bench_1m
    .venv/bin/python bench/pages.py --database-url sqlite:///abs/path/lianxin_bench.sqlite3 --requests 20

Starts `lianxin serve` (one worker) on loopback against the database, signs in through the login
page as the demo account each page is for (a session row and the login throttle's row are the
only writes), then requests each page --requests times, one at a time, after one warm-up request.
The server time is the access log's duration_ms of each request (the time from the request's
arrival to the last byte of the answer, inside the server); the client's wall time is shown
beside it. Pages that change data (the forms' POSTs) are not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "lianxin-demo"  # noqa: S105 - the demo accounts' public password

# (who, page): each page as the person it is for.
PAGES: list[tuple[str, str]] = [
    ("worker-xiagang", "/app"),  # no operation: the floor under the machine's load of the moment
    ("worker-xiagang", "/app/desk"),
    ("worker-xiagang", "/app/desk/queue"),
    ("worker-xiagang", "/app/tickets/{ticket}"),
    ("chief-changan", "/app/board"),
    ("chief-changan", "/app/board?view=registered"),
    ("chief-changan", "/app/board?view=overdue"),
    ("chief-changan", "/app/board?view=due_soon"),
    ("chief-changan", "/app/scorecard"),
    ("chief-changan", "/app/map"),
    ("deputy", "/app/proposals"),
    ("deputy", "/app/proposals/{proposal}"),
    ("bureau", "/app/supervision"),
    ("bureau", "/app/stations?year=2022"),
    ("admin", "/app/admin"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sign_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/app/login")
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
    assert match, form.text[:300]
    answer = client.post(
        "/app/login", data={"username": username, "password": PASSWORD, "csrf_token": match.group(1)}
    )
    assert answer.status_code == 303, answer.text[:300]
    return client


def _first_link(client: httpx.Client, page: str, pattern: str) -> str:
    found = re.search(pattern, client.get(page).text)
    assert found, f"no link matching {pattern} on {page}"
    return found.group(1)


def _server_times(log: Path, request_ids: dict[str, str]) -> dict[str, list[float]]:
    """duration_ms of each measured request, by page, from the server's JSON access lines."""
    times: dict[str, list[float]] = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        page = request_ids.get(entry.get("request_id", ""))
        if page is not None and "duration_ms" in entry:
            times.setdefault(page, []).append(float(entry["duration_ms"]))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    port = _free_port()
    var = Path(tempfile.mkdtemp(prefix="lianxin-bench-pages-"))
    log = var / "server.log"
    env = {
        **os.environ,
        "LIANXIN_DATABASE_URL": args.database_url,
        "LIANXIN_VAR_DIR": str(var),
        "LIANXIN_RUN_JOBS_IN_SERVER": "false",
    }
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "lianxin.cli", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.3)
        clients = {who: _sign_in(base, who) for who in sorted({who for who, _ in PAGES})}
        links = {
            "ticket": _first_link(
                clients["worker-xiagang"], "/app/desk/queue", r'href="/app/tickets/([^"]+)"'
            ),
            "proposal": _first_link(clients["deputy"], "/app/proposals", r'href="/app/proposals/([^"]+)"'),
        }
        request_ids: dict[str, str] = {}
        wall: dict[str, list[float]] = {}
        for who, template in PAGES:
            page = template.format(**links)
            client = clients[who]
            client.get(page)  # warm-up: caches, the first statement plans
            for _ in range(args.requests):
                started = time.perf_counter()
                answer = client.get(page)
                wall.setdefault(template, []).append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (page, answer.status_code, answer.text[:300])
                request_ids[answer.headers["x-request-id"]] = template
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_ms = _server_times(log, request_ids)
    print(f"{'page':34} {'who':15} {'server p50':>10} {'p95':>8} {'wall p50':>9}", end="")
    print(f"  (ms, {args.requests} requests each)")
    for who, template in PAGES:
        times = sorted(server_ms.get(template, []))
        if not times:
            print(f"{template:34} {who:15} (no log lines found)")
            continue
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"{template:34} {who:15} {statistics.median(times):10.1f} {p95:8.1f} "
            f"{statistics.median(wall[template]):9.1f}"
        )


if __name__ == "__main__":
    main()
