"""`node(id:)`: any object by its global ID, through the same loaders as everything else."""

from __future__ import annotations

import strawberry
from strawberry import relay

from schema.errors import client_error
from schema.geo.loaders import JurisdictionByIdLoader
from schema.ids import parse_global_id
from schema.loaders import ByIdLoader
from schema.proposals.loaders import DeputyByIdLoader, HandlingTaskByIdLoader, ProposalByIdLoader
from schema.staff.loaders import DepartmentByIdLoader, PostingByIdLoader, StaffByIdLoader
from schema.stations.loaders import StationByIdLoader
from schema.tickets.loaders import TicketByIdLoader, TicketCategoryByIdLoader
from server.errors import NotFound

NODE_LOADERS: dict[str, type[ByIdLoader]] = {
    "Jurisdiction": JurisdictionByIdLoader,
    "Department": DepartmentByIdLoader,
    "Staff": StaffByIdLoader,
    "Posting": PostingByIdLoader,
    "Station": StationByIdLoader,
    "Proposal": ProposalByIdLoader,
    "Deputy": DeputyByIdLoader,
    "HandlingTask": HandlingTaskByIdLoader,
    "Ticket": TicketByIdLoader,
    "TicketCategory": TicketCategoryByIdLoader,
}


def _not_found(node_id: str) -> Exception:
    return client_error(f"No object with ID {node_id!r} is visible to you.", "NOT_FOUND")


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global ID. Null with NOT_FOUND when absent or not visible."
    )
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> relay.Node | None:
        info.context.authz.require_viewer()
        try:
            type_name, pk = parse_global_id(id)
        except NotFound:
            raise _not_found(id) from None
        loader = NODE_LOADERS.get(type_name)
        if loader is None:
            raise _not_found(id)
        obj = await info.context.load(loader, pk)
        if obj is None:
            raise _not_found(id)
        return obj
