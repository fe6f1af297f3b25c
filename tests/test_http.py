from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.helpers import data, error_codes


async def test_graphiql_is_served_to_browsers(client: Any) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_healthz(client: Any) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: Any) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_queries_over_get_but_never_mutations(client: Any) -> None:
    query = await client.get("/graphql", params={"query": "{ __typename }"})
    assert query.status_code == 200 and query.json() == {"data": {"__typename": "Query"}}
    mutation = await client.get("/graphql", params={"query": "mutation { logout { ok } }"})
    assert 400 <= mutation.status_code < 500


BAD_REQUESTS = {
    "invalid JSON": {"content": b'{"query": "{ __typename ', "headers": {"Content-Type": "application/json"}},
    "no query": {"json": {"variables": {}}},
    "query not a string": {"json": {"query": 42}},
    "variables not an object": {"json": {"query": "{ __typename }", "variables": "x"}},
    "a batch": {"json": [{"query": "{ __typename }"}, {"query": "{ __typename }"}]},
    "unsupported content type": {"content": b"{ __typename }", "headers": {"Content-Type": "text/plain"}},
    "empty body": {"content": b"", "headers": {"Content-Type": "application/json"}},
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
async def test_malformed_requests_are_4xx(client: Any, case: str) -> None:
    response = await client.post("/graphql", **BAD_REQUESTS[case])
    assert 400 <= response.status_code < 500, response.text


BAD_QUERIES = {
    "syntax error": "{ stations { ",
    "unknown field": "{ spaceships { id } }",
    "unknown argument": "{ stations(colour: RED) { totalCount } }",
    "missing selection": "{ stations }",
    "undefined variable": "{ stations(first: $n) { totalCount } }",
    "too deep": "{ jurisdictions { nodes { " + "children { " * 30 + "id" + " }" * 30 + " } } }",
}


@pytest.mark.parametrize("case", BAD_QUERIES, ids=list(BAD_QUERIES))
async def test_invalid_queries_are_errors_never_500(gql: Any, client: Any, case: str) -> None:
    token = await gql.token("bureau")
    response = await client.post(
        "/graphql", json={"query": BAD_QUERIES[case]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code < 500
    if response.status_code == 200:
        body = response.json()
        assert body["errors"] and body.get("data") is None
        assert all(e["message"] for e in body["errors"])


async def test_wrong_method_and_unknown_path(client: Any) -> None:
    assert (await client.put("/graphql", json={"query": "{ __typename }"})).status_code == 405
    assert (await client.get("/no-such-page")).status_code == 404


async def test_an_unexpected_error_is_masked_and_logged(
    gql: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from server.geo import service

    def explode(**_: Any) -> Any:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(service, "list_jurisdictions", explode)
    with caplog.at_level(logging.ERROR, logger="lianxin.graphql"):
        result = await gql("{ jurisdictions { totalCount } }")
    assert result["data"] == {"jurisdictions": None}
    [error] = result["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    request_id = error["extensions"]["requestId"]
    assert request_id and request_id in error["message"]
    assert "hunter2" not in str(result) and "RuntimeError" not in str(result)
    # the details go to the log, under the same request id
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)

    # the rest of the request and the next requests are unaffected
    monkeypatch.undo()
    assert data(await gql("{ jurisdictions(filter: {level: CITY}) { totalCount } }"))["jurisdictions"] == {
        "totalCount": 1
    }


async def test_an_unexpected_error_leaves_sibling_fields_alone(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.geo import service

    def explode(**_: Any) -> Any:
        raise ValueError("boom")

    monkeypatch.setattr(service, "list_jurisdictions", explode)
    result = await gql("{ j: jurisdictions { totalCount } s: stations(first: 1) { totalCount } }")
    assert result["data"] is None or result["data"]["j"] is None
    assert error_codes(result) == ["INTERNAL_SERVER_ERROR"]
    assert "boom" not in str(result)


async def test_no_token_is_unauthenticated_not_500(gql: Any) -> None:
    result = await gql("{ stations { totalCount } }", as_user=None)
    assert error_codes(result) == ["UNAUTHENTICATED"]
    bad = await gql("{ stations { totalCount } }", token="not-a-real-token")
    assert error_codes(bad) == ["UNAUTHENTICATED"]
