from __future__ import annotations

from schema.loaders import ByIdLoader, ManyByLoader
from server.stations.models import Station


class StationByIdLoader(ByIdLoader):
    model = Station


class StationsByProposalLoader(ManyByLoader):
    model = Station
    key_field = "proposal_id"
