"""The maps as GraphQL fields: the same GeoJSON FeatureCollection as /geo/*.geojson, as a JSON value.

A JSON scalar rather than typed Feature types: map libraries (Leaflet, MapLibre, OpenLayers) take a
FeatureCollection as it is, GeoJSON's geometry is polymorphic, and typed features would make
every client put the document back together. The properties are documented in server/geo/maps.py
and the README, and are the REST endpoints' exactly.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from schema.enums import register_enum
from schema.stations.filters import StationFilter
from schema.tickets.filters import TicketFilter
from server.errors import Forbidden
from server.geo import maps
from server.geo.maps import Datum
from server.settings import settings
from server.stations import service as stations
from server.tickets import service as tickets

register_enum(
    Datum,
    "The datum of map positions. Lianxin stores WGS84 (RFC 7946, GPS); GCJ02 is what base maps "
    "published in China are drawn in.",
    lambda value: {"WGS84": "WGS-84 (GPS)", "GCJ02": "GCJ-02 (国测局坐标)"}[value.value],
)

CRS = "The datum of the positions in the answer and in bbox (the answer's `datum` member says it)."
BBOX = "minLon, minLat, maxLon, maxLat, in the answer's datum: only features inside it."


@strawberry.type
class MapsQuery:
    @strawberry.field(
        description="Stations as a GeoJSON (RFC 7946) FeatureCollection: the stations you may read "
        "(station:read), filtered as `stations` is. Feature id is the station code; properties: code, "
        "name, kind, kind_zh, status, status_zh, level, level_zh, jurisdiction_code, jurisdiction_name. "
        "A station without coordinates has geometry null. Null with a FORBIDDEN error at this path when "
        "you may read no stations. Same document as GET /geo/stations.geojson."
    )
    async def stations_geo_json(
        self,
        info: strawberry.Info,
        filter: StationFilter | None = None,
        bbox: Annotated[list[float] | None, strawberry.argument(description=BBOX)] = None,
        crs: Annotated[Datum, strawberry.argument(description=CRS)] = Datum.WGS84,
    ) -> JSON | None:
        criteria = filter or StationFilter()
        scope = info.context.authz.require_somewhere("station")
        box = maps.bbox(bbox, crs)
        query = stations.list_stations(
            visible=scope.where(),
            **criteria.criteria(),
        )
        return JSON(await maps.stations_collection(query, box, crs))

    @strawberry.field(
        description="Tickets as a GeoJSON (RFC 7946) FeatureCollection, newest first: the tickets "
        "`tickets` would list to you, filtered the same way, without personal data. Feature id is the "
        "ticket number; properties: number, status, status_zh, category, category_name, "
        "category_name_en, registered_at, jurisdiction_code, jurisdiction_name. `first` features "
        "(default 1000, at most LIANXIN_MAX_ROWS_PER_REQUEST); the collection's `next` member is the "
        "`after` of the next page, null on the last. Null with a FORBIDDEN error at this path when "
        "you may read no tickets. Same document as GET /geo/tickets.geojson."
    )
    async def tickets_geo_json(
        self,
        info: strawberry.Info,
        filter: TicketFilter | None = None,
        bbox: Annotated[list[float] | None, strawberry.argument(description=BBOX)] = None,
        crs: Annotated[Datum, strawberry.argument(description=CRS)] = Datum.WGS84,
        first: int | None = None,
        after: str | None = None,
    ) -> JSON | None:
        visible = info.context.authz.visible_tickets()
        if visible is None:
            raise Forbidden("You may not read tickets.")
        criteria = filter or TicketFilter()
        box = maps.bbox(bbox, crs)
        limit = maps.page_size(first, settings.max_rows_per_request, "first")
        query = tickets.list_tickets(
            visible=visible,
            **criteria.criteria(),
        )
        return JSON(await maps.tickets_collection(query, box, crs, limit, after))
