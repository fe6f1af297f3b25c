"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/), through the ASGI app: the
behaviours the graphql-http audit suite checks (.ci/graphql-http-audit runs the suite itself)."""

from __future__ import annotations

from typing import Any

import pytest

from server.http import describe_operation, negotiate

GRAPHQL_RESPONSE = "application/graphql-response+json"
MODERN = {"Accept": GRAPHQL_RESPONSE}
LEGACY = {"Accept": "application/json"}


def _type(response: Any) -> str:
    return str(response.headers["content-type"]).split(";")[0]


async def test_graphql_response_json_is_served_to_clients_that_accept_it(client: Any) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=MODERN)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "application/json",
        "*/*",
        "application/*",
        "text/html, */*;q=0.8",
        "application/json; charset=utf-8",
    ],
)
async def test_application_json_for_legacy_clients_and_wildcards(client: Any, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200 and _type(response) == "application/json"


async def test_a_syntax_error_is_400_without_data_for_graphql_response_json(client: Any) -> None:
    response = await client.post("/graphql", json={"query": "{ stations { "}, headers=MODERN)
    assert response.status_code == 400 and _type(response) == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" not in body and "Syntax Error" in body["errors"][0]["message"]


async def test_a_syntax_error_is_200_with_errors_for_application_json(client: Any) -> None:
    response = await client.post("/graphql", json={"query": "{ stations { "}, headers=LEGACY)
    assert response.status_code == 200 and _type(response) == "application/json"
    body = response.json()
    assert body["data"] is None and "Syntax Error" in body["errors"][0]["message"]


REQUEST_ERRORS = {
    "validation": {"query": "{ noSuchField }"},
    "variable coercion": {"query": "query($n: String!) { __type(name: $n) { name } }", "variables": {"n": 1}},
    "missing variable": {"query": "query($n: String!) { __type(name: $n) { name } }"},
    "too deep": {"query": "{ jurisdictions { nodes { " + "children { " * 30 + "id" + " }" * 30 + " } } }"},
}


@pytest.mark.parametrize("case", REQUEST_ERRORS, ids=list(REQUEST_ERRORS))
async def test_requests_that_cannot_run_are_400_for_graphql_response_json(client: Any, case: str) -> None:
    modern = await client.post("/graphql", json=REQUEST_ERRORS[case], headers=MODERN)
    assert modern.status_code == 400 and "data" not in modern.json() and modern.json()["errors"]
    legacy = await client.post("/graphql", json=REQUEST_ERRORS[case], headers=LEGACY)
    assert legacy.status_code == 200 and legacy.json()["data"] is None and legacy.json()["errors"]


async def test_field_errors_keep_200_and_data_for_graphql_response_json(client: Any) -> None:
    # The operation ran: an anonymous caller's field error nulls `data`, it is not a request error.
    response = await client.post("/graphql", json={"query": "{ stations { totalCount } }"}, headers=MODERN)
    assert response.status_code == 200 and _type(response) == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" in body and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_typename_alone_answers_anonymous_callers(client: Any) -> None:
    for headers in (MODERN, LEGACY, {}):
        response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
async def test_unsupported_media_type_is_415(client: Any, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_json_with_utf8_charset_is_accepted(client: Any) -> None:
    response = await client.post(
        "/graphql",
        content='{"query": "{ __type(name: \\"Run🏃Swim🏊\\") { name } }"}'.encode(),
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 200 and response.json() == {"data": {"__type": None}}


@pytest.mark.parametrize("accept", ["text/plain", "application/xml", "application/json;q=0", "text/*"])
async def test_unacceptable_accept_is_406(client: Any, accept: str) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": accept})
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


async def test_queries_over_get(client: Any) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "query T($n: String!) { __type(name: $n) { name } }", "variables": '{"n": "Query"}'},
        headers=MODERN,
    )
    assert response.status_code == 200 and _type(response) == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"__type": {"name": "Query"}}}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
async def test_a_mutation_over_get_is_405(client: Any, accept: str) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { logout { ok } }"}, headers={"Accept": accept}
    )
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_subscription_over_http_is_refused(client: Any) -> None:
    query = "subscription { ticketEvents { number } }"
    assert (await client.get("/graphql", params={"query": query}, headers=MODERN)).status_code == 405
    assert (await client.post("/graphql", json={"query": query}, headers=MODERN)).status_code == 400


@pytest.mark.parametrize("body", [b'"a string"', b"42", b"null", b"true"])
async def test_a_body_that_is_not_a_json_object_is_400(client: Any, body: bytes) -> None:
    response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["errors"]


@pytest.mark.parametrize("operation_name", [{"obj": "ect"}, 0, False, ["array"]])
async def test_an_operation_name_that_is_not_a_string_is_400(client: Any, operation_name: Any) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }", "operationName": operation_name}, headers=MODERN
    )
    assert response.status_code == 400


async def test_every_answer_carries_a_request_id(client: Any) -> None:
    ids = set()
    for response in (
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.post("/graphql", json={"query": "{"}, headers=MODERN),
        await client.post("/graphql", content=b"x", headers={"Content-Type": "text/plain"}),
        await client.get("/healthz"),
    ):
        ids.add(response.headers["x-request-id"])
    assert len(ids) == 4 and all(len(i) == 16 for i in ids)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json;q=0.5", "application/json"),
        ("application/graphql-response+json;q=0, */*", "application/json"),
        ("application/json;q=0, */*", GRAPHQL_RESPONSE),
        ("application/*, application/graphql-response+json", GRAPHQL_RESPONSE),
        ("text/html", None),
        ("application/json; charset=iso-8859-1", None),
        ("application/json;q=oops", None),
    ],
)
def test_negotiation(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    ("query", "name", "expected"),
    [
        ("{ stations { totalCount } }", None, ("query", None)),
        ("query Stations { stations { totalCount } }", None, ("query", "Stations")),
        ("# a comment\n mutation Login($u: String!) { login(username: $u) }", None, ("mutation", "Login")),
        ("fragment F on Query { __typename } query Q { ...F }", None, ("query", "Q")),
        ("query A { __typename } mutation B { __typename }", "B", ("mutation", "B")),
        ("query A { __typename }", "Nope", (None, "Nope")),
        ("{", None, ("query", None)),  # a syntax error later on: still a query
        ('query "unterminated', None, (None, None)),
        (None, None, (None, None)),
    ],
)
def test_the_operation_named_in_the_log(query: Any, name: Any, expected: tuple[Any, Any]) -> None:
    assert describe_operation(query, name) == expected
