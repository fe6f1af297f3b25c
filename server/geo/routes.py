"""GET /geo/stations.geojson and /geo/tickets.geojson: the maps of server.geo.maps, served through
the request pipeline like the CSV exports (token or data-sharing key, the key's rate limit and use
log, one log line). Answers are application/geo+json; errors are JSON in GraphQL's shape.

Query parameters name things as the other REST endpoints do: a jurisdiction, station, category or
department by its code, enum values by their GraphQL names, times as W3C date-times. A station map
needs station:read somewhere (a key whose scope names station suffices); a ticket map reads the
tickets the caller's ticket list would show, filtered the same way.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server import params as params_
from server.authz.engine import engine
from server.enums import StationKind, StationLevel, StationStatus, TicketSource, TicketStatus
from server.errors import Forbidden, NotFound
from server.geo.maps import Datum, bbox, page_size, stations_collection, tickets_collection
from server.pipeline import Call, Interface, json_error, route
from server.settings import settings
from server.staff.models import Department
from server.stations import service as stations
from server.stations.models import Station
from server.tickets import service as tickets
from server.tickets.models import TicketCategory

GEOJSON = "application/geo+json"
MAX_CODE = 200
MAX_CURSOR = 200

GEO = Interface(name="geo", error=json_error, unauthenticated_status=401)


class GeoJSONResponse(Response):
    media_type = GEOJSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


E = TypeVar("E", bound=StrEnum)


def _choice(enum: type[E], value: str | None, field: str) -> E | None:
    raw = params_.text(value, field, max_length=40)
    if not raw:
        return None
    try:
        return enum(raw.upper())
    except ValueError:
        raise params_.bad(field, f"must be one of {', '.join(m.value for m in enum)}") from None


def _flag(value: str | None, field: str) -> bool | None:
    raw = params_.text(value, field, max_length=5).lower()
    if not raw:
        return None
    if raw not in {"true", "false"}:
        raise params_.bad(field, "must be true or false")
    return raw == "true"


def _jurisdiction(value: str | None) -> int | None:
    code = params_.text(value, "jurisdiction", max_length=MAX_CODE)
    if not code:
        return None
    found = engine.tree.id_by_code.get(code)
    if found is None:
        raise NotFound("Jurisdiction", repr(code))
    return found


async def _by_code(model: Any, value: str | None, field: str) -> int | None:
    code = params_.text(value, field, max_length=MAX_CODE)
    if not code:
        return None
    found = await model.filter(code=code).values_list("id", flat=True)
    if not found:
        raise NotFound(model.__name__, repr(code))
    return int(found[0])


def _place(request: Request) -> tuple[Datum, Any]:
    params = request.query_params
    datum = _choice(Datum, params.get("crs"), "crs") or Datum.WGS84
    raw = params_.text(params.get("bbox"), "bbox", max_length=200)
    numbers = None
    if raw:
        parts = raw.split(",")
        if len(parts) != 4:
            raise params_.bad("bbox", "must be four numbers: minLon,minLat,maxLon,maxLat")
        numbers = []
        for part in parts:
            number = params_.number(part.strip(), "bbox", low=-180, high=180)
            if number is None:
                raise params_.bad("bbox", "must be four numbers: minLon,minLat,maxLon,maxLat")
            numbers.append(number)
    return datum, bbox(numbers, datum)


async def stations_geojson(request: Request, call: Call) -> Response:
    scope = call.authorizer().require_somewhere("station", "read")
    params = request.query_params
    datum, box = _place(request)
    query = stations.list_stations(
        visible=scope.where(),
        kind=_choice(StationKind, params.get("kind"), "kind"),
        status=_choice(StationStatus, params.get("status"), "status"),
        level=_choice(StationLevel, params.get("level"), "level"),
        within_id=_jurisdiction(params.get("jurisdiction")),
    )
    return GeoJSONResponse(await stations_collection(query, box, datum))


async def tickets_geojson(request: Request, call: Call) -> Response:
    visible = call.authorizer().visible_tickets()
    if visible is None:
        raise Forbidden("You may not read tickets.")
    params = request.query_params
    datum, box = _place(request)
    limit_text = params_.text(params.get("limit"), "limit", max_length=12)
    if limit_text and not limit_text.isdigit():
        raise params_.bad("limit", "must be a whole number")
    limit = page_size(int(limit_text) if limit_text else None, settings.max_rows_per_request)
    query = tickets.list_tickets(
        visible=visible,
        status=_choice(TicketStatus, params.get("status"), "status"),
        source=_choice(TicketSource, params.get("source"), "source"),
        within_id=_jurisdiction(params.get("jurisdiction")),
        station_id=await _by_code(Station, params.get("station"), "station"),
        category_id=await _by_code(TicketCategory, params.get("category"), "category"),
        department_id=await _by_code(Department, params.get("department"), "department"),
        registered_from=params_.moment(params.get("registered_from"), "registered_from"),
        registered_to=params_.moment(params.get("registered_to"), "registered_to"),
        overdue=_flag(params.get("overdue"), "overdue"),
        due_before=params_.moment(params.get("due_before"), "due_before"),
        escalated=_flag(params.get("escalated"), "escalated"),
    )
    after = params_.text(params.get("after"), "after", max_length=MAX_CURSOR) or None
    collection = await tickets_collection(query, box, datum, limit, after)
    response = GeoJSONResponse(collection)
    if collection["next"]:
        following = request.url.include_query_params(after=collection["next"])
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


routes = [
    route("/geo/stations.geojson", stations_geojson, GEO),
    route("/geo/tickets.geojson", tickets_geojson, GEO),
]
