from __future__ import annotations

import strawberry

from schema.geo.filters import JurisdictionFilter
from schema.geo.types import Jurisdiction
from schema.ids import filter_id
from schema.pagination import Connection, paginate
from server.geo import service


@strawberry.type
class GeoQuery:
    @strawberry.field(description="Jurisdictions: the city, its 33 towns/streets/park, their communities.")
    async def jurisdictions(
        self,
        info: strawberry.Info,
        filter: JurisdictionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Jurisdiction] | None:
        criteria = filter or JurisdictionFilter()
        info.context.authz.require_somewhere("reference")
        query = service.list_jurisdictions(
            level=criteria.level,
            parent_id=filter_id(criteria.parent_id, "Jurisdiction", "parentId"),
            within_id=filter_id(criteria.within_id, "Jurisdiction", "withinId"),
            search=criteria.search,
        )
        return await paginate(query, first, after)
