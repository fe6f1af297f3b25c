"""Stations: listing, the floor-area rules and the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from server.audit.service import record
from server.authz.authorizer import Authorizer
from server.caller import Caller
from server.enums import Amenity, StationFunction, StationKind, StationLevel, StationStatus
from server.errors import NotFound, ValidationFailed
from server.geo.models import Jurisdiction
from server.geo.service import within
from server.proposals import access as proposal_access
from server.proposals.models import Proposal
from server.stations.models import Station
from server.validation import Problems
from server.workflow_step import load_visible, take_step

# Rule from the programme: at least 60% of a service station's floor area is rest area.
MIN_REST_SHARE = 0.6
MAX_AREA = 100_000.0

# The lifecycle as data: from-status → statuses it may move to.
STATION_TRANSITIONS: dict[StationStatus, frozenset[StationStatus]] = {
    StationStatus.PLANNED: frozenset({StationStatus.UNDER_CONSTRUCTION, StationStatus.CLOSED}),
    StationStatus.UNDER_CONSTRUCTION: frozenset({StationStatus.OPERATING, StationStatus.CLOSED}),
    StationStatus.OPERATING: frozenset({StationStatus.SUSPENDED, StationStatus.CLOSED}),
    StationStatus.SUSPENDED: frozenset({StationStatus.OPERATING, StationStatus.CLOSED}),
    StationStatus.CLOSED: frozenset(),
}

ORDERINGS = {
    "ID_ASC": ("id",),
    "ID_DESC": ("-id",),
    "NAME_ASC": ("name", "id"),
    "NAME_DESC": ("-name", "-id"),
    "OPENED_ON_ASC": ("opened_on", "id"),
    "OPENED_ON_DESC": ("-opened_on", "-id"),
    "FLOOR_AREA_DESC": ("-floor_area", "id"),
}


def tokens(values: list[Any] | tuple[Any, ...] | set[Any] | None) -> str:
    """Set of enum names as ' A B ' (see Station.functions)."""
    names = sorted({str(getattr(v, "value", v)) for v in values or ()})
    return " " + " ".join(names) + " " if names else " "


def list_stations(
    *,
    visible: Q,
    kind: str | None = None,
    status: str | None = None,
    level: str | None = None,
    within_id: int | None = None,
    amenity: str | None = None,
    function: str | None = None,
    search: str | None = None,
    proposal_id: int | None = None,
    order: str = "ID_ASC",
) -> QuerySet[Station]:
    query = Station.filter(visible)
    if kind is not None:
        query = query.filter(kind=kind)
    if status is not None:
        query = query.filter(status=status)
    if level is not None:
        query = query.filter(level=level)
    if within_id is not None:
        query = query.filter(within("jurisdiction", within_id))
    if amenity is not None:
        query = query.filter(amenities__contains=f" {amenity} ")
    if function is not None:
        query = query.filter(functions__contains=f" {function} ")
    if search:
        query = query.filter(Q(name__icontains=search) | Q(address__icontains=search))
    if proposal_id is not None:
        query = query.filter(proposal_id=proposal_id)
    return query.order_by(*ORDERINGS[order])


@dataclass
class StationData:
    """Input for create (all required fields) or update (only the fields given)."""

    code: str | None = None
    name: str | None = None
    kind: StationKind | None = None
    level: StationLevel | None = None
    status: StationStatus | None = None
    functions: list[StationFunction] | None = None
    amenities: list[Amenity] | None = None
    floor_area: float | None = None
    rest_area: float | None = None
    opening_hours: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    jurisdiction_id: int | None = None
    proposal_id: int | None = None
    planned_year: int | None = None
    opened_on: date | None = None

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


REQUIRED_ON_CREATE = (
    "code",
    "name",
    "kind",
    "level",
    "floor_area",
    "rest_area",
    "address",
    "jurisdiction_id",
)


def _check(values: dict[str, Any], problems: Problems) -> None:
    # Absent fields are checked by the caller (required on create, unchanged on update);
    # a field that is given must not be blank.
    for name, field, limit in (("code", "code", 64), ("name", "name", 100), ("address", "address", 300)):
        value = values.get(name)
        problems.text(field, value, max_length=limit, required=value is not None)
    problems.text("openingHours", values.get("opening_hours"), max_length=200)
    floor, rest = values.get("floor_area"), values.get("rest_area")
    if floor is not None and not 0 < floor <= MAX_AREA:
        problems.add("floorArea", f"must be greater than 0 and at most {MAX_AREA:g} m²", "OUT_OF_RANGE")
    if rest is not None and not 0 <= rest <= MAX_AREA:
        problems.add("restArea", f"must be between 0 and {MAX_AREA:g} m²", "OUT_OF_RANGE")
    if floor is not None and rest is not None and floor > 0 and rest >= 0:
        if rest > floor:
            problems.add("restArea", "cannot exceed the floor area", "OUT_OF_RANGE")
        elif values.get("kind") == StationKind.SERVICE_STATION and rest < MIN_REST_SHARE * floor - 1e-9:
            problems.add(
                "restArea",
                f"a service station's rest area must be at least 60% of its floor area "
                f"(驿站休息区面积不少于总面积的60%): {rest:g} of {floor:g} m² is "
                f"{rest / floor:.0%}, need at least {MIN_REST_SHARE * floor:g} m²",
                "REST_AREA_BELOW_60_PERCENT",
            )
    problems.coordinates("latitude", values.get("latitude"), "longitude", values.get("longitude"))
    year = values.get("planned_year")
    if year is not None and not 2000 <= year <= 2100:
        problems.add("plannedYear", "must be a year between 2000 and 2100", "OUT_OF_RANGE")


async def _check_references(values: dict[str, Any], authz: Authorizer) -> None:
    jid = values.get("jurisdiction_id")
    if jid is not None and not await Jurisdiction.exists(id=jid):
        raise NotFound("Jurisdiction", jid)
    pid = values.get("proposal_id")
    if pid is not None:
        # The proposal a station is credited to must be one the caller may read: a draft is its
        # author's alone, and linking to it would confirm it exists.
        proposal = await Proposal.get_or_none(id=pid)
        if proposal is None or not proposal_access.may_read(authz, proposal):
            raise NotFound("Proposal", pid)


async def create_station(data: StationData, *, caller: Caller) -> Station:
    authz = caller.authz
    values = data.given()
    values.setdefault("status", StationStatus.PLANNED)
    problems = Problems()
    for name in REQUIRED_ON_CREATE:
        if values.get(name) is None:
            problems.add(_camel(name), "is required", "REQUIRED")
    _check(values, problems)
    if not problems and await Station.exists(code=values["code"]):
        problems.add("code", f"a station with code {values['code']!r} already exists", "DUPLICATE")
    if problems:
        raise ValidationFailed(problems=list(problems))
    await _check_references(values, authz)
    authz.require("station", "create", values["jurisdiction_id"])
    values["functions"] = tokens(values.get("functions"))
    values["amenities"] = tokens(values.get("amenities"))
    async with in_transaction() as conn:
        station = await Station.create(**values, using_db=conn)
        await record(caller, "createStation", station, using=conn)
    return station


async def update_station(
    station_id: int,
    version: int,
    data: StationData,
    *,
    caller: Caller,
) -> Station:
    authz = caller.authz
    station = await load_visible(
        Station, station_id, lambda s: authz.can("station", "read", s.jurisdiction_id)
    )
    authz.require("station", "update", station.jurisdiction_id)
    changes = data.given()
    merged = {
        "kind": station.kind,
        "floor_area": station.floor_area,
        "rest_area": station.rest_area,
        "latitude": station.latitude,
        "longitude": station.longitude,
        **changes,
    }
    problems = Problems()
    _check(
        merged
        | {"code": changes.get("code"), "name": changes.get("name"), "address": changes.get("address")},
        problems,
    )
    new_status = changes.get("status")
    if new_status is not None and new_status != station.status:
        allowed = STATION_TRANSITIONS[station.status]
        if new_status not in allowed:
            names = ", ".join(sorted(s.value for s in allowed)) or "none (it is closed)"
            problems.add(
                "status",
                f"a station cannot go from {station.status.value} to {new_status.value}; allowed: {names}",
                "FORBIDDEN_TRANSITION",
            )
    if "code" in changes and changes["code"] != station.code and await Station.exists(code=changes["code"]):
        problems.add("code", f"a station with code {changes['code']!r} already exists", "DUPLICATE")
    if problems:
        raise ValidationFailed(problems=list(problems))
    await _check_references(changes, authz)
    if "jurisdiction_id" in changes:
        authz.require("station", "update", changes["jurisdiction_id"])
    if "functions" in changes:
        changes["functions"] = tokens(changes["functions"])
    if "amenities" in changes:
        changes["amenities"] = tokens(changes["amenities"])
    return await take_step(station, version, caller, operation="updateStation", changes=changes)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
