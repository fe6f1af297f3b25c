from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


def error_codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]


def data(result: dict[str, Any]) -> dict[str, Any]:
    assert not result.get("errors"), result.get("errors")
    return dict(result["data"])


async def city_api_key(gql: Any, scopes: list[str], name: str = "test key") -> tuple[str, str]:
    """A data-sharing key for the whole city with these scopes, made by the admin: (key, prefix)."""
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))["jurisdictions"][
        "nodes"
    ][0]
    created = data(
        await gql(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) {"
            " ... on ApiKeyCreated { key apiKey { prefix } } } }",
            {"i": {"name": name, "scopes": scopes, "jurisdictionId": city["id"]}},
            as_user="admin",
        )
    )["createApiKey"]
    return str(created["key"]), str(created["apiKey"]["prefix"])
