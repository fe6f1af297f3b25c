"""The pages' named GraphQL operations: one .graphql file each in operations/, run in process
against the same schema with the signed-in person's call, so authorization, statement counts,
personal-data records and errors are exactly the API's (tests validate every file against
schema.graphql)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schema.context import Context
from schema.schema import schema
from server.pipeline import Call

OPERATIONS_DIR = Path(__file__).parent / "operations"


@functools.cache
def document(name: str) -> str:
    """The text of operations/<name>.graphql, whose one operation is named <name>."""
    return (OPERATIONS_DIR / f"{name}.graphql").read_text(encoding="utf-8")


def names() -> list[str]:
    return sorted(path.stem for path in OPERATIONS_DIR.glob("*.graphql"))


@dataclass
class Answer:
    data: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def codes(self) -> set[str]:
        return {str(e.get("code") or "") for e in self.errors}

    def first_message(self) -> str:
        return str(self.errors[0]["message"]) if self.errors else ""


async def run(call: Call, name: str, request: Any = None, **variables: Any) -> Answer:
    """Run operations/<name>.graphql as `call`'s caller."""
    result = await schema.execute(
        document(name),
        variable_values=variables,
        context_value=Context(request=request, call=call),
        operation_name=name,
    )
    errors = [
        {
            "message": error.message,
            "code": (error.extensions or {}).get("code"),
            "path": error.path,
        }
        for error in result.errors or []
    ]
    return Answer(data=dict(result.data or {}), errors=errors)
