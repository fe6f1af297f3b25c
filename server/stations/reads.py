"""The station list's filters as SQL for planned reads (server.planned): the same rows, in the same
order, as `service.list_stations` selects through the ORM, for the filters planned reads take."""

from __future__ import annotations

from server import planned
from server.authz.authorizer import Scope
from server.geo.service import subtree_ids
from server.stations.models import Station
from server.stations.service import ORDERINGS


def where(
    scope: Scope,
    *,
    kind: str | None = None,
    status: str | None = None,
    level: str | None = None,
    within_id: int | None = None,
    proposal_id: int | None = None,
) -> planned.Where:
    found = planned.Where()
    condition, params = planned.in_scope('"jurisdiction_id"', scope)
    found.add(condition, *params)
    for field, value in (("kind", kind), ("status", status), ("level", level), ("proposal_id", proposal_id)):
        if value is not None:
            found.equal(Station, field, value)
    if within_id is not None:
        found.among('"jurisdiction_id"', sorted(subtree_ids(within_id)))
    return found


# What planned reads of the station list read, and its orders by name (ORM form).
MODEL = Station
ORDERS = ORDERINGS
