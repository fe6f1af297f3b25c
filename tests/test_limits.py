"""Hostile queries are refused before they run, with a clear error; the next request is served."""

from __future__ import annotations

from typing import Any

from tests.helpers import data


def _messages(result: dict[str, Any]) -> str:
    return " | ".join(e["message"] for e in result.get("errors") or [])


async def _still_serving(gql: Any) -> None:
    assert data(await gql("{ stations(first: 1) { totalCount } }"))["stations"]["totalCount"] > 0


async def test_a_query_50_levels_deep_is_refused(gql: Any) -> None:
    query = (
        "{ stations(first: 1) { nodes { " + "jurisdiction { parent { " * 25 + "name" + " } }" * 25 + " } } }"
    )
    result = await gql(query)
    assert result.get("data") is None and "depth" in _messages(result).lower()
    await _still_serving(gql)


async def test_a_thousand_aliases_are_refused(gql: Any) -> None:
    thousand = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"
    result = await gql(thousand)
    assert result.get("data") is None and "token" in _messages(result).lower()  # stopped while parsing
    sixty = "{ " + " ".join(f"a{i}: __typename" for i in range(60)) + " }"
    result = await gql(sixty)
    assert result.get("data") is None and "alias" in _messages(result).lower()
    await _still_serving(gql)


async def test_too_many_tokens_are_refused(gql: Any) -> None:
    query = "{ stations(first: 1) { nodes { " + " ".join(["name"] * 2500) + " } } }"
    result = await gql(query)
    assert result.get("data") is None and "token" in _messages(result).lower()


async def test_first_100000_is_refused_not_cut(gql: Any) -> None:
    result = await gql("{ stations(first: 100000) { totalCount } }")
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 500" in result["errors"][0]["message"]


async def test_a_cost_bomb_is_refused_before_it_runs(gql: Any) -> None:
    from tests.conftest import count_sql

    bomb = """{ stations(first: 500) { nodes { tickets(first: 500) { nodes { history { actor }
               station { postings { staff { name } } } } } } } }"""
    with count_sql() as sql:
        result = await gql(bomb)
    assert result.get("data") is None
    [error] = result["errors"]
    assert (
        error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        and error["extensions"]["cost"] > error["extensions"]["limit"]
    )
    assert sql.count == 1  # authentication only: nothing of the query ran
    # Page sizes in variables are unknown to validation: the run-time row budget holds them.
    nested = "query($n: Int) { stations(first: $n) { nodes { tickets(first: $n) { nodes { number } } } } }"
    assert "errors" not in await gql(nested, {"n": 10})
    via_variables = await gql(nested, {"n": 500})
    assert {e["extensions"]["code"] for e in via_variables["errors"]} == {"QUERY_TOO_COSTLY"}
    await _still_serving(gql)


async def test_ordinary_pages_are_well_within_the_cost_limit(gql: Any) -> None:
    page = """{ tickets(first: 50) { nodes { number station { name } jurisdiction { name parent { name } }
               latestEvent { action } history { action } } } }"""
    assert "errors" not in await gql(page)


async def test_no_field_suggestions(gql: Any) -> None:
    result = await gql("{ statoins { totalCount } }")
    assert result["errors"] and "Did you mean" not in _messages(result)
    assert "statoins" in _messages(result)


async def test_a_one_megabyte_document_is_refused_before_parsing(
    client: Any, gql: Any, monkeypatch: Any
) -> None:
    token = await gql.token("bureau")
    huge = "{ stations(first: 1) { totalCount } } # " + "x" * 1_000_000
    response = await client.post(
        "/graphql", json={"query": huge}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    # over GET too, with a smaller cap: HTTP clients refuse megabyte URLs themselves
    import dataclasses

    from server.settings import settings

    monkeypatch.setattr("lianxin.app.settings", dataclasses.replace(settings, max_document_bytes=1000))
    long_get = "{ stations(first: 1) { totalCount } } # " + "x" * 1500
    via_get = await client.get(
        "/graphql", params={"query": long_get}, headers={"Authorization": f"Bearer {token}"}
    )
    assert via_get.status_code == 413
    await _still_serving(gql)
