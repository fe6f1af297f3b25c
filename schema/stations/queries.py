from __future__ import annotations

import strawberry

from schema.pagination import Connection, paginate
from schema.stations.filters import StationFilter, StationOrder
from schema.stations.types import Station
from server.stations import service


@strawberry.type
class StationsQuery:
    @strawberry.field(description="Service stations and community workstations.")
    async def stations(
        self,
        info: strawberry.Info,
        filter: StationFilter | None = None,
        order: StationOrder = StationOrder.ID_ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Station] | None:
        criteria = filter or StationFilter()
        scope = info.context.authz.require_somewhere("station")
        query = service.list_stations(
            visible=scope.where(),
            **criteria.criteria(),
            order=order.value,
        )
        return await paginate(query, first, after)
