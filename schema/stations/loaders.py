from __future__ import annotations

from tortoise.expressions import Q

from schema.loaders import ByIdLoader, ManyByLoader, scope_q
from server.stations.models import Station


class StationByIdLoader(ByIdLoader):
    model = Station

    def visible(self) -> Q | None:
        return scope_q(self.ctx, "station")


class StationsByProposalLoader(ManyByLoader):
    model = Station
    key_field = "proposal_id"

    def visible(self) -> Q | None:
        return scope_q(self.ctx, "station")
