"""Generated queries and mutations from the live schema, as anonymous and authenticated callers:
whatever they ask, the answer is never a 500 and never an internal error.

The documents are drawn first (hypothesis runs synchronously) with a fixed seed and a bounded
count, then sent one by one through the ASGI app.
"""

from __future__ import annotations

from typing import Any

import hypothesis_graphql
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from schema.schema import sdl

QUERIES_PER_CALLER = 60
MUTATIONS_PER_CALLER = 40


# Dates and times: mostly well-formed, sometimes not (the server must say BAD_USER_INPUT, not crash).
SCALARS = {
    "Date": st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12)).map(nodes.String),
    "DateTime": st.one_of(st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=30)).map(
        nodes.String
    ),
}


def draw(strategy_factory: Any, count: int, salt: int) -> list[str]:
    documents: list[str] = []

    @seed(20220110 + salt)
    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy_factory(sdl(), custom_scalars=SCALARS))
    def collect(document: str) -> None:
        documents.append(document)

    collect()
    return documents


def _internal(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for e in result.get("errors") or []
        if (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


async def _own_session(gql: Any, user: str) -> str:
    """A login of the fuzzer's own: a fuzzed `logout` must not end the suite's cached session."""
    result = await gql.raw(
        'mutation($u: String!) { login(username: $u, password: "lianxin-demo") { ... on LoginSuccess { token } } }',
        {"u": user},
    )
    return str(result["data"]["login"]["token"])


async def _send(client: Any, token: str | None, document: str, user: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": document}, headers=headers)
    assert response.status_code < 500, (user, document, response.text[:500])
    body = response.json()
    assert not _internal(body), (user, document, _internal(body))


async def test_generated_queries_never_fail_internally(client: Any, gql: Any) -> None:
    for salt, user in enumerate((None, "bureau", "deputy", "worker-xiagang")):
        token = await _own_session(gql, user) if user else None
        for document in draw(hypothesis_graphql.queries, QUERIES_PER_CALLER, salt):
            await _send(client, token, document, user)


async def test_generated_mutations_never_fail_internally(client: Any, gql: Any) -> None:
    # Callers whose fuzzed writes cannot disturb the demo data other tests read: no token at all,
    # and the liaison (it may touch only tickets transferred to its department).
    for salt, user in enumerate((None, "liaison")):
        token = await _own_session(gql, user) if user else None
        for document in draw(hypothesis_graphql.mutations, MUTATIONS_PER_CALLER, 10 + salt):
            await _send(client, token, document, user)
            if user and "logout" in document:  # a fuzzed logout ended this session: start another
                token = await _own_session(gql, user)
