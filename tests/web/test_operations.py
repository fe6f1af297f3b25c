"""Every page's GraphQL operation is a named document that is valid against the committed schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from lianxin.web.operations import OPERATIONS_DIR, names

ROOT = Path(__file__).resolve().parents[2]
SDL = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))


def test_there_are_operations() -> None:
    assert {"Login", "TicketDetail", "RegisterTicket", "Scorecard", "AdminConsole"} <= set(names())


@pytest.mark.parametrize("name", names())
def test_operation_is_one_named_operation_valid_against_the_schema(name: str) -> None:
    document = parse((OPERATIONS_DIR / f"{name}.graphql").read_text(encoding="utf-8"))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.name.value if op.name else None for op in operations] == [name]
    assert [error.message for error in validate(SDL, document)] == []
