from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from schema.enums import Amenity, StationFunction, StationKind, StationLevel, StationStatus
from schema.geo.loaders import JurisdictionByIdLoader
from schema.geo.types import Jurisdiction
from schema.pagination import Connection, paginate
from schema.staff.loaders import PostingsByStationLoader
from schema.staff.types import Posting
from server import enums as domain_enums
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
class Station(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    kind: StationKind  # type: ignore[valid-type]
    level: StationLevel  # type: ignore[valid-type]
    status: StationStatus  # type: ignore[valid-type]
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

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, (cls, models.Station))

    @strawberry.field(description="Chinese label of the kind, e.g. 城市服务驿站.")
    def kind_label(self) -> str | None:
        return label_zh(self.kind)

    @strawberry.field(description="Chinese label of the status, e.g. 运营中.")
    def status_label(self) -> str | None:
        return label_zh(self.status)

    @strawberry.field(description="Chinese label of the level, e.g. 市级示范点.")
    def level_label(self) -> str | None:
        return label_zh(self.level)

    @strawberry.field
    def functions(self) -> list[StationFunction]:  # type: ignore[valid-type]
        return [domain_enums.StationFunction(v) for v in str(self.functions).split()]  # type: ignore[misc]

    @strawberry.field
    def amenities(self) -> list[Amenity]:  # type: ignore[valid-type]
        return [domain_enums.Amenity(v) for v in str(self.amenities).split()]  # type: ignore[misc]

    @strawberry.field(description="Rest area as a share of floor area, 0–1.")
    def rest_area_share(self) -> float:
        return round(self.rest_area / self.floor_area, 4) if self.floor_area else 0.0

    @strawberry.field
    def jurisdiction(self, info: strawberry.Info) -> Jurisdiction:
        return info.context.load(JurisdictionByIdLoader, self.jurisdiction_id)  # type: ignore[attr-defined]

    @strawberry.field(
        description="Staff posted at this station (area chief, team members, workers, liaisons)."
    )
    def postings(self, info: strawberry.Info) -> list[Posting]:
        return info.context.load(PostingsByStationLoader, self.id)

    @strawberry.field(
        description="Tickets at this station that you may see, newest first. Null with a FORBIDDEN "
        "error at this path when you may read no tickets at all."
    )
    async def tickets(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[TicketRef] | None:
        from server.tickets.service import list_tickets

        visible = info.context.authz.visible_tickets()
        if visible is None:
            raise Forbidden("You may not read tickets.")
        return await paginate(list_tickets(visible=visible, station_id=self.id), first, after)

    @strawberry.field(description="The deputy's proposal this station is credited to, if any.")
    def proposal(self, info: strawberry.Info) -> ProposalRef | None:
        from schema.proposals.loaders import ProposalByIdLoader

        pid = self.proposal_id  # type: ignore[attr-defined]
        return None if pid is None else info.context.load(ProposalByIdLoader, pid)
