"""The 721 figures in GraphQL."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.geo.loaders import JurisdictionByIdLoader
from schema.geo.types import Jurisdiction
from schema.stats.rates import ThreeRates, three_rates
from server.authz.engine import engine
from server.clock import local
from server.errors import FieldProblem, Forbidden, ValidationFailed
from server.tickets import figures as ticket_figures


@strawberry.enum(description="What the 721 figures are grouped by.")
class FigureGrouping(Enum):
    CITY = "CITY"
    TOWN = "TOWN"
    COMMUNITY = "COMMUNITY"
    STATION = "STATION"
    AREA_CHIEF = "AREA_CHIEF"


@strawberry.type(description="Tickets received and resolved, and the 721 split against 70/20/10.")
class TicketFigureGroup:
    label: str = strawberry.field(description="Town, community, station or area chief, in Chinese")
    jurisdiction_id: strawberry.Private[int | None]
    received: int
    resolved: int
    service: int
    management: int
    enforcement: int
    service_share: float | None
    management_share: float | None
    enforcement_share: float | None
    deviation_from_target: float | None = strawberry.field(
        description="Largest gap between the split and 70/20/10, as a share (0.05 = 5 points)"
    )
    rates: ThreeRates = strawberry.field(description="The three rates (三率) of the group's tickets.")
    target_service_share: float = 0.7
    target_management_share: float = 0.2
    target_enforcement_share: float = 0.1

    @strawberry.field(
        description="The group's jurisdiction (id, code, name) when grouped by CITY, TOWN or "
        "COMMUNITY; null for stations, area chiefs and tickets in no jurisdiction of that level."
    )
    async def jurisdiction(self, info: strawberry.Info) -> Jurisdiction | None:
        if self.jurisdiction_id is None:
            return None
        return await info.context.load(JurisdictionByIdLoader, self.jurisdiction_id)


def _jurisdiction_id(group_by: FigureGrouping, key: int | None) -> int | None:
    if group_by == FigureGrouping.CITY:
        return next((jid for code, jid in engine.tree.id_by_code.items() if "/" not in code), None)
    if group_by in (FigureGrouping.TOWN, FigureGrouping.COMMUNITY):
        return key
    return None


@strawberry.type
class FiguresQuery:
    @strawberry.field(
        description="721 figures over the tickets in your statistics scope; for an N department's "
        "liaison or key, over the tickets transferred to that department. Needs stats:read; "
        "otherwise null with a FORBIDDEN error at this path."
    )
    async def ticket_figures(
        self,
        info: strawberry.Info,
        group_by: FigureGrouping = FigureGrouping.CITY,
        registered_from: datetime | None = None,
        registered_to: datetime | None = None,
    ) -> list[TicketFigureGroup] | None:
        authz = info.context.authz
        scope = authz.scope("stats", "read")
        if scope.empty:
            raise Forbidden("You may not read statistics.")
        department_id = await authz.figures_department()
        # a time without a zone is the city's (as everywhere else): comparable with one that has it
        registered_from, registered_to = local(registered_from), local(registered_to)
        if registered_from and registered_to and registered_from > registered_to:
            raise ValidationFailed(
                problems=[FieldProblem("registeredTo", "is before registeredFrom", "BAD_RANGE")]
            )
        rows = await ticket_figures.figures(
            group_by.value, scope.where(), registered_from, registered_to, department_id=department_id
        )
        return [
            TicketFigureGroup(
                label=r.label,
                jurisdiction_id=_jurisdiction_id(group_by, r.key),
                received=r.received,
                resolved=r.resolved,
                service=r.service,
                management=r.management,
                enforcement=r.enforcement,
                service_share=r.share("SERVICE"),
                management_share=r.share("MANAGEMENT"),
                enforcement_share=r.share("ENFORCEMENT"),
                deviation_from_target=r.deviation(),
                rates=three_rates(r.rates),
            )
            for r in rows
        ]
