from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from schema.enums import HandlingUnitRole, ProposalStatus, TaskStatus
from schema.geo.loaders import JurisdictionByIdLoader
from schema.geo.types import Jurisdiction
from schema.proposals.loaders import (
    DeputyByIdLoader,
    EventsByProposalLoader,
    TasksByProposalLoader,
    UnitsByProposalLoader,
)
from schema.staff.loaders import DepartmentByIdLoader
from schema.staff.types import Department
from schema.stations.loaders import StationsByProposalLoader
from server.enums import label_zh
from server.errors import Forbidden
from server.proposals import models

if TYPE_CHECKING:
    from schema.stations.types import Station

StationRef = Annotated["Station", strawberry.lazy("schema.stations.types")]


@strawberry.type(description="A people's congress deputy (人大代表).")
class Deputy(relay.Node):
    id: relay.NodeID[int]
    name: str
    delegation: str

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, (cls, models.Deputy))


@strawberry.type(description="One entry of a proposal's or task's history. Never changed once written.")
class ProposalEvent:
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    comment: str
    at: datetime


@strawberry.type(description="A row of the task breakdown table (任务分解表).")
class HandlingTask(relay.Node):
    id: relay.NodeID[int]
    title: str
    due_on: date
    progress: int = strawberry.field(description="0–100")
    status: TaskStatus  # type: ignore[valid-type]
    notes: str
    version: int

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, (cls, models.HandlingTask))

    @strawberry.field
    async def responsible_unit(self, info: strawberry.Info) -> Department:
        return await info.context.load(DepartmentByIdLoader, self.responsible_unit_id)  # type: ignore[attr-defined]


@strawberry.type(description="A lead (牵头) or co-handling (协办) unit of a proposal.")
class ProposalUnit:
    role: HandlingUnitRole  # type: ignore[valid-type]
    opinion_due: date | None

    @strawberry.field
    async def department(self, info: strawberry.Info) -> Department:
        return await info.context.load(DepartmentByIdLoader, self.department_id)  # type: ignore[attr-defined]


@strawberry.type(description="A deputy's proposal (代表建议) and its handling.")
class Proposal(relay.Node):
    id: relay.NodeID[int]
    number: str
    congress_term: int
    session: int
    title: str
    summary: str
    body: str
    status: ProposalStatus  # type: ignore[valid-type]
    key_supervision: bool = strawberry.field(description="Flagged for key supervision (重点督办).")
    submitted_at: datetime | None
    registered_at: datetime | None
    assigned_at: datetime | None
    reply_due: date | None
    replied_at: datetime | None
    closed_at: datetime | None
    rehandling_count: int
    version: int

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, (cls, models.Proposal))

    @strawberry.field(description="Chinese label of the status, e.g. 办理中.")
    def status_label(self) -> str | None:
        return label_zh(self.status)

    @strawberry.field(
        description="Internal handling notes. Needs proposal_internal:read (or, for its author, "
        "own_proposal_internal:read); otherwise null with a FORBIDDEN error at this path."
    )
    def internal_notes(self, info: strawberry.Info) -> str | None:
        authz = info.context.authz
        jid = self.jurisdiction_id  # type: ignore[attr-defined]
        if authz.can("proposal_internal", "read", jid) or (
            authz.owns_proposal(self) and authz.can("own_proposal_internal", "read", jid)
        ):
            return self.internal_notes  # type: ignore[attr-defined,no-any-return]
        raise Forbidden("Internal notes of this proposal are not yours to read.")

    @strawberry.field
    async def author(self, info: strawberry.Info) -> Deputy:
        return await info.context.load(DeputyByIdLoader, self.author_id)  # type: ignore[attr-defined]

    @strawberry.field
    async def jurisdiction(self, info: strawberry.Info) -> Jurisdiction:
        return await info.context.load(JurisdictionByIdLoader, self.jurisdiction_id)  # type: ignore[attr-defined]

    @strawberry.field(description="Lead and co-handling units.")
    async def units(self, info: strawberry.Info) -> list[ProposalUnit]:
        return await info.context.load(UnitsByProposalLoader, self.id)

    @strawberry.field(description="The task breakdown table.")
    async def tasks(self, info: strawberry.Info) -> list[HandlingTask]:
        return await info.context.load(TasksByProposalLoader, self.id)

    @strawberry.field(description="Stations credited to this proposal: what it delivered.")
    async def stations(self, info: strawberry.Info) -> list[StationRef]:
        return await info.context.load(StationsByProposalLoader, self.id)

    @strawberry.field(description="Everything that happened to the proposal, oldest first.")
    async def history(self, info: strawberry.Info) -> list[ProposalEvent]:
        return await info.context.load(EventsByProposalLoader, self.id)
