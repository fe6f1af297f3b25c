from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from schema.enums import Amenity, StationFunction, StationKind, StationLevel, StationStatus
from schema.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
    error_member,
)
from schema.ids import decode_id
from schema.stations.types import Station, as_station
from server.errors import DomainError
from server.stations import service


@strawberry.input(description="A new station. Status defaults to PLANNED.")
class CreateStationInput:
    code: str
    name: str
    kind: StationKind
    level: StationLevel
    floor_area: float
    rest_area: float
    address: str
    jurisdiction_id: strawberry.ID
    status: StationStatus | None = None
    functions: list[StationFunction] | None = None
    amenities: list[Amenity] | None = None
    opening_hours: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    proposal_id: strawberry.ID | None = None
    planned_year: int | None = None
    opened_on: date | None = None


@strawberry.input(description="Changes to a station: only the fields given change.")
class UpdateStationInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you last read; a stale one is a CONFLICT.")
    code: str | None = None
    name: str | None = None
    level: StationLevel | None = None
    status: StationStatus | None = None
    functions: list[StationFunction] | None = None
    amenities: list[Amenity] | None = None
    floor_area: float | None = None
    rest_area: float | None = None
    opening_hours: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    jurisdiction_id: strawberry.ID | None = None
    proposal_id: strawberry.ID | None = None
    planned_year: int | None = None
    opened_on: date | None = None


@strawberry.type
class StationPayload:
    station: Station


StationResult = Annotated[
    StationPayload | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("StationResult"),
]


def _data(inp: CreateStationInput | UpdateStationInput) -> service.StationData:
    return service.StationData(
        code=inp.code,
        name=inp.name,
        kind=getattr(inp, "kind", None),
        level=inp.level,
        status=inp.status,
        functions=inp.functions,
        amenities=inp.amenities,
        floor_area=inp.floor_area,
        rest_area=inp.rest_area,
        opening_hours=inp.opening_hours,
        address=inp.address,
        latitude=inp.latitude,
        longitude=inp.longitude,
        jurisdiction_id=(
            decode_id(inp.jurisdiction_id, "Jurisdiction", "jurisdictionId")
            if inp.jurisdiction_id is not None
            else None
        ),
        proposal_id=(
            decode_id(inp.proposal_id, "Proposal", "proposalId") if inp.proposal_id is not None else None
        ),
        planned_year=inp.planned_year,
        opened_on=inp.opened_on,
    )


@strawberry.type
class StationsMutation:
    @strawberry.mutation(description="Register a station (usually PLANNED). Needs station:create.")
    async def create_station(self, info: strawberry.Info, input: CreateStationInput) -> StationResult:
        ctx = info.context
        try:
            station = await service.create_station(_data(input), caller=ctx.caller)
        except DomainError as exc:
            return error_member(exc)
        return StationPayload(station=as_station(station))

    @strawberry.mutation(
        description="Change a station; status moves along PLANNED → UNDER_CONSTRUCTION → OPERATING "
        "→ SUSPENDED/CLOSED. Needs station:update."
    )
    async def update_station(self, info: strawberry.Info, input: UpdateStationInput) -> StationResult:
        ctx = info.context
        try:
            station_id = decode_id(input.id, "Station", "id")
            station = await service.update_station(
                station_id,
                input.version,
                _data(input),
                caller=ctx.caller,
            )
        except DomainError as exc:
            return error_member(exc)
        return StationPayload(station=as_station(station))
