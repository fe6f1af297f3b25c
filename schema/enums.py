"""The domain enums as GraphQL enums, each value described with its Chinese label."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from server import enums as domain_enums


def _register(cls: type[StrEnum], description: str) -> type[StrEnum]:
    wrapped = strawberry.enum(cls, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = domain_enums.label_zh(cls(value.value))
    return wrapped


JurisdictionLevel = _register(domain_enums.JurisdictionLevel, "Level in the jurisdiction tree (行政层级).")
TownKind = _register(domain_enums.TownKind, "Kind of town-level jurisdiction (街道/镇/园区).")
DepartmentKind = _register(domain_enums.DepartmentKind, "Kind of unit.")
StationKind = _register(domain_enums.StationKind, "Kind of station.")
StationLevel = _register(domain_enums.StationLevel, "Level of a station.")
StationStatus = _register(domain_enums.StationStatus, "Lifecycle of a station.")
StationFunction = _register(domain_enums.StationFunction, "A function a station offers (驿站功能).")
Amenity = _register(domain_enums.Amenity, "An amenity of a station (便民设施).")
PostingRole = _register(domain_enums.PostingRole, "Role of a staff member at a posting.")
ProposalStatus = _register(domain_enums.ProposalStatus, "State of a deputy's proposal (建议办理状态).")
HandlingUnitRole = _register(domain_enums.HandlingUnitRole, "Lead (牵头) or co-handling (协办) unit.")
TaskStatus = _register(domain_enums.TaskStatus, "State of a handling task.")
ReplyResult = _register(domain_enums.ReplyResult, "Result class of a reply.")
Rating = _register(domain_enums.Rating, "A deputy's rating of a reply.")
TicketSource = _register(domain_enums.TicketSource, "Where a ticket came from (工单来源).")
TicketStatus = _register(domain_enums.TicketStatus, "State of a ticket (工单状态).")
ResolutionMethod = _register(domain_enums.ResolutionMethod, "How a ticket was resolved: the 721 method.")
DepartmentTicketStatus = _register(
    domain_enums.DepartmentTicketStatus, "A department's own sub-status of a ticket."
)
