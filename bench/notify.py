"""Webhook fan-out and delivery: events per second and p99 delivery lag, with 1 and 2 workers.

    .venv/bin/python bench/notify.py --postgres postgresql://postgres@127.0.0.1:55451/postgres \
        [--events 10000] [--targets 3] [--workers 1,2]

For each worker count: a fresh database (migrated, demo data), three receivers on 127.0.0.1 (this
process, each answering 200 at once), one subscription per receiver to every ticket event, then
`--events` outbox rows written at once (ticket events spread over the demo's tickets, as the
history rows' own save writes them), and `lianxin worker` processes (poll 0.05 s) started. Timed
from the write to the last delivery: fan-out, per-object ordering, signing, sending, recording.
Lag is each delivery's `lag_ms` (from the event to its 2xx answer, as the delivery log keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class Receiver:
    def __init__(self) -> None:
        self.count = 0
        self.port = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: httpx reuses its connections
                length = 0
                line = await reader.readline()
                if not line:
                    return
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                self.count += 1
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


async def _admin(admin_url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _prepare(url: str) -> None:
    from server.database import apply_migrations, open_database
    from server.demo import load_demo

    await apply_migrations(url, quiet=True)
    async with open_database(url):
        await load_demo(progress=lambda _msg: None)


async def _subscribe_and_write(url: str, ports: list[int], events: int) -> None:
    from server import clock
    from server.database import open_database
    from server.geo.models import Jurisdiction
    from server.notifications.models import OutboxEvent, WebhookSubscription
    from server.tickets.models import TicketEvent

    async with open_database(url):
        # the demo's own history goes nowhere: the subscriptions hear what happens after them
        await OutboxEvent.filter(fanned_out_at=None).update(fanned_out_at=clock.now())
        city = await Jurisdiction.get(code="dongguan")
        for port in ports:
            await WebhookSubscription.create(
                name=f"bench {port}",
                target_url=f"http://127.0.0.1:{port}/hook",
                event_types=["ticket.*"],
                jurisdiction_id=city.id,
                owner="admin",
                secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                created_at=clock.now(),
            )
        history = await TicketEvent.all().order_by("id").limit(events).values("id", "ticket_id", "action")
        now = clock.now()
        await OutboxEvent.bulk_create(
            [
                OutboxEvent(
                    event_type=f"ticket.{row['action']}",
                    object_type="ticket",
                    object_id=row["ticket_id"],
                    source_id=row["id"],
                    at=now,
                )
                for row in (history[i % len(history)] for i in range(events))
            ],
            batch_size=1000,
        )


async def _delivered(url: str) -> tuple[int, list[int]]:
    from server.database import open_database
    from server.notifications.models import WebhookDelivery

    async with open_database(url):
        lags = await WebhookDelivery.filter(status="DELIVERED").values_list("lag_ms", flat=True)
        pending = await WebhookDelivery.filter(status="PENDING").count()
    return pending, sorted(int(v) for v in lags)  # type: ignore[call-overload]


async def trial(admin_url: str, events: int, targets: int, workers: int) -> dict[str, Any]:
    name = f"lianxin_notify_bench_{uuid.uuid4().hex[:8]}"
    url = f"{admin_url.rpartition('/')[0]}/{name}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    receivers = [Receiver() for _ in range(targets)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await asyncio.to_thread(lambda: asyncio.run(_prepare(url)))
        for r in receivers:
            await r.start()
        env = {
            **os.environ,
            "LIANXIN_DATABASE_URL": url,
            "LIANXIN_JOB_POLL_SECONDS": "0.05",
            "LIANXIN_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        }
        await asyncio.to_thread(
            lambda: asyncio.run(_subscribe_and_write(url, [r.port for r in receivers], events))
        )
        started = time.perf_counter()
        procs = [
            subprocess.Popen(  # noqa: ASYNC220 - started once, stopped below
                [sys.executable, "-m", "lianxin.cli", "worker"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        expected = events * targets
        while sum(r.count for r in receivers) < expected:
            await asyncio.sleep(0.05)
            if time.perf_counter() - started > 1800:
                raise TimeoutError("not delivered in 30 minutes")
        elapsed = time.perf_counter() - started
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        for r in receivers:
            if r.server:
                r.server.close()
    pending, lags = await asyncio.to_thread(lambda: asyncio.run(_delivered(url)))
    await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "workers": workers,
        "events": events,
        "deliveries": sum(r.count for r in receivers),
        "seconds": round(elapsed, 1),
        "events_per_s": round(events / elapsed, 1),
        "deliveries_per_s": round(events * targets / elapsed, 1),
        "p50_lag_ms": lags[len(lags) // 2] if lags else None,
        "p99_lag_ms": lags[int(len(lags) * 0.99) - 1] if lags else None,
        "pending_left": pending,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", metavar="ADMIN_URL", required=True)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--targets", type=int, default=3)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    os.environ["LIANXIN_VAR_DIR"] = tempfile.mkdtemp(prefix="lianxin-notify-bench-")
    os.environ.setdefault("LIANXIN_MODE", "demo")
    for workers in (int(w) for w in args.workers.split(",")):
        result = asyncio.run(trial(args.postgres, args.events, args.targets, workers))
        print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
