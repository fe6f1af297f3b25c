from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry import relay

from schema.enums import Amenity, StationFunction, StationKind, StationLevel, StationStatus
from schema.geo.loaders import JurisdictionByIdLoader
from schema.geo.types import Jurisdiction
from schema.pagination import Connection, paginate
from schema.planner.fields import REFERENCE, NotPlanned, ToMany, ToOne, label, planned
from schema.rows import RowType
from schema.staff.loaders import PostingsByStationLoader
from schema.staff.types import Posting, postings_of
from server.enums import label_zh
from server.errors import Forbidden
from server.stations import models

if TYPE_CHECKING:
    from schema.proposals.types import Proposal
    from schema.tickets.types import Ticket

ProposalRef = Annotated["Proposal", strawberry.lazy("schema.proposals.types")]
TicketRef = Annotated["Ticket", strawberry.lazy("schema.tickets.types")]


@strawberry.type(description="An enum value with its Chinese label.")
class Labelled:
    value: str
    label: str | None


@strawberry.type(
    description="A city service station (城市服务驿站) or community city-management workstation "
    "(社区城管服务工作站)."
)
class Station(RowType, relay.Node):
    row_model = models.Station

    id: relay.NodeID[int]
    code: str
    name: str
    kind: StationKind
    level: StationLevel
    status: StationStatus
    floor_area: float = strawberry.field(description="Floor area in m².")
    rest_area: float = strawberry.field(
        description="Rest area in m². A service station's is at least 60% of its floor area."
    )
    opening_hours: str
    address: str
    latitude: float | None
    longitude: float | None
    planned_year: int | None
    opened_on: date | None
    version: int = strawberry.field(description="Pass back when updating: optimistic concurrency.")
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Chinese label of the kind, e.g. 城市服务驿站.", metadata=label("kind"))
    def kind_label(self) -> str | None:
        return label_zh(self.kind)

    @strawberry.field(description="Chinese label of the status, e.g. 运营中.", metadata=label("status"))
    def status_label(self) -> str | None:
        return label_zh(self.status)

    @strawberry.field(description="Chinese label of the level, e.g. 市级示范点.", metadata=label("level"))
    def level_label(self) -> str | None:
        return label_zh(self.level)

    @strawberry.field(metadata=planned("functions"))
    def functions(self, root: strawberry.Parent[models.Station]) -> list[StationFunction]:
        return [StationFunction(v) for v in root.functions.split()]

    @strawberry.field(metadata=planned("amenities"))
    def amenities(self, root: strawberry.Parent[models.Station]) -> list[Amenity]:
        return [Amenity(v) for v in root.amenities.split()]

    @strawberry.field(
        description="Rest area as a share of floor area, 0–1.", metadata=planned("rest_area", "floor_area")
    )
    def rest_area_share(self) -> float:
        return round(self.rest_area / self.floor_area, 4) if self.floor_area else 0.0

    @strawberry.field(metadata=planned(ToOne("jurisdiction_id", REFERENCE)))
    def jurisdiction(self, root: strawberry.Parent[models.Station], info: strawberry.Info) -> Jurisdiction:
        return info.context.load(JurisdictionByIdLoader, root.jurisdiction_id)

    @strawberry.field(
        description="Staff posted at this station (area chief, team members, workers, liaisons) "
        "that you may see. Null with a FORBIDDEN error at this path when you may read no postings "
        "at all.",
        metadata=planned(ToMany("station_id", "posting", nowhere="resolvers")),
    )
    async def postings(self, info: strawberry.Info) -> list[Posting] | None:
        return await postings_of(info, PostingsByStationLoader, self.id)

    @strawberry.field(
        description="Tickets at this station that you may see, newest first. Null with a FORBIDDEN "
        "error at this path when you may read no tickets at all.",
        metadata=planned(NotPlanned("a nested connection")),
    )
    async def tickets(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[TicketRef] | None:
        from server.tickets.service import list_tickets

        visible = info.context.authz.visible_tickets()
        if visible is None:
            raise Forbidden("You may not read tickets.")
        return await paginate(list_tickets(visible=visible, station_id=self.id), first, after)

    @strawberry.field(
        description="The deputy's proposal this station is credited to, if any.",
        metadata=planned(NotPlanned("proposal visibility, not yet planned")),
    )
    def proposal(self, root: strawberry.Parent[models.Station], info: strawberry.Info) -> ProposalRef | None:
        from schema.proposals.loaders import ProposalByIdLoader

        pid = root.proposal_id
        return None if pid is None else info.context.load(ProposalByIdLoader, pid)


def as_station(row: models.Station) -> Station:
    """A row where a Station is declared (a payload field): the GraphQL layer serves rows as they are,
    and Station's is_type_of and resolvers read them (schema.rows)."""
    return cast(Station, row)
