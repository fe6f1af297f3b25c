"""Prometheus metrics, all named `lianxin_…`, served at /metrics (lianxin.app).

With several uvicorn workers each process writes its values to files in PROMETHEUS_MULTIPROC_DIR
(`lianxin serve` creates and empties that directory before the workers start), and whichever
worker answers a scrape adds them all up: the counts of every worker, not of the one that
happened to answer. Without that variable (tests, `lianxin worker`) the values live in this
process only.

Figures that live in the database (scheduled jobs due and late, replica lag) are read when
/metrics is scraped, by the process that answers it, not kept in every process."""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from server.settings import settings

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds: a planned read takes a few milliseconds, a report a few hundred.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATEMENT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233)

GRAPHQL_SECONDS = Histogram(
    "lianxin_graphql_operation_seconds",
    "GraphQL operations over HTTP: time from arrival to answer, by type, operation name and outcome",
    ["type", "operation", "outcome"],
    buckets=LATENCY_BUCKETS,
)
REST_SECONDS = Histogram(
    "lianxin_rest_request_seconds",
    "REST requests (Open311, CSV, maps, downloads): time from arrival to answer",
    ["interface", "operation", "outcome"],
    buckets=LATENCY_BUCKETS,
)
STATEMENTS = Histogram(
    "lianxin_request_statements",
    "SQL statements sent to the database while serving one request",
    ["interface"],
    buckets=STATEMENT_BUCKETS,
)
POOL_WAIT = Histogram(
    "lianxin_db_pool_wait_seconds",
    "Time a statement waited for a pooled PostgreSQL connection",
    ["database"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
POOL_IN_USE = Gauge(
    "lianxin_db_pool_connections_in_use",
    "PostgreSQL connections taken from the pools of the live processes",
    ["database"],
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "lianxin_db_pool_connections",
    "PostgreSQL connections open in the pools of the live processes",
    ["database"],
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS = Gauge(
    "lianxin_subscriptions_open",
    "Live ticket subscriptions (WebSocket) open in the live processes",
    multiprocess_mode="livesum",
)
LOGIN_FAILURES = Counter("lianxin_login_failures", "Logins refused for a wrong username or password")
LOGIN_LOCKOUTS = Counter(
    "lianxin_login_lockouts",
    "Login attempts refused unchecked: too many failures for the username or from the address",
    ["by"],
)
RATE_LIMITED = Counter(
    "lianxin_rate_limited_requests",
    "Requests of data-sharing keys refused over their rate limit",
    ["interface"],
)
JOB_RUNS = Counter("lianxin_job_runs", "Scheduled job runs, by job and outcome", ["job", "outcome"])
JOB_SECONDS = Histogram(
    "lianxin_job_run_seconds",
    "Scheduled job runs: how long each took",
    ["job"],
    buckets=(0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800),
)
REPLICA_READS = Counter(
    "lianxin_replica_reads",
    "Read-only operations, by where they were sent: a replica or the primary (and why)",
    ["target"],
)

# Operation names come from clients: a bounded set of well-formed names per process, the rest
# counted together, so that no client can grow the metrics without limit.
MAX_OPERATION_NAMES = 300
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_known_names: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "invalid"
    if name in _known_names:
        return name
    if len(_known_names) >= MAX_OPERATION_NAMES:
        return "other"
    _known_names.add(name)
    return name


def rest_label(operation: str | None) -> str:
    """REST operations are "METHOD /route/{param}": the declared route, never the concrete path."""
    return (operation or "-")[:100]


# Statements per request ---------------------------------------------------------------------------


class _Statements:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


_statements: contextvars.ContextVar[_Statements | None] = contextvars.ContextVar(
    "lianxin_statements", default=None
)


def start_counting() -> contextvars.Token[_Statements | None]:
    """Count the statements of the request served in this context (and the tasks it starts)."""
    return _statements.set(_Statements())


def stop_counting(token: contextvars.Token[_Statements | None]) -> None:
    _statements.reset(token)


def statements_so_far() -> int | None:
    counter = _statements.get()
    return None if counter is None else counter.count


def count_statement() -> None:
    """One statement sent for the request being served (server.postgres_client calls it)."""
    counter = _statements.get()
    if counter is not None:
        counter.count += 1


def _on_postgres() -> bool:
    return settings.database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))


class CountStatements(logging.Filter):
    """SQLite (the embedded mode): statements are counted from the records the database client
    logs at DEBUG (the tests' statement counter reads the same records); `lianxin serve` on
    SQLite turns that logger on at DEBUG and keeps it out of the log unless LIANXIN_LOG_SQL. On
    PostgreSQL the client counts them itself (server.postgres_client): a log record per statement
    costs tens of microseconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        counter = _statements.get()
        if counter is not None and record.levelno == logging.DEBUG and not _on_postgres():
            message = record.msg if isinstance(record.msg, str) else ""
            if not message.startswith(("Created connection", "Closed connection")):
                counter.count += 1
        return True


_logger = logging.getLogger("tortoise.db_client")
if not any(isinstance(f, CountStatements) for f in _logger.filters):
    _logger.addFilter(CountStatements())


def counting_statements() -> bool:
    return _on_postgres() or _logger.isEnabledFor(logging.DEBUG)


def observe_request(
    *, graphql: bool, interface: str, operation: str | None, outcome: str, seconds: float
) -> None:
    """One answered request (server.http.Exchange.log)."""
    if graphql:
        GRAPHQL_SECONDS.labels(interface or "-", operation_label(operation), outcome).observe(seconds)
    else:
        REST_SECONDS.labels(interface or "-", rest_label(operation), outcome).observe(seconds)
    statements = statements_so_far()
    if statements is not None and counting_statements():
        STATEMENTS.labels("graphql" if graphql else interface or "-").observe(statements)


# The connection pool ---------------------------------------------------------------------------


class MeteredPool:
    """An asyncpg pool that measures the wait for a connection and the connections in use.
    Tortoise takes connections with `await pool.acquire()` and gives them back with
    `await pool.release(connection)` (statements and transactions alike); everything else is the
    pool's own."""

    def __init__(self, pool: Any, database: str) -> None:
        self._pool = pool
        self._in_use = POOL_IN_USE.labels(database)
        self._size = POOL_SIZE.labels(database)
        self._wait = POOL_WAIT.labels(database)
        self._last_size = -1

    def _sized(self) -> None:
        # Written only when it changed: every write of a value is a locked write into the
        # multiprocess file, and a pool's size rarely changes (statements run by the thousand).
        size = self._pool.get_size()
        if size != self._last_size:
            self._last_size = size
            self._size.set(size)

    async def acquire(self, **kwargs: Any) -> Any:
        started = time.perf_counter()
        connection = await self._pool.acquire(**kwargs)
        self._wait.observe(time.perf_counter() - started)
        self._in_use.inc()
        self._sized()
        return connection

    async def release(self, connection: Any, **kwargs: Any) -> None:
        try:
            await self._pool.release(connection, **kwargs)
        finally:
            self._in_use.dec()
            self._sized()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


# Access ----------------------------------------------------------------------------------------


def may_scrape(client_address: str | None, authorization: str | None) -> bool:
    """From an address or network in LIANXIN_METRICS_ALLOW, or bearing LIANXIN_METRICS_KEY."""
    import hmac

    if settings.metrics_key and authorization:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(credential.strip(), settings.metrics_key):
            return True
    if not client_address:
        return False
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in settings.metrics_allow)


# Exposition ------------------------------------------------------------------------------------


class _Snapshot(Collector):
    """Figures read from the database for this scrape."""

    def __init__(self, families: Iterable[GaugeMetricFamily]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.families


def exposition(families: Iterable[GaugeMetricFamily] = ()) -> bytes:
    """The text format: every process's values (or this process's alone), then the database's."""
    directory = os.environ.get(MULTIPROCESS_DIR_ENV)
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    snapshot = CollectorRegistry()
    snapshot.register(_Snapshot(families))
    return text + generate_latest(snapshot)


def process_exited() -> None:
    """A worker shutting down: its live gauges (connections, subscriptions) stop counting."""
    if os.environ.get(MULTIPROCESS_DIR_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
