"""Read replicas: PostgreSQL streaming replicas of the primary (LIANXIN_DATABASE_REPLICA_URLS).

Growing past one machine is PostgreSQL's own streaming replication; what is ours is the choice of
connection for each operation:
- an operation that only reads (a GraphQL query) runs on a replica, round robin;
- mutations, subscriptions and everything around an operation (authentication, the rate limit,
  the records of key use and personal-data reads) run on the primary;
- a caller who wrote within LIANXIN_REPLICA_READ_YOUR_WRITES_SECONDS reads from the primary, so
  nobody reads their own change as missing, whichever worker serves the read;
- a replica further behind than that window, or one that does not answer, gets no reads until a
  later check finds it well again: its reads go to the primary.

Why a time mark rather than comparing the caller's last write LSN with the replica's
pg_last_wal_replay_lsn(): the LSN test needs the write's LSN kept as well and a statement on the
chosen replica before every read, and a replica that has not caught up then still sends the read
back to the primary; the time mark needs only the mark, and a replica lagging more than the
window is skipped altogether (the monitor below measures the lag every REFRESH_SECONDS), so a read
after the window never meets a replica that lacks the write.

The mark is kept on the primary (server.replicas.models.WriteMark, one row per caller), where
every worker and server sees it: a caller's read right after its write may land on any worker. It
costs one upsert per mutation and one primary-key read per query, only while replicas are
configured; a mark this process wrote itself is also remembered in memory, saving that read.

Routing swaps the `default` connection for the replica's in the operation's context, the way
Tortoise's own transactions swap it, so ORM queries and the planner's SQL alike follow it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise import connections

from server import clock, metrics
from server.replicas.models import WriteMark
from server.settings import settings

log = logging.getLogger("lianxin.replicas")

REFRESH_SECONDS = 2.0
# How long one replica check may take before the replica counts as lost.
CHECK_TIMEOUT_SECONDS = 2.0
# Seconds the replica's replay is behind the primary's last committed transaction; 0 when it has
# replayed everything it received (an idle primary writes nothing, so replay timestamps age).
LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END AS lag, "
    "pg_is_in_recovery() AS standby"
)


@dataclass
class Replica:
    name: str
    url: str
    client: Any
    up: bool = False
    lag_seconds: float | None = None
    error: str | None = None

    @property
    def eligible(self) -> bool:
        return self.up and (self.lag_seconds or 0.0) < settings.replica_read_your_writes_seconds

    def describe(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"name": self.name, "up": self.up, "eligible": self.eligible}
        if self.lag_seconds is not None:
            answer["lagSeconds"] = round(self.lag_seconds, 3)
        if self.error:
            answer["error"] = self.error
        return answer


_replicas: list[Replica] = []
_turn = itertools.count()
# caller name → time.monotonic() of its last write through this process (saves reading its mark)
_last_write: dict[str, float] = {}
_writes = itertools.count()
# Every this many marks written by a process, the marks past the window are deleted.
PRUNE_EVERY = 1000
_monitor: asyncio.Task[None] | None = None
_stop = asyncio.Event()


def _client(name: str, url: str) -> Any:
    from tortoise.backends.base.config_generator import expand_db_url

    from server.database import _tortoise_url
    from server.postgres_client import PostgresClient

    config = expand_db_url(_tortoise_url(url, serving=True))
    return PostgresClient(connection_name=name, **config["credentials"])


def configured() -> list[Replica]:
    return list(_replicas)


async def start(urls: tuple[str, ...] | list[str] | None = None, *, monitor: bool = True) -> None:
    """Open the replicas' pools (lazily, at first use) and check them once; `monitor` keeps checking
    them every REFRESH_SECONDS until `stop()`."""
    global _monitor
    urls = list(settings.database_replica_urls if urls is None else urls)
    if not urls:
        return
    _replicas[:] = [Replica(f"replica{i}", url, _client(f"replica{i}", url)) for i, url in enumerate(urls)]
    await refresh()
    if monitor:
        _stop.clear()
        _monitor = asyncio.create_task(_watch())


async def stop() -> None:
    global _monitor
    _stop.set()
    if _monitor is not None:
        await _monitor
        _monitor = None
    for replica in _replicas:
        with contextlib.suppress(Exception):
            await replica.client.close()
    _replicas.clear()
    _last_write.clear()


async def _watch() -> None:
    while not _stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_stop.wait(), REFRESH_SECONDS)
        if not _stop.is_set():
            await refresh()


async def refresh() -> None:
    """Check every replica: does it answer, is it a standby, how far behind is it."""
    for replica in _replicas:
        try:
            rows = await asyncio.wait_for(
                replica.client.execute_query_dict(LAG_SQL), timeout=CHECK_TIMEOUT_SECONDS
            )
            lag, standby = float(rows[0]["lag"] or 0.0), bool(rows[0]["standby"])
            if not standby:
                raise RuntimeError("not a standby: it is not in recovery")
            if not replica.up:
                log.info("replica %s is in service (%.3f s behind)", replica.name, lag)
            replica.up, replica.lag_seconds, replica.error = True, lag, None
        except Exception as exc:  # noqa: BLE001 - any failure takes the replica out of service
            if replica.up or replica.error is None:
                log.warning("replica %s is out of service: %s: %s", replica.name, type(exc).__name__, exc)
            replica.up, replica.lag_seconds, replica.error = False, None, type(exc).__name__


def _placeholders(client: Any, count: int) -> list[str]:
    return (
        [f"${i}" for i in range(1, count + 1)] if client.capabilities.dialect == "postgres" else ["?"] * count
    )


async def wrote(caller: str) -> None:
    """A caller's operation changed data (on the primary): its reads stay there for a while, in
    every process. Never raises: the change is made, whatever becomes of its mark."""
    if not _replicas:
        return
    now = time.monotonic()
    _last_write[caller] = now
    if len(_last_write) > 100_000:  # old marks go; a fresh one is never the oldest
        horizon = now - settings.replica_read_your_writes_seconds
        for name in [n for n, at in _last_write.items() if at < horizon]:
            del _last_write[name]
    client = connections.get("default")
    a, b = _placeholders(client, 2)
    try:
        await client.execute_query(
            f'INSERT INTO "replica_write_mark" ("caller", "wrote_at") VALUES ({a}, {b}) '  # noqa: S608
            'ON CONFLICT ("caller") DO UPDATE SET "wrote_at" = EXCLUDED."wrote_at"',
            [caller[:128], clock.now()],
        )
        if next(_writes) % PRUNE_EVERY == PRUNE_EVERY - 1:
            horizon_at = clock.now() - timedelta(seconds=settings.replica_read_your_writes_seconds)
            await WriteMark.filter(wrote_at__lt=horizon_at).delete()
    except Exception:
        log.exception("could not mark %s's write: its next reads may go to a replica", caller)


async def _recently_wrote(caller: str) -> bool:
    at = _last_write.get(caller)
    if at is not None and time.monotonic() - at < settings.replica_read_your_writes_seconds:
        return True
    mark = await WriteMark.get_or_none(caller=caller[:128])  # on the primary: nothing is swapped yet
    window = timedelta(seconds=settings.replica_read_your_writes_seconds)
    return mark is not None and clock.now() - mark.wrote_at < window


async def choose(caller: str) -> Replica | None:
    """The replica for a read-only operation of `caller`, or None for the primary."""
    if not _replicas:
        return None
    eligible = [r for r in _replicas if r.eligible]
    if not eligible:
        metrics.REPLICA_READS.labels("primary-no-replica").inc()
        return None
    if caller != "anonymous" and await _recently_wrote(caller):
        metrics.REPLICA_READS.labels("primary-after-write").inc()
        return None
    replica = eligible[next(_turn) % len(eligible)]
    metrics.REPLICA_READS.labels(replica.name).inc()
    return replica


@contextlib.contextmanager
def reading_from(replica: Replica | None) -> Iterator[None]:
    """Within the block (and the tasks it starts), `default` is the replica's connection."""
    if replica is None:
        yield
        return
    token = connections.set("default", replica.client)
    try:
        yield
    finally:
        connections.reset(token)


def lag_figures() -> list[Any]:
    """Metric families for /metrics: each replica's lag and whether it takes reads."""
    from prometheus_client.core import GaugeMetricFamily

    if not _replicas:
        return []
    lag = GaugeMetricFamily(
        "lianxin_replica_lag_seconds", "How far each read replica's replay is behind", labels=["replica"]
    )
    up = GaugeMetricFamily(
        "lianxin_replica_up", "1 when a read replica answers and is within the lag bound", labels=["replica"]
    )
    for replica in _replicas:
        behind = replica.lag_seconds if replica.lag_seconds is not None else float("nan")
        lag.add_metric([replica.name], behind)
        up.add_metric([replica.name], 1.0 if replica.eligible else 0.0)
    return [lag, up]
