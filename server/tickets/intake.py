"""Intake at the station desk (and from the hotline, patrols, departments): validation, where the
ticket lies, its number, its due times, and open tickets that may be the same problem."""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from server import clock
from server.calendar import service as calendar
from server.enums import JurisdictionLevel, TicketSource
from server.errors import FieldProblem, NotFound, ValidationFailed
from server.geo.models import Jurisdiction
from server.stations.models import Station
from server.tickets.models import Ticket, TicketCategory, TicketCounter
from server.tickets.workflow import OPEN
from server.validation import Problems

MAX_DESCRIPTION = 2000
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")


@dataclass
class Intake:
    source: TicketSource
    category_id: int
    description: str
    reporter_name: str = ""
    reporter_phone: str = ""
    station_id: int | None = None
    jurisdiction_id: int | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    response_due: datetime | None = None
    resolution_due: datetime | None = None


def check(intake: Intake) -> Problems:
    problems = Problems()
    problems.text("description", intake.description, max_length=MAX_DESCRIPTION, required=True)
    problems.text("address", intake.address, max_length=300)
    problems.text("reporterName", intake.reporter_name, max_length=64)
    if intake.reporter_phone and not PHONE.match(intake.reporter_phone):
        problems.add("reporterPhone", "digits, spaces, '-' and a leading '+' only, 5 to 20 long", "INVALID")
    problems.coordinates("latitude", intake.latitude, "longitude", intake.longitude)
    if intake.station_id is None and intake.jurisdiction_id is None and intake.latitude is None:
        problems.add("stationId", "say where: a station, a community, or coordinates", "REQUIRED")
    if intake.source == TicketSource.WALK_IN and intake.station_id is None:
        problems.add("stationId", "a walk-in ticket is taken at a station", "REQUIRED")
    return problems


async def locate(intake: Intake) -> tuple[int, Station | None]:
    """The community the ticket lies in: the station's, the one given, or the nearest station's."""
    station = None
    if intake.station_id is not None:
        station = await Station.get_or_none(id=intake.station_id)
        if station is None:
            raise NotFound("Station", intake.station_id)
    if intake.jurisdiction_id is not None:
        place = await Jurisdiction.get_or_none(id=intake.jurisdiction_id)
        if place is None:
            raise NotFound("Jurisdiction", intake.jurisdiction_id)
        if place.level != JurisdictionLevel.COMMUNITY:
            raise ValidationFailed(
                problems=[FieldProblem("jurisdictionId", "a ticket lies in a village or community", "LEVEL")]
            )
        if station is not None and station.jurisdiction_id != place.id:
            raise ValidationFailed(
                problems=[FieldProblem("jurisdictionId", "the station is in another community", "MISMATCH")]
            )
        return place.id, station
    if station is not None:
        return station.jurisdiction_id, station
    if intake.latitude is None or intake.longitude is None:
        # check() refuses such an intake already; locate() does not rely on having been preceded by it.
        raise ValidationFailed(
            problems=[
                FieldProblem("stationId", "say where: a station, a community, or coordinates", "REQUIRED")
            ]
        )
    nearest = await nearest_station(intake.latitude, intake.longitude)
    if nearest is None:
        raise ValidationFailed(
            problems=[FieldProblem("latitude", "no station near enough to place it; name the community", "")]
        )
    return nearest.jurisdiction_id, None


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    earth_radius_m = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    half_chord = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * earth_radius_m * math.asin(math.sqrt(half_chord))


async def nearest_station(lat: float, lon: float, max_metres: float = 3000.0) -> Station | None:
    box = max_metres / 111_000
    candidates = await Station.filter(
        latitude__gte=lat - box,
        latitude__lte=lat + box,
        longitude__gte=lon - box * 1.1,
        longitude__lte=lon + box * 1.1,
    )
    scored = [
        (metres(lat, lon, s.latitude, s.longitude), s)
        for s in candidates
        if s.latitude is not None and s.longitude is not None
    ]
    scored = [pair for pair in scored if pair[0] <= max_metres]
    return min(scored, key=lambda pair: pair[0])[1] if scored else None


async def prepare_number(day: datetime) -> str:
    """Make sure the day's counter row exists. Call before the intake transaction."""
    key = f"{day:%Y%m%d}"
    await _ensure_counter(key)
    return key


async def next_number(key: str) -> str:
    """DG-YYYYMMDD-NNNNNN. Call inside the intake transaction: the UPDATE holds the counter row's
    lock until commit, so concurrent intakes take turns and never share a number."""
    await TicketCounter.filter(day=key).update(last_number=F("last_number") + 1)
    rows = await TicketCounter.filter(day=key).values("last_number")
    return f"DG-{key}-{int(rows[0]['last_number']):06d}"


async def _ensure_counter(key: str) -> None:
    if await TicketCounter.exists(day=key):
        return
    # Start after any number already used that day (demo data, imports).
    used = (
        await Ticket.filter(number__startswith=f"DG-{key}-")
        .order_by("-number")
        .first()
        .values_list("number", flat=True)
    )
    start = int(str(used).rsplit("-", 1)[1]) if used else 0
    with contextlib.suppress(IntegrityError):  # another intake created it first
        await TicketCounter.create(day=key, last_number=start)


async def due_times(
    category: TicketCategory, registered: datetime, intake: Intake, jurisdiction_id: int
) -> tuple[datetime, datetime]:
    """The category's times counted on the work calendar in the ticket's jurisdiction (its office
    hours), unless the intake sets earlier ones."""
    due = await calendar.due_times(category, registered, jurisdiction_id=jurisdiction_id)
    response = intake.response_due or due.response_due
    resolution = intake.resolution_due or due.resolution_due
    problems = Problems()
    if response <= registered:
        problems.add("responseDue", "must be after the registration time", "OUT_OF_RANGE")
    if resolution <= registered:
        problems.add("resolutionDue", "must be after the registration time", "OUT_OF_RANGE")
    if resolution < response:
        problems.add("resolutionDue", "cannot be before the response is due", "OUT_OF_RANGE")
    if problems:
        raise ValidationFailed(problems=list(problems))
    return response, resolution


async def possible_duplicates(
    *,
    category_id: int,
    latitude: float | None,
    longitude: float | None,
    station_id: int | None,
    visible: Q,
    within_metres: float = 300.0,
    within_hours: float = 72.0,
    exclude_id: int | None = None,
    now: datetime | None = None,
) -> list[Ticket]:
    """Open tickets of the same category, registered lately, near the same place."""
    since = (now or clock.now()) - timedelta(hours=within_hours)
    query = Ticket.filter(visible, category_id=category_id, status__in=list(OPEN), registered_at__gte=since)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if latitude is not None and longitude is not None:
        box = within_metres / 111_000
        near = Q(
            latitude__gte=latitude - box,
            latitude__lte=latitude + box,
            longitude__gte=longitude - box * 1.1,
            longitude__lte=longitude + box * 1.1,
        )
        candidates = await query.filter(near | Q(station_id=station_id) if station_id else near).limit(200)
        return [
            t
            for t in candidates
            if (t.station_id is not None and t.station_id == station_id)
            or (
                t.latitude is not None
                and t.longitude is not None
                and metres(latitude, longitude, t.latitude, t.longitude) <= within_metres
            )
        ][:20]
    if station_id is not None:
        return list(await query.filter(station_id=station_id).limit(20))
    return []
