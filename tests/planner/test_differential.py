"""Planned and unplanned execution answer identically: `data` and `errors` (message, path,
locations, extensions) and the personal-data reads recorded, for every operation of the benchmark's
mix and for generated selections over the planned types, as callers of different scope."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bench.mix import OPERATIONS
from schema.planner import extension
from schema.planner.plan import HITS
from tests.test_statement_counts import PARAMS, seed_dispatched_queue

# Bureau (everything), an area chief (a town), a community worker (a community), a deputy (tickets
# city-wide but no citizens' personal data, no staff), an N department's liaison (only tickets
# transferred to it), congress staff (no tickets at all).
CALLERS = ("bureau", "chief-changan", "worker-xiagang", "deputy", "liaison", "congress")
NUMBER = PARAMS.ticket_numbers[0]

TICKET_SCALARS = [
    "id",
    "number",
    "source",
    "address",
    "latitude",
    "longitude",
    "status",
    "resolutionMethod",
    "citizenSatisfied",
    "reopenCount",
    "escalatedAt",
    "escalationLevel",
    "registeredAt",
    "dispatchedAt",
    "onSiteAt",
    "resolvedAt",
    "closedAt",
    "responseDue",
    "resolutionDue",
    "version",
    "statusLabel",
    "sourceLabel",
    "reporterName",
    "reporterPhone",
    "reporterNameMasked",
    "reporterPhoneMasked",
    "description",
    "resolutionNote",
    "rejectReason",
    "citizenFeedback",
    "resolutionMinutes",
    "resolutionMethodLabel",
    "departmentStatus",
    "overdue",
    "escalationLabel",
    "__typename",
]
EVENT = [
    "actor",
    "action",
    "fromStatus",
    "toStatus",
    "fromStatusLabel",
    "toStatusLabel",
    "comment",
    "at",
    "__typename",
]
JURISDICTION = ["id", "code", "name", "nameEn", "level", "townKind", "generatedName", "levelLabel"]
STATION_SCALARS = [
    "id",
    "code",
    "name",
    "kind",
    "level",
    "status",
    "floorArea",
    "restArea",
    "openingHours",
    "address",
    "latitude",
    "longitude",
    "plannedYear",
    "openedOn",
    "version",
    "createdAt",
    "updatedAt",
    "kindLabel",
    "statusLabel",
    "levelLabel",
    "functions",
    "amenities",
    "restAreaShare",
    "__typename",
]
POSTING = ["id", "role", "startedOn", "endedOn", "note", "version", "roleLabel", "active"]
STAFF = ["id", "name", "title", "active"]


def _pick(names: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True).map(" ".join)


JURISDICTION_SEL = st.one_of(
    _pick(JURISDICTION),
    _pick(JURISDICTION).map(lambda s: f"{s} parent {{ name code }}"),
    _pick(JURISDICTION).map(lambda s: f"{s} children {{ code }}"),
)
STAFF_SEL = st.one_of(
    _pick(STAFF),
    _pick(STAFF).map(lambda s: f"{s} department {{ name kindLabel }} jurisdiction {{ name }}"),
)
POSTING_SEL = st.tuples(_pick(POSTING), STAFF_SEL, JURISDICTION_SEL).map(
    lambda p: f"{p[0]} staff {{ {p[1]} }} jurisdiction {{ {p[2]} }}"
)
TICKET_SEL = st.tuples(
    _pick(TICKET_SCALARS),
    st.lists(
        st.sampled_from(
            [
                "station { name code kindLabel }",
                "category { name nameEn responseMinutes }",
                "department { name }",
                "latestEvent { " + " ".join(EVENT) + " }",
                "history { " + " ".join(EVENT) + " }",
                "assignee { name }",
                "registeredBy { name }",
                "alias: number",
                "... on Ticket { number status }",
            ]
        ),
        max_size=4,
        unique=True,
    ).map(" ".join),
    JURISDICTION_SEL,
).map(lambda t: f"{t[0]} {t[1]} jurisdiction {{ {t[2]} }}")
STATION_SEL = st.tuples(_pick(STATION_SCALARS), JURISDICTION_SEL, st.booleans(), POSTING_SEL).map(
    lambda s: f"{s[0]} jurisdiction {{ {s[1]} }}" + (f" postings {{ {s[3]} }}" if s[2] else "")
)
TICKET_FILTER = st.sampled_from(
    [
        "",
        "filter: {status: DISPATCHED}",
        "filter: {status: CLOSED}",
        "filter: {overdue: true}",
        "filter: {overdue: false}",
        "filter: {status: DISPATCHED, overdue: false}",
        "filter: {status: CLOSED, overdue: true}",
        'filter: {status: DISPATCHED, dueBefore: "2022-01-01T00:00:00+08:00"}',
        "filter: {source: WALK_IN}",
        "filter: {escalated: false}",
        'filter: {registeredFrom: "2022-01-01T00:00:00+08:00", registeredTo: "2022-02-01T00:00:00+08:00"}',
        'filter: {dueBefore: "2022-03-01T00:00:00+08:00"}',
    ]
)
TICKET_ORDER = st.sampled_from(["", "order: NEWEST_FIRST", "order: OLDEST_FIRST", "order: DUE_FIRST"])
STATION_FILTER = st.sampled_from(
    ["", "filter: {status: OPERATING}", "filter: {kind: SERVICE_STATION}", "filter: {level: CITY_DEMO}"]
)
STATION_ORDER = st.sampled_from(["", "order: ID_DESC", "order: NAME_ASC", "order: OPENED_ON_DESC"])
PAGE = st.sampled_from(["first: 1", "first: 7", "first: 50", ""])
CONNECTION_PARTS = st.sampled_from(
    [
        "totalCount nodes {{ {0} }}",
        "nodes {{ {0} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}",
        "edges {{ cursor node {{ {0} }} }} totalCount __typename",
        "totalCount",
    ]
)


def _arguments(*parts: str) -> str:
    given_parts = [p for p in parts if p]
    return f"({', '.join(given_parts)})" if given_parts else ""


QUERIES = st.one_of(
    st.tuples(TICKET_FILTER, TICKET_ORDER, PAGE, CONNECTION_PARTS, TICKET_SEL).map(
        lambda q: f"{{ tickets{_arguments(q[0], q[1], q[2])} {{ {q[3].format(q[4])} }} }}"
    ),
    TICKET_SEL.map(lambda s: f'{{ ticket(number: "{NUMBER}") {{ {s} }} }}'),
    st.tuples(STATION_FILTER, STATION_ORDER, PAGE, CONNECTION_PARTS, STATION_SEL).map(
        lambda q: f"{{ stations{_arguments(q[0], q[1], q[2])} {{ {q[3].format(q[4])} }} }}"
    ),
)


def generated(count: int) -> list[str]:
    """Selections drawn by hypothesis, deterministically (derandomized), collected once."""
    found: list[str] = []

    @hypothesis_settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(QUERIES)
    def collect(query: str) -> None:
        found.append(query)

    collect()
    return list(dict.fromkeys(found))


# Written by hand: the shapes a generator might not reach (fragments, directives, aliases of lists,
# two roots, variables), and the requests the planner must leave to the resolvers.
HAND_WRITTEN: list[tuple[str, dict[str, Any]]] = [
    (
        (
            "query Q($skip: Boolean!, $s: TicketStatus) { a: tickets(filter: {status: $s}, first: 3) "
            "{ nodes { ...T station @skip(if: $skip) { name } } } b: stations(first: 2) { totalCount } } "
            "fragment T on Ticket { number reporterName description }"
        ),
        {"skip": True, "s": "DISPATCHED"},
    ),
    (
        (
            "query Q($skip: Boolean!) { tickets(first: 3) "
            "{ nodes { number station @include(if: $skip) { name } } } }"
        ),
        {"skip": True},
    ),
    ("{ tickets(first: 501) { nodes { number } } }", {}),
    ('{ tickets(first: 2, after: "b2Zmc2V0OjA=") { nodes { number } } }', {}),
    ('{ tickets(filter: {stationId: "bad"}) { nodes { number } } }', {}),
    ('{ ticket(number: "DG-NOPE") { number } }', {}),
    ("{ tickets(first: 2) { nodes { number availableActions duplicateOf { number } } } }", {}),
    ("{ stations(first: 2) { nodes { name tickets(first: 1) { totalCount } } } }", {}),
    ('{ stations(filter: {search: "厦岗"}) { nodes { name } } }', {}),
    ('{ tickets(filter: {registeredFrom: "1800-01-01T00:00:00+08:00"}) { totalCount } }', {}),
    ('{ ticket(number: "DG-20220110-000001-and-far-too-long") { number } }', {}),
    (
        "query Q($f: TicketFilter) { tickets(filter: $f, first: 5) { nodes { number status } } }",
        {"f": {"status": "RESOLVED", "overdue": False}},
    ),
]


async def both(
    gql: Any, monkeypatch: Any, query: str, variables: dict[str, Any], user: str
) -> tuple[Any, Any]:
    """(planned answer, unplanned answer), each with the personal-data reads it recorded."""
    import server.pipeline

    recorded: list[Any] = []
    original = server.pipeline.record_personal_reads

    async def record(interface: str, actor: str, request_id: str, reads: list[Any]) -> None:
        recorded.append(sorted(reads))
        await original(interface, actor, request_id, reads)

    monkeypatch.setattr(server.pipeline, "record_personal_reads", record)
    answers = []
    for planned in (True, False):
        monkeypatch.setattr(extension, "enabled", lambda planned=planned: planned)
        recorded.clear()
        result = await gql(query, variables, as_user=user)
        answers.append((result, list(recorded)))
    monkeypatch.setattr(server.pipeline, "record_personal_reads", original)
    return answers[0], answers[1]


@pytest.mark.parametrize("user", CALLERS)
async def test_mix_answers_identically(gql: Any, monkeypatch: Any, user: str) -> None:
    await seed_dispatched_queue(gql, monkeypatch)
    for op in OPERATIONS:
        planned, unplanned = await both(gql, monkeypatch, op.document(), op.variables(PARAMS, 0), user)
        assert planned == unplanned, op.name


async def test_mix_is_planned(gql: Any, monkeypatch: Any) -> None:
    """The three hot operations are answered by plans, as their callers send them (a plan that
    silently declined would pass the comparisons above)."""
    await seed_dispatched_queue(gql, monkeypatch)
    hot = {"stations_page", "chief_queue", "chief_queue_overdue", "ticket_history"}
    for op in OPERATIONS:
        if op.name not in hot:
            continue
        before = sum(HITS.values())
        result = await gql(op.document(), op.variables(PARAMS, 0), as_user=op.user)
        assert not result.get("errors"), result
        assert sum(HITS.values()) == before + 1, f"{op.name} was not planned"


@pytest.mark.parametrize("user", CALLERS)
async def test_hand_written_answer_identically(gql: Any, monkeypatch: Any, user: str) -> None:
    await seed_dispatched_queue(gql, monkeypatch)
    for query, variables in HAND_WRITTEN:
        planned, unplanned = await both(gql, monkeypatch, query, variables, user)
        assert planned == unplanned, query


GENERATED = generated(60)


@pytest.mark.parametrize("user", ["bureau", "chief-changan", "deputy", "worker-xiagang", "liaison"])
async def test_generated_selections_answer_identically(gql: Any, monkeypatch: Any, user: str) -> None:
    await seed_dispatched_queue(gql, monkeypatch)
    hits = sum(HITS.values())
    for query in GENERATED:
        planned, unplanned = await both(gql, monkeypatch, query, {}, user)
        assert planned == unplanned, query
    if user != "liaison":  # the liaison's lists are mostly refused: the resolvers answer those
        assert sum(HITS.values()) - hits > len(GENERATED) // 3, "most generated selections are planned"


WALKS = [
    "tickets(order: NEWEST_FIRST, first: 4{after})",
    "tickets(order: DUE_FIRST, filter: {{status: CLOSED}}, first: 3{after})",
    "tickets(order: OLDEST_FIRST, first: 5{after})",
    "stations(order: ID_DESC, first: 40{after})",
    "stations(order: FLOOR_AREA_DESC, first: 60{after})",
    "stations(order: NAME_ASC, first: 50{after})",
]


@pytest.mark.parametrize("user", ["bureau", "worker-xiagang"])
async def test_pages_after_cursors_answer_identically(gql: Any, monkeypatch: Any, user: str) -> None:
    """Walking pages by cursor (keyset cursors where the order is a key, offsets elsewhere), each
    page planned and unplanned answers alike, and the planned pages after a cursor are plans."""
    for walk in WALKS:
        after = ""
        for _page in range(4):
            field = walk.format(after=f', after: "{after}"' if after else "")
            query = (
                f"{{ list: {field} {{ edges {{ cursor node {{ id }} }} "
                "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"
            )
            hits = sum(HITS.values())
            planned, unplanned = await both(gql, monkeypatch, query, {}, user)
            assert planned == unplanned, query
            assert sum(HITS.values()) == hits + 1, f"not planned: {query}"
            info = planned[0]["data"]["list"]["pageInfo"]
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
