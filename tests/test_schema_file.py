from __future__ import annotations

from server.settings import ROOT


def test_committed_schema_graphql_is_current() -> None:
    from schema.schema import sdl

    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), "schema.graphql is stale: run `make schema` (lianxin export-schema)"
