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
