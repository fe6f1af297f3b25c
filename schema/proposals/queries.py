from __future__ import annotations

import strawberry

from schema.errors import as_graphql_error
from schema.ids import filter_id
from schema.pagination import Connection, paginate
from schema.proposals.filters import ProposalFilter
from schema.proposals.loaders import visible_proposals
from schema.proposals.types import Proposal
from server.errors import DomainError, Forbidden
from server.proposals import service


@strawberry.type
class ProposalsQuery:
    @strawberry.field(description="Deputies' proposals (代表建议).")
    async def proposals(
        self,
        info: strawberry.Info,
        filter: ProposalFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Proposal]:
        visible = visible_proposals(info.context)
        if visible is None:
            raise Forbidden("You may not read proposals.")
        f = filter or ProposalFilter()
        try:
            query = service.list_proposals(
                visible=visible,
                status=f.status,
                within_id=filter_id(f.jurisdiction_id, "Jurisdiction", "jurisdictionId"),
                key_supervision=f.key_supervision,
                search=f.search,
                submitted_from=f.submitted_from,
                submitted_to=f.submitted_to,
            )
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        return await paginate(query, first, after)
