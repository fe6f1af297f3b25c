"""GraphQL enums of the proposal workflow's own words (server/proposals/vocabulary.py), each value
described with its Chinese label."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from server.proposals import vocabulary


def _register(cls: type[StrEnum], description: str) -> type[StrEnum]:
    wrapped = strawberry.enum(cls, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = vocabulary.label(cls(value.value))
    return wrapped


ContactPhase = _register(vocabulary.ContactPhase, "When the deputy was contacted (办理前/中/后沟通).")
Timeliness = _register(vocabulary.Timeliness, "Whether a unit answered by its due date (按时/逾期).")
