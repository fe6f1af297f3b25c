from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from schema.enums import Amenity, StationFunction, StationKind, StationLevel, StationStatus
from schema.ids import filter_id


@strawberry.input(description="Filter for stations. All given conditions must hold.")
class StationFilter:
    kind: StationKind | None = None
    status: StationStatus | None = None
    level: StationLevel | None = None
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Stations in this jurisdiction or anywhere beneath it."
    )
    amenity: Amenity | None = None
    function: StationFunction | None = None
    search: str | None = strawberry.field(default=None, description="Text in the name or address.")
    proposal_id: strawberry.ID | None = strawberry.field(
        default=None, description="Stations credited to this proposal."
    )

    def criteria(self) -> dict[str, Any]:
        """The conditions as `server.stations.service.list_stations` takes them (ids decoded)."""
        return {
            "kind": self.kind,
            "status": self.status,
            "level": self.level,
            "within_id": filter_id(self.jurisdiction_id, "Jurisdiction", "jurisdictionId"),
            "amenity": self.amenity,
            "function": self.function,
            "search": self.search,
            "proposal_id": filter_id(self.proposal_id, "Proposal", "proposalId"),
        }


@strawberry.enum(description="Order of a station list.")
class StationOrder(Enum):
    ID_ASC = "ID_ASC"
    ID_DESC = "ID_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    OPENED_ON_ASC = "OPENED_ON_ASC"
    OPENED_ON_DESC = "OPENED_ON_DESC"
    FLOOR_AREA_DESC = "FLOOR_AREA_DESC"
