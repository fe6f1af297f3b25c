from __future__ import annotations

from enum import Enum

import strawberry

from schema.enums import Amenity, StationFunction, StationKind, StationLevel, StationStatus


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


@strawberry.enum(description="Order of a station list.")
class StationOrder(Enum):
    ID_ASC = "ID_ASC"
    ID_DESC = "ID_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    OPENED_ON_ASC = "OPENED_ON_ASC"
    OPENED_ON_DESC = "OPENED_ON_DESC"
    FLOOR_AREA_DESC = "FLOOR_AREA_DESC"
