"""Queries write nothing: with read replicas (server.replicas) a query runs on a replica, which
refuses writes, so a query resolver that writes fails there. What a query leads to writing (the
personal data it read, a key's use, its rate limit) is written around the operation, on the
primary (schema/accounting.py, server.pipeline), never inside it.

Every query is run here through a "replica" that is the test database itself, opened read-only:
on PostgreSQL a pool whose sessions have `default_transaction_read_only = on`, on SQLite a
connection with `PRAGMA query_only = ON`. Both refuse any INSERT, UPDATE or DELETE (a write fails
the operation with INTERNAL_SERVER_ERROR), so the test fails for a query that writes inside its
execution, on either database. The queries: the benchmark's mix, the web pages' operations, and
every root field of Query with its leaf fields (and those of the objects beneath, to two levels),
as each kind of account and as a data-sharing key (refused fields included: a refusal must not
write either)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)
from tortoise.backends.base.config_generator import expand_db_url

from bench.mix import OPERATIONS
from lianxin.web.operations import document, names
from schema.schema import schema
from server import replicas
from server.audit.models import AuditEntry, PersonalDataAccess
from server.database import _tortoise_url
from tests.conftest import TEST_DB
from tests.helpers import city_api_key, data
from tests.test_statement_counts import PARAMS

USERS = ("admin", "bureau", "congress", "deputy", "chief-changan", "worker-xiagang", "liaison")
MR_WANG = "DG-20220110-000001"


def _read_only_client(database_url: str) -> Any:
    """A client of the test database that refuses every write, named as a replica."""
    if TEST_DB == "postgres":
        from server.postgres_client import PostgresClient

        credentials = expand_db_url(_tortoise_url(database_url, serving=True))["credentials"]
        settings = {**credentials.pop("server_settings", {}), "default_transaction_read_only": "on"}
        return PostgresClient(connection_name="replica0", server_settings=settings, **credentials)
    from tortoise.backends.sqlite.client import SqliteClient

    path = expand_db_url(database_url)["credentials"]["file_path"]
    return SqliteClient(path, connection_name="replica0", query_only="ON")


@pytest.fixture
async def read_only_replica(
    database_url: str, gql: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[replicas.Replica]:
    for user in USERS:  # logged in before: a login is a mutation, and runs on the primary anyway
        await gql.token(user)
    # In service as a replica that has replayed everything (the lag check would find it is no
    # standby: it is the primary's own database), and every query's choice.
    replica = replicas.Replica(
        "replica0", database_url, _read_only_client(database_url), up=True, lag_seconds=0
    )
    replicas._replicas[:] = [replica]

    async def always(_caller: str) -> replicas.Replica:  # a caller's own writes make no exception
        return replica

    monkeypatch.setattr(replicas, "choose", always)
    try:
        yield replica
    finally:
        await replicas.stop()


async def test_the_replica_here_refuses_writes(read_only_replica: replicas.Replica) -> None:
    with replicas.reading_from(read_only_replica), pytest.raises(Exception, match=r"(?i)read.only|readonly"):
        await AuditEntry.create(actor="t", operation="t", object_type="T", object_id="1", after={})


def _failures(result: dict[str, Any]) -> list[Any]:
    """Errors that are not an answer the caller is meant to get (a refusal, a lookup of nothing)."""
    meant = {"FORBIDDEN", "NOT_FOUND", "UNAUTHENTICATED", "BAD_USER_INPUT"}
    return [e for e in result.get("errors") or [] if e.get("extensions", {}).get("code") not in meant]


async def _ids(gql: Any) -> dict[str, Any]:
    """Objects the queries name, read (as bureau, admin) before reads go to the replica."""
    found = data(
        await gql(
            "{ ticketCategories { id } stations(first: 1) { nodes { id } }"
            " deputies(first: 1) { nodes { id } } proposals(first: 1) { nodes { id } }"
            " jurisdictions(filter: {level: TOWN}, first: 1) { nodes { id } }"
            f' ticket(number: "{MR_WANG}") {{ id }} }}'
        )
    )
    subscription = data(
        await gql(
            'mutation { createWebhookSubscription(input: {name: "r", eventTypes: ["ticket.*"],'
            ' targetUrl: "https://example.org/h"}) {'
            " ... on CreateWebhookSubscriptionPayload { subscription { id } } } }",
            as_user="admin",
        )
    )["createWebhookSubscription"]["subscription"]["id"]
    key, _prefix = await city_api_key(gql, ["station", "stats", "ticket", "ticket_personal", "reference"])
    return {
        "key": key,
        "category": found["ticketCategories"][0]["id"],
        "station": found["stations"]["nodes"][0]["id"],
        "deputy": found["deputies"]["nodes"][0]["id"],
        "proposal": found["proposals"]["nodes"][0]["id"],
        "town": found["jurisdictions"]["nodes"][0]["id"],
        "ticket": found["ticket"]["id"],
        "subscription": subscription,
    }


def _arguments(field: str, refs: dict[str, Any]) -> str:
    """Values for the root fields' required arguments, and small pages for lists."""
    given = {
        "node": f'id: "{refs["ticket"]}"',
        "ticket": f'number: "{MR_WANG}"',
        "duplicateCandidates": f'categoryId: "{refs["category"]}", stationId: "{refs["station"]}"',
        "scorecard": 'periodFrom: "2022-01-01", periodTo: "2022-01-31"',
        "personalDataReport": 'phone: "13800000001"',
        "workCalendar": 'from: "2026-01-01", to: "2026-01-31"',
        "ticketDueTimes": f'categoryId: "{refs["category"]}", registeredAt: "2026-01-05T10:00:00+08:00"',
        "handlingReport": "congressTerm: 16, session: 7",
        "webhookDeliveries": f'subscriptionId: "{refs["subscription"]}"',
        "ticketFigures": "groupBy: TOWN",
    }.get(field, "")
    root = schema._schema.query_type
    assert root is not None
    if "first" in root.fields[field].args:
        given = ", ".join(filter(None, [given, "first: 3"]))
    return f"({given})" if given else ""


def _selection(type_: Any, depth: int) -> str:
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLUnionType | GraphQLInterfaceType):
        return "{ __typename }"
    assert isinstance(named, GraphQLObjectType)
    parts = []
    for name, field in named.fields.items():
        if any(is_non_null_type(a.type) and a.default_value is Undefined for a in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif depth > 0:
            sub = _selection(field.type, depth - 1)
            if sub:
                parts.append(f"{name}{'(first: 3)' if 'first' in field.args else ''} {sub}")
    return "{ " + " ".join(parts) + " }" if parts else "{ __typename }"


def _root_queries(refs: dict[str, Any]) -> list[str]:
    root = schema._schema.query_type
    assert root is not None
    return [
        f"query {{ {name}{_arguments(name, refs)} {_selection(field.type, 2)} }}"
        for name, field in root.fields.items()
    ]


WEB_VARIABLES = {
    "DeputyProposals": ("deputy", lambda r: {"deputyId": r["deputy"]}),
    "DeskQueue": ("worker-xiagang", lambda r: {"first": 20}),
    "DuplicateCandidates": (
        "worker-xiagang",
        lambda r: {"categoryId": r["category"], "stationId": r["station"]},
    ),
    "MonthFigures": (
        "bureau",
        lambda r: {"from": "2022-01-01T00:00:00+08:00", "to": "2022-02-01T00:00:00+08:00"},
    ),
    "ProposalDetail": ("deputy", lambda r: {"id": r["proposal"]}),
    "Scorecard": ("bureau", lambda r: {"periodFrom": "2022-01-01", "periodTo": "2022-01-31"}),
    "StaffChoices": ("chief-changan", lambda r: {"jurisdictionId": r["town"]}),
    "StationRegistry": ("bureau", lambda r: {"periodFrom": "2022-01-01", "periodTo": "2022-01-31"}),
    "TicketDetail": ("chief-changan", lambda r: {"number": MR_WANG}),
    "TicketQueue": ("chief-changan", lambda r: {"first": 20}),
    "AdminConsole": ("admin", lambda r: {}),
    "Supervision": ("congress", lambda r: {}),
    "DeskForm": ("worker-xiagang", lambda r: {}),
}


async def test_no_query_writes_inside_its_execution(
    read_only_replica: replicas.Replica, gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = await _ids(gql)  # its mutations (a subscription, a key) run on the primary, as all do
    monkeypatch.setattr("server.clock.today", lambda: date(2026, 1, 15))  # the work calendar's years
    sent: list[str] = []
    original = type(read_only_replica.client).execute_query_dict

    async def counted(self: Any, query: str, values: Any = None) -> Any:
        if self is read_only_replica.client:
            sent.append(query)
        return await original(self, query, values)

    monkeypatch.setattr(type(read_only_replica.client), "execute_query_dict", counted)
    problems: list[tuple[str, str, list[Any]]] = []

    async def run(label: str, query: str, variables: dict[str, Any], user: str) -> None:
        if user == "key":
            result = await gql(query, variables, as_user=None, token=refs["key"])
        else:
            result = await gql(query, variables, as_user=user)
        if failures := _failures(result):
            problems.append((label, user, failures))

    logged = PersonalDataAccess.filter(ticket_number=MR_WANG, actor="chief-changan")
    reads_before = await logged.count()
    for op in OPERATIONS:
        await run(op.name, op.document(op.page), op.variables(PARAMS, 0), op.user)
    queries = [n for n in names() if re.match(r"\s*query\b", document(n))]
    assert set(queries) <= set(WEB_VARIABLES) | {"Me", "Proposals", "StationsMap"}, queries
    for name in queries:
        user, variables = WEB_VARIABLES.get(name, ("bureau", lambda r: {}))
        await run(name, document(name), variables(refs), user)
    for query in _root_queries(refs):
        for user in (*USERS, "key"):
            await run(query[:60], query, {}, user)
    assert not problems, problems
    assert sent, "nothing was read from the read-only replica"
    # what queries lead to writing is written around them, on the primary: the reads of Mr Wang's
    # name and phone (the benchmark's ticket history, the ticket page, ticket(number:)) were logged
    assert await logged.count() > reads_before
