from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry import relay

from schema.enums import DepartmentKind, PostingRole
from schema.geo.loaders import JurisdictionByIdLoader
from schema.geo.types import Jurisdiction
from schema.planner.fields import REFERENCE, ToMany, ToOne, label, planned
from schema.rows import RowType
from schema.staff.loaders import DepartmentByIdLoader, PostingsByStaffLoader, StaffByIdLoader
from schema.stations.loaders import StationByIdLoader
from server import clock
from server.enums import label_zh
from server.errors import Forbidden
from server.staff import models

if TYPE_CHECKING:
    from schema.stations.types import Station

StationRef = Annotated["Station", strawberry.lazy("schema.stations.types")]


@strawberry.type(
    description="A unit: congress standing committee, the bureau, a town government, an N department."
)
class Department(RowType, relay.Node):
    row_model = models.Department

    id: relay.NodeID[int]
    code: str
    name: str
    name_en: str
    kind: DepartmentKind

    @strawberry.field(metadata=planned("kind"))
    def kind_label(self) -> str | None:
        return label_zh(self.kind)

    @strawberry.field(metadata=planned(ToOne("jurisdiction_id", REFERENCE)))
    def jurisdiction(self, root: strawberry.Parent[models.Department], info: strawberry.Info) -> Jurisdiction:
        return info.context.load(JurisdictionByIdLoader, root.jurisdiction_id)


@strawberry.type(
    description="A staff member: bureau staff, area chief, team member, community worker, liaison."
)
class Staff(RowType, relay.Node):
    row_model = models.Staff

    id: relay.NodeID[int]
    name: str
    title: str
    active: bool

    @strawberry.field(metadata=planned(ToOne("department_id", REFERENCE)))
    def department(self, root: strawberry.Parent[models.Staff], info: strawberry.Info) -> Department | None:
        dep_id = root.department_id
        return None if dep_id is None else info.context.load(DepartmentByIdLoader, dep_id)

    @strawberry.field(
        description="Home jurisdiction of the staff member.",
        metadata=planned(ToOne("jurisdiction_id", REFERENCE)),
    )
    def jurisdiction(self, root: strawberry.Parent[models.Staff], info: strawberry.Info) -> Jurisdiction:
        return info.context.load(JurisdictionByIdLoader, root.jurisdiction_id)

    @strawberry.field(
        description="The staff member's postings that you may see. Null with a FORBIDDEN error at "
        "this path when you may read no postings at all.",
        metadata=planned(ToMany("staff_id", "posting", nowhere="resolvers")),
    )
    async def postings(self, info: strawberry.Info) -> list[Posting] | None:
        return await postings_of(info, PostingsByStaffLoader, self.id)


@strawberry.type(description="A staff member posted to a patch and usually a station, in one role.")
class Posting(RowType, relay.Node):
    row_model = models.Posting

    id: relay.NodeID[int]
    role: PostingRole
    started_on: date
    ended_on: date | None
    note: str
    version: int

    @strawberry.field(description="Chinese label of the role, e.g. 城管片长.", metadata=label("role"))
    def role_label(self) -> str | None:
        return label_zh(self.role)

    @strawberry.field(description="True while the posting has not ended.", metadata=planned("ended_on"))
    def active(self) -> bool:
        return self.ended_on is None or self.ended_on >= clock.today()

    @strawberry.field(
        description="Null when the staff record lies outside what you may read.",
        metadata=planned(ToOne("staff_id", "staff")),
    )
    def staff(self, root: strawberry.Parent[models.Posting], info: strawberry.Info) -> Staff | None:
        return info.context.load(StaffByIdLoader, root.staff_id)

    @strawberry.field(metadata=planned(ToOne("station_id", "station")))
    def station(self, root: strawberry.Parent[models.Posting], info: strawberry.Info) -> StationRef | None:
        sid = root.station_id
        return None if sid is None else info.context.load(StationByIdLoader, sid)

    @strawberry.field(
        description="The patch (片区) this posting covers.",
        metadata=planned(ToOne("jurisdiction_id", REFERENCE)),
    )
    def jurisdiction(self, root: strawberry.Parent[models.Posting], info: strawberry.Info) -> Jurisdiction:
        return info.context.load(JurisdictionByIdLoader, root.jurisdiction_id)

    @strawberry.field(
        description="For a department liaison: the department whose service it brings.",
        metadata=planned(ToOne("department_id", REFERENCE)),
    )
    def department(self, root: strawberry.Parent[models.Posting], info: strawberry.Info) -> Department | None:
        dep_id = root.department_id
        return None if dep_id is None else info.context.load(DepartmentByIdLoader, dep_id)


def as_posting(row: models.Posting) -> Posting:
    """A row where a Posting is declared (a payload field): the GraphQL layer serves rows as they are,
    and Posting's is_type_of and resolvers read them (schema.rows)."""
    return cast(Posting, row)


async def postings_of(info: strawberry.Info, loader: type, key: int) -> list[Posting]:
    """A nested list of postings, filtered to the caller's scope like the root lists; refused at
    its path, as they are, when the caller may read postings nowhere (an empty list would claim
    that nobody is posted)."""
    if info.context.authz.scope("posting", "read").empty:
        raise Forbidden("You may not read postings.")
    rows: list[Posting] = await info.context.load(loader, key)
    return rows
