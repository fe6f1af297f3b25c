"""GraphQL enums of the proposal workflow's own words (server/proposals/vocabulary.py), each value
described with its Chinese label. As in schema/enums.py, the names are the domain classes
themselves, registered with strawberry in place."""

from __future__ import annotations

from schema.enums import register_enum
from server.proposals.vocabulary import ContactPhase, Timeliness, label

__all__ = ["ContactPhase", "Timeliness"]

register_enum(ContactPhase, "When the deputy was contacted (办理前/中/后沟通).", label)
register_enum(Timeliness, "Whether a unit answered by its due date (按时/逾期).", label)
