"""Database outage: requests fail fast with 503 DATABASE_UNAVAILABLE, /readyz says so while /healthz
stays up, service resumes without a restart, and a mutation caught by the outage is in the
database wholly or not at all.

The real outage stops a throwaway PostgreSQL cluster under a running `lianxin serve`; the rest
runs in-process on either database."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from graphql import GraphQLError
from starlette.requests import Request
from strawberry.types import ExecutionResult

from server.database import database_unavailable, tortoise_config
from server.http import Exchange
from server.settings import settings
from tests.conftest import TEST_DB
from tests.servers import free_port, login, stop, wait_ready

ROOT = Path(__file__).resolve().parent.parent
UNAVAILABLE = "DATABASE_UNAVAILABLE"


def _codes(body: Any) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in (body or {}).get("errors") or []]


# ---- in-process, both databases ------------------------------------------------------------


async def test_losing_the_database_while_authenticating_is_503(
    client: Any, gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import server.auth.service

    token = await gql.token("bureau")

    async def refused(*_: Any) -> Any:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    monkeypatch.setattr(server.auth.service, "authenticate", refused)  # what every entry point calls
    for accept in ("application/json", "application/graphql-response+json"):
        response = await client.post(
            "/graphql",
            json={"query": "{ stations { totalCount } }"},
            headers={"Authorization": f"Bearer {token}", "Accept": accept},
        )
        assert response.status_code == 503 and response.headers["retry-after"]
        assert response.headers["content-type"].startswith(accept)
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": UNAVAILABLE, "requestId": response.headers["x-request-id"]}
        assert (
            "database is unavailable; nothing was done" in error["message"]
            and "Connect call" not in error["message"]
        )


async def test_readyz_says_503_while_healthz_stays_200(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import lianxin.app

    class Gone:
        async def execute_query(self, *_: Any) -> Any:
            raise ConnectionRefusedError(111, "Connect call failed")

    class Connections:
        def get(self, _name: str) -> Gone:
            return Gone()

    monkeypatch.setattr(lianxin.app, "connections", Connections())
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "database unavailable"
    assert (await client.get("/healthz")).status_code == 200


async def test_a_resolver_error_from_a_lost_connection_becomes_503() -> None:
    """The view's side: an error whose cause is a lost connection is answered 503, whatever the
    masking made of its message."""
    from lianxin.app import LianxinGraphQL
    from schema.schema import schema

    view = LianxinGraphQL(schema)
    request = Request({"type": "http", "method": "POST", "headers": [], "path": "/graphql"})
    request.state.exchange = exchange = Exchange(request_id="r1", media_type="application/json")
    lost = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    masked = GraphQLError("Internal error.", path=["stations"], original_error=lost)
    body = await view.process_result(request, ExecutionResult(data=None, errors=[masked]))
    assert exchange.status == 503 and _codes(body) == [UNAVAILABLE]
    assert body["errors"][0]["path"] == ["stations"]  # type: ignore[index]


async def test_a_resolver_losing_the_database_is_503(
    gql: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.geo import service

    def lost(**_: Any) -> Any:
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    token = await gql.token("bureau")
    monkeypatch.setattr(service, "list_jurisdictions", lost)
    response = await client.post(
        "/graphql",
        json={"query": "{ jurisdictions { totalCount } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 503 and _codes(response.json()) == [UNAVAILABLE]


async def test_a_planned_read_losing_the_database_is_503_without_reading_again(
    gql: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner's statement fails as the database goes: the answer is the resolvers' (503,
    DATABASE_UNAVAILABLE at the field), given at once; the resolvers do not wait for the same
    database a second time (here they would find it and answer 200)."""
    from server import planned

    async def lost(_text: str, _params: Any) -> Any:
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    token = await gql.token("bureau")
    monkeypatch.setattr(planned, "fetch", lost)
    response = await client.post(
        "/graphql",
        json={"query": "{ tickets(first: 5) { nodes { number status } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert response.status_code == 503 and _codes(body) == [UNAVAILABLE]
    assert body["errors"][0]["path"] == ["tickets"]
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 3}]


def _raised_from(cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432)"), True),
        (TimeoutError(), True),
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"), True),
        (asyncpg.CannotConnectNowError("the database system is shutting down"), True),
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"), True),
        (asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"), True),
        (
            asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
            True,
        ),
        (_raised_from(ConnectionResetError()), True),
        (asyncpg.InterfaceError("cannot perform operation: another operation is in progress"), False),
        (asyncpg.UniqueViolationError("duplicate key"), False),
        (asyncpg.PostgresSyntaxError("syntax error"), False),
        (FileNotFoundError(2, "No such file"), False),
        (ValueError("boom"), False),
        (None, False),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, bool) else str(value),
)
def test_which_errors_mean_the_database_is_unavailable(exc: BaseException | None, unavailable: bool) -> None:
    assert database_unavailable(exc) is unavailable


def _postgres(url: str, *, serving: bool = False) -> dict[str, Any]:
    connection: dict[str, Any] = tortoise_config(url, serving=serving)["connections"]["default"]
    assert connection["engine"] == "server.postgres_client"
    return dict(connection["credentials"])


def test_postgres_connections_time_out() -> None:
    served = _postgres("postgresql://u@db:5432/lianxin", serving=True)
    where = (served["host"], served["port"], served["user"], served["database"])
    assert where == ("db", 5432, "u", "lianxin")
    assert (str(served["timeout"]), str(served["command_timeout"])) == ("2", "10")
    own = _postgres("postgres://u@db/lianxin?command_timeout=60", serving=True)
    assert str(own["command_timeout"]) == "60"
    # migrations and admin commands may run long statements
    admin = _postgres("postgres://u@db/lianxin")
    assert str(admin["timeout"]) == "2" and "command_timeout" not in admin
    assert tortoise_config("sqlite://:memory:", serving=True)["connections"]["default"] == "sqlite://:memory:"


# ---- a real outage: PostgreSQL stopped under load ---------------------------------------------


class Cluster:
    """A throwaway PostgreSQL cluster of our own, to stop and start (.ci/postgres.sh)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lianxin-outage-pg-"))
        self.dir.chmod(0o755)  # the postgres user works in it
        self.port = free_port()

    def _script(self, *args: str) -> None:
        subprocess.run(
            ["bash", str(ROOT / ".ci" / "postgres.sh"), *args], check=True, capture_output=True, timeout=600
        )

    def start(self) -> None:
        self._script("start", str(self.dir), str(self.port))

    def start_as_copy(self, port: int) -> None:
        """Its first start: a copy of the cluster on `port`, with its databases as they are now."""
        self._script("copy", str(self.dir), str(self.port), str(port))

    def stop(self) -> None:
        self._script("stop", str(self.dir))

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


async def copy_of_the_suite(cluster: Cluster, database_url: str, name: str) -> str:
    """Start `cluster` as a copy of the server the suite's database is on, that database (migrated,
    with the demo: what `lianxin migrate` and `lianxin demo` make) renamed `name`; its URL there.
    A copy costs a second, a migrated database of its own many (Tortoise rebuilds its models'
    state at every operation of every migration)."""
    port = urlsplit(database_url).port
    assert port is not None, database_url
    await asyncio.to_thread(cluster.start_as_copy, port)
    admin = await asyncpg.connect(cluster.url("postgres"))
    try:
        await admin.execute(f'ALTER DATABASE "{database_url.rsplit("/", 1)[1]}" RENAME TO "{name}"')
    finally:
        await admin.close()
    return cluster.url(name)


@dataclass
class Outcome:
    kind: str  # "query" or "mutation"
    marker: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all
    body: Any = None

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def ok(self) -> bool:
        return self.status == 200 and not (self.body or {}).get("errors")

    @property
    def registered(self) -> str | None:
        """The number of the ticket this attempt reports registered."""
        payload = ((self.body or {}).get("data") or {}).get("registerTicket") or {}
        return payload["ticket"]["number"] if payload.get("__typename") == "RegisterTicketPayload" else None

    @property
    def unavailable(self) -> bool:
        return self.status == 503 and _codes(self.body) == [UNAVAILABLE]


@dataclass
class Served:
    cluster: Cluster
    database_url: str
    address: str
    log: Path  # the server's JSON log, for when the test fails

    def log_of(self, request_id: str) -> str:
        return "\n".join(line for line in self.log.read_text().splitlines() if request_id in line)


@pytest.fixture
async def outage_server(database_url: str) -> AsyncIterator[Served]:
    if os.geteuid() != 0:
        pytest.skip("running a PostgreSQL cluster as the postgres user needs root (as .ci/run has)")
    cluster = Cluster()
    proc = None
    try:
        url = await copy_of_the_suite(cluster, database_url, "lianxin_outage")
        env = {**os.environ, "LIANXIN_DATABASE_URL": url}
        address = f"127.0.0.1:{free_port()}"
        log = served_log = cluster.dir / "serve.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "lianxin.cli", "serve", "--port", address.rsplit(":", 1)[1]],
                env={**env, "LIANXIN_SECRET_KEY": settings.secret_key},
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        await asyncio.to_thread(wait_ready, address, proc)
        yield Served(cluster, url, address, served_log)
    finally:
        if proc is not None:
            stop(proc)
        await asyncio.to_thread(cluster.stop)
        shutil.rmtree(cluster.dir, ignore_errors=True)


QUERY = "{ stations(first: 1) { totalCount } }"
REGISTER = """mutation($i: RegisterTicketInput!) { registerTicket(input: $i) { __typename
  ... on RegisterTicketPayload { ticket { id number } }
  ... on ValidationError { code fields { field message } } ... on ForbiddenError { code message } } }"""


class Load:
    """Workers posting queries and registerTicket mutations back to back, each answer recorded."""

    def __init__(self, address: str, tokens: dict[str, str], refs: dict[str, str]) -> None:
        self.address, self.tokens, self.refs = address, tokens, refs
        self.outcomes: list[Outcome] = []
        self.done = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, queries: int = 2, mutations: int = 3) -> None:
        for n in range(queries):
            self.tasks.append(asyncio.create_task(self._work("query", n)))
        for n in range(mutations):
            self.tasks.append(asyncio.create_task(self._work("mutation", n)))

    async def stop(self) -> None:
        self.done.set()
        await asyncio.gather(*self.tasks)

    async def _work(self, kind: str, worker: int) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[kind]}"}
        async with httpx.AsyncClient(base_url=f"http://{self.address}", headers=headers, timeout=5) as http:
            attempt = 0
            while not self.done.is_set():
                attempt += 1
                marker = f"outage test {kind} {worker}-{attempt}"
                if kind == "query":
                    payload: dict[str, Any] = {"query": QUERY}
                else:
                    payload = {"query": REGISTER, "variables": {"i": self._ticket(marker)}}
                started = time.monotonic()
                try:
                    response = await http.post("/graphql", json=payload)
                    status, body = response.status_code, response.json()
                except (httpx.HTTPError, ValueError) as exc:
                    status, body = None, {"transport": repr(exc)}
                self.outcomes.append(Outcome(kind, marker, started, time.monotonic(), status, body))
                await asyncio.sleep(0.01)

    def _ticket(self, marker: str) -> dict[str, Any]:
        return {
            "source": "HOTLINE_12345",
            "categoryId": self.refs["category"],
            "stationId": self.refs["station"],
            "description": marker,
            "reporterName": "王先生",
            "reporterPhone": "13800000001",
        }

    def between(self, start: float, end: float) -> list[Outcome]:
        return [o for o in self.outcomes if o.started >= start and o.ended <= end]


async def _until(predicate: Any, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


@pytest.mark.postgres_only
@pytest.mark.skipif(TEST_DB != "postgres", reason="the embedded SQLite database cannot be stopped")
async def test_postgres_stopped_under_load(outage_server: Served) -> None:
    served = outage_server
    base = f"http://{served.address}"
    # Queries as the bureau; tickets are registered by the community worker at the station.
    token = await asyncio.to_thread(login, served.address, "bureau")
    worker = await asyncio.to_thread(login, served.address, "worker-xiagang")
    async with httpx.AsyncClient(base_url=base, timeout=5) as probe:
        refs_body = (
            await probe.post(
                "/graphql",
                json={
                    "query": '{ ticketCategories { id code } stations(first: 1, filter: {search: "厦岗"}) '
                    "{ nodes { id } } }"
                },
                headers={"Authorization": f"Bearer {token}"},
            )
        ).json()["data"]
        refs = {
            "category": next(c["id"] for c in refs_body["ticketCategories"] if c["code"] == "occupying_road"),
            "station": refs_body["stations"]["nodes"][0]["id"],
        }

        load = Load(served.address, {"query": token, "mutation": worker}, refs)
        load.start()
        try:
            # Before: everything works.
            await _until(lambda: sum(o.kind == "mutation" for o in load.outcomes) >= 3, timeout=30)
            before = list(load.outcomes)
            assert all(o.ok for o in before), [o.body for o in before if not o.ok][:3]
            assert all(o.registered for o in before if o.kind == "mutation"), before[-1].body

            # The database goes away under load.
            stopping = time.monotonic()
            await asyncio.to_thread(served.cluster.stop)
            stopped = time.monotonic()
            await asyncio.sleep(0.3)
            ready_started = time.monotonic()
            ready = await probe.get("/readyz")
            ready_seconds = time.monotonic() - ready_started
            health = await probe.get("/healthz")
            await asyncio.sleep(1.5)

            # It comes back; the same server process serves again.
            restarting = time.monotonic()
            await asyncio.to_thread(served.cluster.start)
            restarted = time.monotonic()
            recovered = await _until(
                lambda: any(o.ok and o.started >= restarted for o in load.outcomes), timeout=10
            )
            await asyncio.sleep(1.0)
            after_ready = await probe.get("/readyz")
        finally:
            await load.stop()

    # During the outage: every request is a fast, clear 503.
    assert ready.status_code == 503 and ready_seconds < 1, (ready.status_code, ready_seconds)
    assert health.status_code == 200
    during = load.between(stopped, restarting)
    assert len(during) >= 10, len(during)
    wrong = [(o.status, o.body) for o in during if not o.unavailable]
    assert not wrong, wrong[:3]
    slowest = max(o.seconds for o in during)
    assert slowest < 1.0, slowest
    # Around the edges an answer may be either, but never a 500, a dropped connection or a hang.
    for o in load.outcomes:
        request_id = str(o.body).partition("requestId': '")[2][:16]
        assert o.status in {200, 503}, (o.status, o.body, served.log_of(request_id) if request_id else "")
        assert o.seconds < 5
        if o.status == 200 and not o.ok:
            assert set(_codes(o.body)) <= {UNAVAILABLE, "INTERNAL_SERVER_ERROR"}, o.body

    # After: resumed without a restart, and stays up.
    assert recovered - restarted < 10
    assert after_ready.status_code == 200
    settled = [o for o in load.outcomes if o.started >= recovered + 0.2]
    assert settled and all(o.ok for o in settled), [o.body for o in settled if not o.ok][:3]

    # Nothing half-written: every registration attempt is in the database wholly or not at all,
    # and every one that reported success is there.
    attempts = [o for o in load.outcomes if o.kind == "mutation"]
    racing = [o for o in attempts if o.started < stopped and o.ended > stopping]
    assert racing, "no registration was in flight when the database stopped"
    conn = await asyncpg.connect(served.database_url)
    try:
        rows = await conn.fetch(
            """SELECT t.description, t.number,
                      (SELECT count(*) FROM ticket_event e WHERE e.ticket_id = t.id AND e.action = 'register')
                          AS events,
                      (SELECT count(*) FROM audit_entry a WHERE a.operation = 'ticket.register'
                          AND a.object_type = 'Ticket' AND a.object_id = t.id::text) AS audits
               FROM ticket t WHERE t.description LIKE 'outage test %'"""
        )
        orphans = await conn.fetchval(
            """SELECT count(*) FROM audit_entry a WHERE a.operation = 'ticket.register'
               AND NOT EXISTS (SELECT 1 FROM ticket t WHERE t.id::text = a.object_id)"""
        )
    finally:
        await conn.close()
    stored = {row["description"]: row for row in rows}
    assert len(stored) == len(rows)  # no attempt stored twice
    assert all(row["events"] == 1 and row["audits"] == 1 for row in rows), [dict(r) for r in rows]
    assert orphans == 0
    for o in attempts:
        if o.registered:
            assert o.marker in stored and stored[o.marker]["number"] == o.registered, o.marker
    assert any(o.registered for o in attempts if o.started >= recovered)
    print(
        f"\noutage: {len(during)} requests while stopped, slowest {slowest * 1000:.0f} ms; "
        f"/readyz {ready_seconds * 1000:.0f} ms; back {recovered - restarted:.2f} s after the restart; "
        f"{len(racing)} registrations racing the stop, {len(rows)} stored of {len(attempts)} attempts"
    )
