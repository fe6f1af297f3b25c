"""The domain enums as GraphQL enums, each value described with its Chinese label."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from server import enums as e


def _register(cls: type[StrEnum], description: str) -> type[StrEnum]:
    wrapped = strawberry.enum(cls, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = e.label_zh(cls(value.value))
    return wrapped


JurisdictionLevel = _register(e.JurisdictionLevel, "Level in the jurisdiction tree (行政层级).")
TownKind = _register(e.TownKind, "Kind of town-level jurisdiction (街道/镇/园区).")
DepartmentKind = _register(e.DepartmentKind, "Kind of unit.")
StationKind = _register(e.StationKind, "Kind of station.")
StationLevel = _register(e.StationLevel, "Level of a station.")
StationStatus = _register(e.StationStatus, "Lifecycle of a station.")
StationFunction = _register(e.StationFunction, "A function a station offers (驿站功能).")
Amenity = _register(e.Amenity, "An amenity of a station (便民设施).")
PostingRole = _register(e.PostingRole, "Role of a staff member at a posting.")
ProposalStatus = _register(e.ProposalStatus, "State of a deputy's proposal (建议办理状态).")
HandlingUnitRole = _register(e.HandlingUnitRole, "Lead (牵头) or co-handling (协办) unit.")
TaskStatus = _register(e.TaskStatus, "State of a handling task.")
ReplyResult = _register(e.ReplyResult, "Result class of a reply.")
Rating = _register(e.Rating, "A deputy's rating of a reply.")
TicketSource = _register(e.TicketSource, "Where a ticket came from (工单来源).")
TicketStatus = _register(e.TicketStatus, "State of a ticket (工单状态).")
ResolutionMethod = _register(e.ResolutionMethod, "How a ticket was resolved: the 721 method.")
DepartmentTicketStatus = _register(e.DepartmentTicketStatus, "A department's own sub-status of a ticket.")
