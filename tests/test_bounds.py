"""Every argument is bounded (schema/bounds.py): over-long or control-character text, far dates, too
many items and forged cursors are BAD_USER_INPUT — a query error with extensions.code, or the
mutation's ValidationError — never an internal error, and nothing is written."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)

from schema.schema import schema
from tests.helpers import data, error_codes, gid

LONG = "x" * 100_000


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _post_ascii(gql: Any, query: str, variables: dict[str, Any], as_user: str = "bureau") -> Any:
    """JSON with \\u escapes, as a client may send: a lone surrogate cannot travel as UTF-8."""
    headers = {"Authorization": f"Bearer {await gql.token(as_user)}", "Content-Type": "application/json"}
    body = json.dumps({"query": query, "variables": variables}, ensure_ascii=True)
    response = await gql.http.post("/graphql", content=body, headers=headers)
    assert response.status_code < 500, response.text
    return response.json()


def _refused(result: dict[str, Any], field: str) -> list[tuple[str, str]]:
    """(field, code) of each problem in a BAD_USER_INPUT answer; fails on any other answer."""
    assert error_codes(result) == ["BAD_USER_INPUT"], result
    return [(p["field"], p["code"]) for p in result["errors"][0]["extensions"]["fields"]]


async def test_an_overlong_station_search_is_bad_input(gql: Any) -> None:
    # SQLite answered "LIKE or GLOB pattern too complex" as an internal error
    result = await gql("query($s: String) { stations(filter: {search: $s}) { totalCount } }", {"s": LONG})
    assert _refused(result, "stations") == [("filter.search", "TOO_LONG")]
    assert "got 100,000" in result["errors"][0]["message"] and LONG not in str(result)


async def test_search_wildcards_match_themselves(gql: Any) -> None:
    """A search is a LIKE pattern inside: % and _ are escaped, so they find only themselves."""
    query = "query($s: String) { stations(filter: {search: $s}) { totalCount } }"
    everything = data(await gql(query, {"s": ""}))["stations"]["totalCount"]
    assert everything > 0
    for wildcard in ("%", "_", "%%", "\\", "驿站%"):
        assert data(await gql(query, {"s": wildcard}))["stations"]["totalCount"] == 0, wildcard
    assert data(await gql(query, {"s": "驿站"}))["stations"]["totalCount"] > 0


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($v: String) { auditTrail(actor: $v) { totalCount } }", {"v": LONG}),
        ("query($v: String) { auditTrail(objectType: $v) { totalCount } }", {"v": "Ticket\x00"}),
        ("query($v: String) { personalDataReads(ticketNumber: $v) { totalCount } }", {"v": "\x00"}),
        ("query($v: String) { personalDataReads(actor: $v) { totalCount } }", {"v": LONG}),
        ("query($v: String) { apiKeyUses(prefix: $v) { totalCount } }", {"v": "lxk\x1b[2J"}),
    ],
)
async def test_admin_filters_are_bounded(gql: Any, query: str, variables: dict[str, Any]) -> None:
    result = await gql(query, variables, as_user="admin")
    [(_field, code)] = _refused(result, "")
    assert code in {"TOO_LONG", "CONTROL_CHARACTER"}


@pytest.mark.parametrize(
    "cursor",
    [
        _b64("offset:99999999999999999999"),  # was OverflowError: an internal error
        _b64("offset:9223372036854775807"),
        _b64("offset:-5"),
        _b64("offset:+5"),
        _b64("offset:1_0"),
        _b64("offset: 5"),
        _b64("offset:٥"),  # an Arabic-Indic five: int() takes it
        _b64("offset:"),
        _b64("Station:1"),
        "not base64!",
        "b2Zmc2V0OjE",  # bad padding
        "厦岗",
        _b64("offset:1") * 1000,
    ],
)
async def test_forged_cursors_are_bad_input(gql: Any, cursor: str) -> None:
    result = await gql("query($c: String) { stations(after: $c) { totalCount } }", {"c": cursor})
    assert error_codes(result) == ["BAD_USER_INPUT"], result


async def test_the_cursors_we_issue_still_work(gql: Any) -> None:
    query = "query($c: String) { stations(first: 2, after: $c) { nodes { id } pageInfo { endCursor } } }"
    first = data(await gql(query, {"c": None}))["stations"]
    second = data(await gql(query, {"c": first["pageInfo"]["endCursor"]}))["stations"]
    assert len(second["nodes"]) == 2 and not {n["id"] for n in first["nodes"]} & {
        n["id"] for n in second["nodes"]
    }


@pytest.mark.parametrize(
    ("query", "variables", "problem"),
    [
        (
            "query($d: DateTime) { tickets(filter: {registeredFrom: $d}) { totalCount } }",
            {"d": "0001-01-01T00:00:00"},
            "filter.registeredFrom",
        ),
        (
            "query($d: DateTime) { tickets(filter: {dueBefore: $d}) { totalCount } }",
            {"d": "9999-12-31T23:59:59-12:00"},
            "filter.dueBefore",
        ),
        (
            "query($d: DateTime) { tickets(filter: {registeredTo: $d}) { totalCount } }",
            {"d": "9999-12-31T23:59:59"},
            "filter.registeredTo",
        ),
        (
            'query($d: Date!) { scorecard(periodFrom: $d, periodTo: "9999-12-31") { ticketsReceived } }',
            {"d": "9999-12-30"},
            "periodFrom",
        ),
        (
            "query($d: DateTime) { ticketFigures(registeredFrom: $d) { received } }",
            {"d": "1899-12-31T23:59:59"},
            None,
        ),
        (
            "query($d: DateTime) { proposals(filter: {submittedTo: $d}) { totalCount } }",
            {"d": "2201-01-01T00:00:00"},
            None,
        ),
    ],
)
async def test_dates_outside_the_supported_years_are_bad_input(
    gql: Any, query: str, variables: dict[str, Any], problem: str | None
) -> None:
    problems = _refused(await gql(query, variables), "")
    assert all(code == "OUT_OF_RANGE" for _, code in problems), problems
    if problem:
        assert (problem, "OUT_OF_RANGE") in problems


async def test_the_supported_years_are_accepted_to_their_ends(gql: Any) -> None:
    query = """query($f: DateTime, $t: DateTime) {
      tickets(filter: {registeredFrom: $f, registeredTo: $t}) { totalCount } }"""
    result = await gql(query, {"f": "1900-01-01T00:00:00+14:00", "t": "2200-12-31T23:59:59-12:00"})
    assert data(result)["tickets"]["totalCount"] > 0
    card = 'query { scorecard(periodFrom: "2196-01-01", periodTo: "2200-12-31") { ticketsReceived } }'
    assert data(await gql(card))["scorecard"]["ticketsReceived"] == 0


@pytest.mark.parametrize("value", ["DG-\x00", "\ud800", "DG-20220110-000001\n", "\x7f"])
async def test_control_characters_and_lone_surrogates_are_bad_input(gql: Any, value: str) -> None:
    # PostgreSQL refused NUL and lone surrogates in the driver: an internal error
    result = await _post_ascii(gql, "query($n: String!) { ticket(number: $n) { id } }", {"n": value})
    [(field, code)] = _refused(result, "ticket")
    assert field == "number" and code in {"CONTROL_CHARACTER", "INVALID_CHARACTER"}


async def test_bad_values_in_variables_and_literals_are_bad_input(gql: Any) -> None:
    answers = [
        await gql(
            "query($d: DateTime) { tickets(filter: {registeredTo: $d}) { totalCount } }", {"d": "never"}
        ),
        await gql('{ tickets(filter: {registeredTo: "never"}) { totalCount } }'),
        await gql("query($n: Int) { stations(first: $n) { totalCount } }", {"n": 2**40}),
        await gql(
            'query($n: Float!) { duplicateCandidates(categoryId: "x", withinHours: $n) { id } }',
            {"n": "many"},
        ),
    ]
    assert [error_codes(a) for a in answers] == [["BAD_USER_INPUT"]] * 4, answers


async def test_a_bad_value_is_not_repeated_back_in_full(gql: Any) -> None:
    for query in (
        "query($v: DateTime) { tickets(filter: {registeredTo: $v}) { totalCount } }",
        "query($v: TicketStatus) { tickets(filter: {status: $v}) { totalCount } }",
    ):
        result = await gql(query, {"v": LONG})
        assert error_codes(result) == ["BAD_USER_INPUT"]
        assert len(result["errors"][0]["message"]) <= 300, result["errors"][0]["message"][:400]


REGISTER = """mutation($i: RegisterTicketInput!) { registerTicket(input: $i) { __typename
  ... on RegisterTicketPayload { ticket { id description } }
  ... on ValidationError { code fields { field code } } } }"""


async def _ticket_count(gql: Any) -> int:
    return int(data(await gql("{ tickets { totalCount } }"))["tickets"]["totalCount"])


async def test_a_mutation_refuses_bad_text_with_its_validation_error_and_writes_nothing(gql: Any) -> None:
    refs = data(
        await gql(
            """{ stations(filter: {search: "厦岗"}, first: 1) { nodes { id } }
            ticketCategories { id } }"""
        )
    )
    base = {
        "source": "WALK_IN",
        "categoryId": refs["ticketCategories"][0]["id"],
        "stationId": refs["stations"]["nodes"][0]["id"],
        "description": "占道经营\n门口两张桌子",
        "reporterName": "边界测试",
        "reporterPhone": "13800000000",
    }
    before = await _ticket_count(gql)
    bad = {
        "description": ("路面有坑\x00", "description", "CONTROL_CHARACTER"),
        "reporterName": ("王\n先生", "reporterName", "CONTROL_CHARACTER"),
        "address": ("长安镇" * 200, "address", "TOO_LONG"),
        "reporterPhone": ("\ud83d", "reporterPhone", "INVALID_CHARACTER"),
        "responseDue": ("9999-12-31T00:00:00+08:00", "responseDue", "OUT_OF_RANGE"),
    }
    for name, (value, field, code) in bad.items():
        answer = data(await _post_ascii(gql, REGISTER, {"i": base | {name: value}}, "worker-xiagang"))
        answer = answer["registerTicket"]
        assert answer == {
            "__typename": "ValidationError",
            "code": "BAD_USER_INPUT",
            "fields": [{"field": field, "code": code}],
        }
    assert await _ticket_count(gql) == before
    # free text keeps its line breaks and tabs
    good = data(
        await gql(REGISTER, {"i": base | {"description": "占道经营\r\n\t两张桌子"}}, as_user="worker-xiagang")
    )
    assert good["registerTicket"]["ticket"]["description"] == "占道经营\r\n\t两张桌子"


async def test_lists_are_bounded(gql: Any) -> None:
    result = await gql(
        """mutation($i: AssignProposalInput!) { assignProposal(input: $i) { __typename
        ... on ValidationError { fields { field code } } } }""",
        {
            "i": {
                "id": gid("Proposal", 1),
                "version": 1,
                "leadUnitId": gid("Department", 1),
                "coHandlingUnitIds": [gid("Department", 2)] * 1000,
            }
        },
        as_user="congress",
    )
    assert data(result)["assignProposal"] == {
        "__typename": "ValidationError",
        "fields": [{"field": "coHandlingUnitIds", "code": "TOO_MANY"}],
    }


async def test_a_refusal_is_one_log_line_without_traceback_or_value(
    gql: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "13912345678" + "9" * 300
    with caplog.at_level(logging.INFO, logger="lianxin.graphql"):
        result = await gql("query($s: String) { staff(filter: {search: $s}) { totalCount } }", {"s": secret})
    assert error_codes(result) == ["BAD_USER_INPUT"]
    [record] = [r for r in caplog.records if r.name == "lianxin.graphql"]
    assert record.levelname == "INFO" and record.exc_info is None
    assert "Query.staff" in record.getMessage() and "filter.search TOO_LONG" in record.getMessage()
    assert "13912345678" not in record.getMessage() and "13912345678" not in str(vars(record))


# -- every argument, generated from the schema ------------------------------------------------------

SAMPLE = {
    "String": "x",
    "ID": gid("Ticket", 999_999_999),
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "Date": "2022-01-01",
    "DateTime": "2022-01-01T00:00:00",
    "Upload": "not a file",  # refused as NOT_A_FILE: files travel in multipart requests only
}
EXTREMES = {
    "String": [LONG, "a\x00b"],
    "ID": [LONG, "\x00"],
    "Date": ["9999-12-31"],
    "DateTime": ["0001-01-01T00:00:00"],
}


def _sample(type_: Any) -> Any:
    """A plain value of a required type, for the arguments not under test."""
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {n: _sample(f.type) for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)}
    assert isinstance(type_, GraphQLScalarType)
    return SAMPLE[type_.name]


def _positions(type_: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Every place in a value of `type_` where a bounded scalar goes: (path, scalar name)."""
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [((*path, "LIST"), "LIST"), *_positions(type_.of_type, (*path, 0))]
    if isinstance(type_, GraphQLInputObjectType):
        return [p for n, f in type_.fields.items() for p in _positions(f.type, (*path, n))]
    if isinstance(type_, GraphQLScalarType) and type_.name in EXTREMES:
        return [(path, type_.name)]
    return []


def _put(value: Any, type_: Any, path: tuple[Any, ...], extreme: Any) -> Any:
    """`value` with `extreme` at `path` (creating optional input fields on the way)."""
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if not path:
        return extreme
    head, rest = path[0], path[1:]
    if head == "LIST":
        return [value[0] if value else _sample(type_.of_type)] * 1_001
    if isinstance(type_, GraphQLList):
        inner = value[0] if value else _sample(type_.of_type)
        return [_put(inner, type_.of_type, rest, extreme)]
    field = type_.fields[head]
    current = (value or {}).get(head)
    if current is None:
        current = _sample(field.type)
    return {**(value or {}), head: _put(current, field.type, rest, extreme)}


def _selection(type_: Any) -> str:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return (
        " { __typename }"
        if isinstance(type_, (GraphQLObjectType, GraphQLUnionType, GraphQLInterfaceType))
        else ""
    )


def _cases() -> list[Any]:
    """One case per bounded position; text positions take turns at too long and at NUL."""
    gql_schema = schema._schema
    cases: list[Any] = []
    for root in (gql_schema.query_type, gql_schema.mutation_type):
        assert root is not None
        for field_name, field in root.fields.items():
            for arg_name, arg in field.args.items():
                for path, scalar in _positions(arg.type):
                    choices = EXTREMES.get(scalar, [None])
                    extreme = choices[len(cases) % len(choices)]
                    label = f"{root.name}.{field_name}({arg_name}{''.join(f'.{p}' for p in path)}) {scalar}"
                    cases.append(pytest.param(root.name, field_name, arg_name, path, extreme, id=label[:120]))
    return cases


@pytest.mark.parametrize(("root", "field_name", "arg_name", "path", "extreme"), _cases())
async def test_every_argument_is_bounded(
    gql: Any, root: str, field_name: str, arg_name: str, path: tuple[Any, ...], extreme: Any
) -> None:
    """Each argument and input field of each root field, one at a time, at an extreme value: refused as
    BAD_USER_INPUT (the others hold plain values), as a caller that may do anything there."""
    gql_root = schema._schema.query_type if root == "Query" else schema._schema.mutation_type
    assert gql_root is not None
    field = gql_root.fields[field_name]
    values = {n: _sample(a.type) for n, a in field.args.items() if isinstance(a.type, GraphQLNonNull)}
    arg = field.args[arg_name]
    values[arg_name] = _put(values.get(arg_name), arg.type, path, extreme)
    declarations = ", ".join(f"${n}: {field.args[n].type}" for n in values)
    arguments = ", ".join(f"{n}: ${n}" for n in values)
    operation = "query" if root == "Query" else "mutation"
    document = f"{operation}({declarations}) {{ {field_name}({arguments}){_selection(field.type)} }}"
    result = await gql(document, values, as_user="bureau")
    if error_codes(result):
        assert error_codes(result) == ["BAD_USER_INPUT"], result
    else:
        answer = result["data"][field_name]
        assert answer["__typename"] == "ValidationError", (document, answer)


async def test_a_lone_surrogate_in_an_oversized_document_is_not_a_500(client: Any) -> None:
    from server.settings import settings

    document = '{ ticket(number: "\\ud800") { id } }' + " " * settings.max_document_bytes
    body = json.dumps({"query": document.replace("\\ud800", "\ud800")}, ensure_ascii=True)
    response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"


async def test_a_query_refused_by_its_service_names_the_fields(gql: Any) -> None:
    result = await gql('{ scorecard(periodFrom: "2022-12-31", periodTo: "2022-01-01") { ticketsReceived } }')
    assert _refused(result, "scorecard") == [("to", "BAD_RANGE")]
    assert "is before from" in result["errors"][0]["message"]


async def test_a_range_of_a_time_with_a_zone_and_one_without_is_compared_in_city_time(gql: Any) -> None:
    # a time without a zone is the city's; comparing it with one that has a zone was a TypeError
    backwards = await gql(
        '{ ticketFigures(registeredFrom: "2022-01-10T09:00:00Z", registeredTo: "1981-07-02T00:00:00")'
        " { received } }"
    )
    assert _refused(backwards, "ticketFigures") == [("registeredTo", "BAD_RANGE")]
    # 08:00 in Dongguan is midnight UTC: this range holds exactly that instant
    instant = await gql(
        '{ ticketFigures(registeredFrom: "2026-07-01T08:00:00", registeredTo: "2026-07-01T00:00:00Z")'
        " { received } }"
    )
    assert not instant.get("errors"), instant
