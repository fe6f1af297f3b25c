"""Maps: stations and tickets as GeoJSON FeatureCollections (RFC 7946), for /geo/*.geojson and the
GraphQL fields stationsGeoJson / ticketsGeoJson. Both entry points build the same document here.

- Coordinates are stored in WGS-84, which RFC 7946 requires; `crs=gcj02` (GraphQL `crs: GCJ02`)
  gives every position, and reads a bbox, in GCJ-02 for Chinese base maps (server.geo.datum); the
  collection's `datum` member names the datum of its positions. Positions are [lon, lat]
  with 6 decimals (about 0.1 m), as RFC 7946 §11.2 recommends.
- A row without coordinates is a Feature with `"geometry": null` (RFC 7946 §3.2): a map skips it
  while the list stays complete (counts agree with the station list). A bbox keeps only features
  inside it, so they drop out there.
- Properties are flat (map tools such as QGIS read nested objects poorly), enum names as in
  GraphQL with the Chinese label beside.
- A ticket feature carries no personal data: number, status, category, registration time,
  jurisdiction and position only; never the reporter, the description, the address or any note.
- Reads are bounded: tickets come in pages (newest first, keyset cursors; `next` names the cursor
  of the next page), stations all at once up to a cap that refuses larger answers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.queryset import QuerySet

from server import paging
from server.clock import local
from server.enums import label_zh
from server.errors import FieldProblem, ValidationFailed
from server.geo.datum import gcj02_to_wgs84, wgs84_to_gcj02
from server.geo.models import Jurisdiction
from server.params import TooLarge
from server.stations.models import Station
from server.tickets.models import Ticket, TicketCategory

DEFAULT_TICKET_PAGE = 1000
MAX_STATIONS = 10_000  # several hundred in Dongguan: the cap only stops a runaway answer
PRECISION = 6
# A GCJ-02 bbox's outline is converted every BBOX_STEP degrees (~1 km), at most BBOX_MAX_POINTS a side.
BBOX_STEP = 0.01
BBOX_MAX_POINTS = 200


class Datum(StrEnum):
    """The datum of the positions in an answer (and of a bbox in a request)."""

    WGS84 = "WGS84"
    GCJ02 = "GCJ02"


@dataclass(frozen=True)
class Bbox:
    """minLon, minLat, maxLon, maxLat (RFC 7946 §5 order), in WGS-84."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def bbox(values: Iterable[float] | None, datum: Datum, field: str = "bbox") -> Bbox | None:
    """A bbox from four numbers in `datum`, or a typed error. A box crossing the antimeridian
    (minLon > maxLon, allowed by RFC 7946) is refused: nothing Lianxin maps lies near it."""
    if values is None:
        return None
    numbers = list(values)
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise ValidationFailed(
            problems=[FieldProblem(field, "must be four numbers: minLon,minLat,maxLon,maxLat", "INVALID")]
        )
    min_lon, min_lat, max_lon, max_lat = numbers
    if not (
        -180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90
    ):
        raise ValidationFailed(
            problems=[
                FieldProblem(field, "longitudes lie in [-180, 180], latitudes in [-90, 90]", "OUT_OF_RANGE")
            ]
        )
    if min_lon > max_lon or min_lat > max_lat:
        raise ValidationFailed(
            problems=[FieldProblem(field, "the minimum must not exceed the maximum", "BAD_RANGE")]
        )
    if datum is Datum.GCJ02:
        return _covering_wgs84(min_lon, min_lat, max_lon, max_lat)
    return Bbox(min_lon, min_lat, max_lon, max_lat)


def _covering_wgs84(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> Bbox:
    """The WGS-84 box around a GCJ-02 box. The offset between the datums varies by some 50–70 m
    across Dongguan, so the corners alone would cut features near the edges: the box's outline is
    converted point by point (every BBOX_STEP degrees) and the result holds all of it. Nothing
    inside is left out; a feature a few metres outside may come in."""

    def steps(low: float, high: float) -> list[float]:
        count = min(BBOX_MAX_POINTS, max(1, math.ceil((high - low) / BBOX_STEP)))
        return [low + (high - low) * i / count for i in range(count + 1)]

    outline = [(lat, lon) for lat in (min_lat, max_lat) for lon in steps(min_lon, max_lon)]
    outline += [(lat, lon) for lon in (min_lon, max_lon) for lat in steps(min_lat, max_lat)]
    points = [gcj02_to_wgs84(lat, lon) for lat, lon in outline]
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return Bbox(max(-180.0, min(lons)), max(-90.0, min(lats)), min(180.0, max(lons)), min(90.0, max(lats)))


def page_size(value: int | None, maximum: int, field: str = "limit") -> int:
    if value is None:
        return min(DEFAULT_TICKET_PAGE, maximum)
    if not 1 <= value <= maximum:
        raise ValidationFailed(problems=[FieldProblem(field, f"must be from 1 to {maximum}", "OUT_OF_RANGE")])
    return value


def _inside(query: QuerySet[Any], box: Bbox | None) -> QuerySet[Any]:
    if box is None:
        return query
    return query.filter(
        latitude__gte=box.min_lat,
        latitude__lte=box.max_lat,
        longitude__gte=box.min_lon,
        longitude__lte=box.max_lon,
    )


def _geometry(lat: float | None, lon: float | None, datum: Datum) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    if datum is Datum.GCJ02:
        lat, lon = wgs84_to_gcj02(lat, lon)
    return {"type": "Point", "coordinates": [round(lon, PRECISION), round(lat, PRECISION)]}


def _collection(features: list[dict[str, Any]], datum: Datum, **members: Any) -> dict[str, Any]:
    # "datum" is a foreign member (RFC 7946 §6.1): a GCJ02 answer is not RFC 7946 WGS-84, and says so.
    return {"type": "FeatureCollection", "datum": datum.value, **members, "features": features}


async def _jurisdictions(ids: set[int]) -> dict[int, tuple[str, str]]:
    rows = await Jurisdiction.filter(id__in=sorted(ids)).values_list("id", "code", "name")
    return {row[0]: (row[1], row[2]) for row in rows}


async def stations_collection(query: QuerySet[Station], box: Bbox | None, datum: Datum) -> dict[str, Any]:
    """`query`: the caller's stations, filtered (server.stations.service.list_stations)."""
    stations = await _inside(query, box).limit(MAX_STATIONS + 1)
    if len(stations) > MAX_STATIONS:
        raise TooLarge(
            f"more than {MAX_STATIONS:,} stations: narrow the request (kind, status, jurisdiction, bbox)"
        )
    places = await _jurisdictions({s.jurisdiction_id for s in stations})
    features = [
        {
            "type": "Feature",
            "id": station.code,
            "geometry": _geometry(station.latitude, station.longitude, datum),
            "properties": {
                "code": station.code,
                "name": station.name,
                "kind": station.kind.value,
                "kind_zh": label_zh(station.kind),
                "status": station.status.value,
                "status_zh": label_zh(station.status),
                "level": station.level.value,
                "level_zh": label_zh(station.level),
                "jurisdiction_code": places[station.jurisdiction_id][0],
                "jurisdiction_name": places[station.jurisdiction_id][1],
            },
        }
        for station in stations
    ]
    return _collection(features, datum)


async def tickets_collection(
    query: QuerySet[Ticket], box: Bbox | None, datum: Datum, limit: int, after: str | None
) -> dict[str, Any]:
    """One page of `query` (the caller's tickets, filtered and ordered by
    server.tickets.service.list_tickets) as features without personal data. `next` is the cursor
    of the following page, null on the last."""
    query = _inside(query, box)
    keyset = paging.keyset_of(query)
    if keyset is None:  # every ticket order is a key; this guards a future one that is not
        raise ValidationFailed(
            problems=[FieldProblem("order", "this order cannot be paged on a map", "INVALID")]
        )
    try:
        values = keyset.decode(after) if after else None
    except paging.BadCursor as exc:
        raise ValidationFailed(problems=[FieldProblem("after", str(exc), "BAD_CURSOR")]) from None
    rows = await paging.rows_after(query, keyset, values, limit + 1)
    more = len(rows) > limit
    tickets = rows[:limit]
    places = await _jurisdictions({t.jurisdiction_id for t in tickets})
    categories = {
        c.id: c for c in await TicketCategory.filter(id__in=sorted({t.category_id for t in tickets}))
    }
    features = []
    for ticket in tickets:
        category = categories[ticket.category_id]
        registered = local(ticket.registered_at)
        features.append(
            {
                "type": "Feature",
                "id": ticket.number,
                "geometry": _geometry(ticket.latitude, ticket.longitude, datum),
                "properties": {
                    "number": ticket.number,
                    "status": ticket.status.value,
                    "status_zh": label_zh(ticket.status),
                    "category": category.code,
                    "category_name": category.name,
                    "category_name_en": category.name_en,
                    "registered_at": registered.isoformat(timespec="seconds") if registered else None,
                    "jurisdiction_code": places[ticket.jurisdiction_id][0],
                    "jurisdiction_name": places[ticket.jurisdiction_id][1],
                },
            }
        )
    return _collection(features, datum, next=keyset.encode(tickets[-1]) if more else None)
