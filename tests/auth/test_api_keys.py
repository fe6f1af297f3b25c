from __future__ import annotations

from typing import Any

from tests.helpers import data, error_codes

CREATE = """mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { __typename
  ... on ApiKeyCreated { key apiKey { prefix scopes jurisdictionCode } }
  ... on ValidationError { fields { field code } } ... on ForbiddenError { code } } }"""


async def _city(gql: Any) -> str:
    d = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))
    return str(d["jurisdictions"]["nodes"][0]["id"])


async def test_station_scoped_key_reads_stations_not_tickets_and_revocation_is_immediate(gql: Any) -> None:
    created = data(
        await gql(
            CREATE,
            {"i": {"name": "住建局数据共享", "scopes": ["station"], "jurisdictionId": await _city(gql)}},
            as_user="admin",
        )
    )["createApiKey"]
    assert created["__typename"] == "ApiKeyCreated"
    key = created["key"]
    stations = await gql.raw("{ stations { totalCount } }", headers={"X-Api-Key": key})
    assert data(stations)["stations"]["totalCount"] > 200
    bearer = await gql("{ stations { totalCount } }", token=key)
    assert data(bearer)["stations"]["totalCount"] > 200
    tickets = await gql("{ tickets { totalCount } }", token=key)
    assert error_codes(tickets) == ["FORBIDDEN"]
    write = await gql(
        'mutation { updateStation(input: {id: "U3RhdGlvbjox", version: 1, name: "x"}) { __typename } }',
        token=key,
    )
    assert data(write)["updateStation"]["__typename"] in ("ForbiddenError", "NotFoundError")

    revoked = data(
        await gql(
            "mutation($p: String!) { revokeApiKey(prefix: $p) { __typename } }",
            {"p": created["apiKey"]["prefix"]},
            as_user="admin",
        )
    )
    assert revoked["revokeApiKey"]["__typename"] == "ApiKeyPayload"
    after = await gql("{ stations { totalCount } }", token=key)
    assert error_codes(after) == ["UNAUTHENTICATED"] and "revoked" in after["errors"][0]["message"]


async def test_key_without_personal_scope_never_sees_personal_data(gql: Any) -> None:
    created = data(
        await gql(
            CREATE,
            {"i": {"name": "ticket reader", "scopes": ["ticket"], "jurisdictionId": await _city(gql)}},
            as_user="admin",
        )
    )["createApiKey"]
    result = await gql("{ tickets(first: 3) { nodes { number reporterPhone } } }", token=created["key"])
    nodes = result["data"]["tickets"]["nodes"]
    assert nodes and all(n["reporterPhone"] is None for n in nodes)
    assert set(error_codes(result)) == {"FORBIDDEN"}


async def test_bad_key_input_and_forged_keys(gql: Any) -> None:
    bad = data(
        await gql(
            CREATE,
            {
                "i": {
                    "name": "x",
                    "scopes": ["everything"],
                    "jurisdictionId": await _city(gql),
                    "expiresInDays": 0,
                }
            },
            as_user="admin",
        )
    )["createApiKey"]
    assert {f["code"] for f in bad["fields"]} == {"UNKNOWN_SCOPE", "OUT_OF_RANGE"}
    not_admin = data(
        await gql(
            CREATE,
            {"i": {"name": "x", "scopes": ["station"], "jurisdictionId": await _city(gql)}},
            as_user="bureau",
        )
    )
    assert not_admin["createApiKey"] == {"__typename": "ForbiddenError", "code": "FORBIDDEN"}
    for forged in ("lxk_deadbeef_notthesecret", "lxk_garbage", "lxk__"):
        assert error_codes(await gql("{ stations { totalCount } }", token=forged)) == ["UNAUTHENTICATED"]
