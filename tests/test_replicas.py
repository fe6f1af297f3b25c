"""Read replicas, against a real streaming replica of the test server (.ci/run starts one with
`.ci/postgres.sh replica` and exports LIANXIN_TEST_POSTGRES_REPLICA_URL).

The statements are counted per connection: every statement the application sends names its
Tortoise connection, `default` (the primary) or `replica0`."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.mix import BY_NAME
from server import replicas
from server.postgres_client import PostgresClient
from tests.conftest import TEST_DB, for_this_worker
from tests.servers import free_port
from tests.test_statement_counts import PARAMS

# The tables the answers are read from (authentication reads auth_session, app_user, the policy).
ANSWER_TABLES = re.compile(r'(FROM|JOIN) "(proposal|ticket|station|staff|posting|deputy)')
REPLICA_URL = for_this_worker(os.environ.get("LIANXIN_TEST_POSTGRES_REPLICA_URL", ""))
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(TEST_DB != "postgres", reason="read replicas are PostgreSQL's streaming replicas"),
]
needs_replica = pytest.mark.skipif(
    not REPLICA_URL,
    reason="no streaming replica: LIANXIN_TEST_POSTGRES_REPLICA_URL is not set (.ci/run sets it)",
)


class Statements:
    """(connection name, statement) of every statement sent while counting."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def on(self, connection: str) -> list[str]:
        return [sql for name, sql in self.sent if name == connection]

    def clear(self) -> None:
        self.sent.clear()


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Statements:
    counted = Statements()
    for method in ("execute_query", "execute_query_dict", "execute_insert", "execute_many", "execute_script"):
        original = getattr(PostgresClient, method)

        def counting(original: Any) -> Any:
            async def run(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                counted.sent.append((self.connection_name, query))
                return await original(self, query, *args, **kwargs)

            return run

        monkeypatch.setattr(PostgresClient, method, counting(original))
    return counted


def _replica_of(database_url: str) -> str:
    assert REPLICA_URL is not None
    return REPLICA_URL.rsplit("/", 1)[0] + "/" + database_url.rsplit("/", 1)[1]


async def _caught_up(timeout: float = 30) -> None:
    """The suite's database is put back between tests: wait until the replica has replayed that
    and answers within the lag bound."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await replicas.refresh()
        if all(r.eligible for r in replicas.configured()):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError([r.describe() for r in replicas.configured()])
        await asyncio.sleep(0.2)


@pytest.fixture
async def with_replica(database_url: str) -> AsyncIterator[None]:
    await replicas.start([_replica_of(database_url)], monitor=False)
    try:
        await _caught_up()
        yield
    finally:
        await replicas.stop()


@needs_replica
async def test_oversight_and_scorecard_read_from_the_replica(
    with_replica: None, gql: Any, statements: Statements
) -> None:
    for name in ("deputy_oversight", "city_scorecard"):
        op = BY_NAME[name]
        await gql.token(op.user)
        statements.clear()
        result = await gql(op.document(op.page), op.variables(PARAMS, 0), as_user=op.user)
        assert not result.get("errors"), result["errors"]
        on_replica, on_primary = statements.on("replica0"), statements.on("default")
        assert on_replica, f"{name}: nothing was read from the replica"
        # the primary authenticates the caller (and reloads the policy when it moved), nothing more
        assert not [sql for sql in on_primary if ANSWER_TABLES.search(sql)], on_primary


@needs_replica
async def test_a_ticket_registered_is_read_back_at_once(
    with_replica: None, gql: Any, statements: Statements
) -> None:
    from tests.tickets.workflow_helpers import ids, register

    refs = await ids(gql)
    registered = await register(gql, refs)
    number = registered["ticket"]["number"]
    statements.clear()
    # the same session, at once: read from the primary, which has it (the replica may not yet)
    found = await gql(
        "query($n: String!) { ticket(number: $n) { number } }", {"n": number}, as_user="worker-xiagang"
    )
    assert found["data"]["ticket"] == {"number": number}, found
    assert statements.on("default") and not statements.on("replica0")
    # another worker, which did not serve the write, knows it too: the mark is on the primary
    replicas._last_write.clear()
    statements.clear()
    again = await gql(
        "query($n: String!) { ticket(number: $n) { number } }", {"n": number}, as_user="worker-xiagang"
    )
    assert again["data"]["ticket"] == {"number": number}, again
    assert statements.on("default") and not statements.on("replica0")
    # another caller, who wrote nothing, reads from the replica
    statements.clear()
    other = await gql("{ stations(first: 1) { totalCount } }", as_user="bureau")
    assert other["data"]["stations"]["totalCount"] > 0
    assert statements.on("replica0")


@needs_replica
async def test_replica_lag_in_readyz_and_metrics(with_replica: None, client: Any) -> None:
    ready = (await client.get("/readyz")).json()
    [replica] = ready["replicas"]
    assert replica["name"] == "replica0" and replica["up"] is True and replica["lagSeconds"] >= 0
    families = {f.name: f for f in text_string_to_metric_families((await client.get("/metrics")).text)}
    [lag] = families["lianxin_replica_lag_seconds"].samples
    assert lag.labels == {"replica": "replica0"} and lag.value >= 0
    assert families["lianxin_replica_up"].samples[0].value == 1


async def test_a_lost_replica_sends_reads_to_the_primary(
    database_url: str, gql: Any, client: Any, statements: Statements
) -> None:
    """A replica that does not answer (here: nothing listens on its port) takes no reads."""
    gone = database_url.rsplit("/", 1)[0].rsplit(":", 1)[0] + f":{free_port()}/lianxin"
    await replicas.start([gone], monitor=False)
    try:
        statements.clear()
        answer = await gql("{ stations(first: 1) { totalCount } }")
        assert answer["data"]["stations"]["totalCount"] > 0
        assert statements.on("default") and not statements.on("replica0")
        ready = await client.get("/readyz")
        assert ready.status_code == 200  # the primary serves: still ready
        assert ready.json()["replicas"][0]["up"] is False
    finally:
        await replicas.stop()
