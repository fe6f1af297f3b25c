"""The domain enums as GraphQL enums, each value described with its Chinese label.

The names here are the domain classes of server/enums.py themselves: importing this module
registers each with strawberry (which decorates the class in place), so an annotation such as
`kind: StationKind` is both the GraphQL enum and a type that mypy accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

from server.enums import (
    Amenity,
    AttachmentStage,
    CalendarDayKind,
    CloseReason,
    DepartmentKind,
    DepartmentTicketStatus,
    HandlingUnitRole,
    JurisdictionLevel,
    PostingRole,
    ProposalStatus,
    Rating,
    ReplyResult,
    ResolutionMethod,
    ReturnVisitChannel,
    StationFunction,
    StationKind,
    StationLevel,
    StationStatus,
    TaskStatus,
    TicketSource,
    TicketStatus,
    TimeUnit,
    TownKind,
    label_zh,
)

__all__ = [
    "Amenity",
    "AttachmentStage",
    "CalendarDayKind",
    "CloseReason",
    "DepartmentKind",
    "DepartmentTicketStatus",
    "HandlingUnitRole",
    "JurisdictionLevel",
    "PostingRole",
    "ProposalStatus",
    "Rating",
    "ReplyResult",
    "ResolutionMethod",
    "ReturnVisitChannel",
    "StationFunction",
    "StationKind",
    "StationLevel",
    "StationStatus",
    "TaskStatus",
    "TicketSource",
    "TicketStatus",
    "TimeUnit",
    "TownKind",
]


def register_enum(
    cls: type[StrEnum], description: str, label: Callable[[StrEnum], str | None] = label_zh
) -> None:
    """Make `cls` a GraphQL enum in place, each value described with its label."""
    strawberry.enum(cls, description=description)
    definition = vars(cls).get("__strawberry_definition__")
    if not isinstance(definition, StrawberryEnumDefinition):
        raise TypeError(f"strawberry did not register {cls.__name__} as an enum")
    for value in definition.values:
        value.description = label(cls(value.value))


register_enum(JurisdictionLevel, "Level in the jurisdiction tree (行政层级).")
register_enum(TownKind, "Kind of town-level jurisdiction (街道/镇/园区).")
register_enum(DepartmentKind, "Kind of unit.")
register_enum(StationKind, "Kind of station.")
register_enum(StationLevel, "Level of a station.")
register_enum(StationStatus, "Lifecycle of a station.")
register_enum(StationFunction, "A function a station offers (驿站功能).")
register_enum(Amenity, "An amenity of a station (便民设施).")
register_enum(PostingRole, "Role of a staff member at a posting.")
register_enum(ProposalStatus, "State of a deputy's proposal (建议办理状态).")
register_enum(HandlingUnitRole, "Lead (牵头) or co-handling (协办) unit.")
register_enum(TaskStatus, "State of a handling task.")
register_enum(ReplyResult, "Result class of a reply.")
register_enum(Rating, "A rating: a deputy's of a reply, or a citizen's on a return visit (回访).")
register_enum(TicketSource, "Where a ticket came from (工单来源).")
register_enum(TicketStatus, "State of a ticket (工单状态).")
register_enum(ResolutionMethod, "How a ticket was resolved: the 721 method.")
register_enum(DepartmentTicketStatus, "A department's own sub-status of a ticket.")
register_enum(
    TimeUnit, "How a response or resolution time is counted: round the clock or on the work calendar."
)
register_enum(CalendarDayKind, "What a day is on the work calendar (工作日历).")
register_enum(ReturnVisitChannel, "How a return visit (回访) reached, or tried to reach, the citizen.")
register_enum(CloseReason, "Why a resolved ticket was closed: the citizen's rating, or unreachable.")
register_enum(AttachmentStage, "When a file was attached (附件阶段).")
