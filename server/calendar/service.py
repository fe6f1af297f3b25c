"""The work calendar: which days are workdays, office hours, and time counted on them.

Monday to Friday are workdays unless a statutory holiday falls on them; a make-up workday (调休) is
a weekend day worked in exchange. The days that break the default rule are rows
(`WorkCalendarDay`), replaced a year at a time when an administrator imports the State Council's
schedule; a year without a schedule (`WorkCalendarYear`) counts Monday to Friday only, and
`unpublished_years_ahead()` says so for the start-up log, /readyz and the admin's view.

Others call `is_workday`, `next_workday`, `workday_on_or_after` and `add_work_time`. A year's days
and the office hours are cached in memory; an import or an office-hours change clears the cache of
the process that made it, and other processes reload within CACHE_SECONDS.
"""

from __future__ import annotations

import logging
import time as monotonic
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import clock
from server.audit.models import AuditEntry
from server.audit.service import record, snapshot
from server.authz.engine import CITY, engine
from server.calendar.models import OfficeHours, WorkCalendarDay, WorkCalendarYear
from server.caller import Caller
from server.enums import CalendarDayKind, TimeUnit
from server.errors import FieldProblem, NotFound, ValidationFailed
from server.geo.models import Jurisdiction
from server.validation import Problems

log = logging.getLogger("lianxin.calendar")

DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(18, 0)))
MAX_RANGE_DAYS = 366
MAX_PERIODS = 4
CACHE_SECONDS = 300.0
# A working-time count never walks further than this (a year has about 250 workdays).
MAX_WALK_DAYS = 3660
UNIT_LABELS = {
    TimeUnit.NATURAL_MINUTES: "分钟",
    TimeUnit.NATURAL_HOURS: "小时",
    TimeUnit.WORKING_HOURS: "工作小时",
    TimeUnit.WORKING_DAYS: "个工作日",
}
SPECIAL_KINDS = (CalendarDayKind.HOLIDAY, CalendarDayKind.MAKEUP_WORKDAY)

Periods = tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: CalendarDayKind
    name: str | None = None
    name_en: str | None = None
    published: bool = True  # False: the year has no schedule, so this is the weekday rule only

    @property
    def is_workday(self) -> bool:
        return self.kind in (CalendarDayKind.WORKDAY, CalendarDayKind.MAKEUP_WORKDAY)


@dataclass(frozen=True)
class _Year:
    published: bool
    special: dict[date, tuple[CalendarDayKind, str, str]]


@dataclass
class _Cache:
    years: dict[int, _Year] = field(default_factory=dict)
    # office hours by jurisdiction code; None until loaded
    office: dict[str, Periods] | None = None
    loaded_at: float = 0.0


_cache = _Cache()


def invalidate() -> None:
    """Forget the cached days and office hours (after an import or a change, and between tests)."""
    _cache.years.clear()
    _cache.office = None
    _cache.loaded_at = 0.0


def _fresh_cache() -> _Cache:
    if _cache.loaded_at and monotonic.monotonic() - _cache.loaded_at > CACHE_SECONDS:
        invalidate()
    if not _cache.loaded_at:
        _cache.loaded_at = monotonic.monotonic()
    return _cache


async def _year(year: int) -> _Year:
    cache = _fresh_cache()
    found = cache.years.get(year)
    if found is None:
        published = await WorkCalendarYear.exists(year=year)
        rows = await WorkCalendarDay.filter(year=year).values_list("day", "kind", "name", "name_en")
        found = _Year(
            published,
            {day: (CalendarDayKind(kind), name, name_en) for day, kind, name, name_en in rows},
        )
        cache.years[year] = found
    return found


# ---- days ---------------------------------------------------------------------------------------


async def day_info(day: date) -> CalendarDay:
    year = await _year(day.year)
    special = year.special.get(day)
    if special is not None:
        kind, name, name_en = special
        return CalendarDay(day, kind, name, name_en, year.published)
    kind = CalendarDayKind.WEEKEND if day.weekday() >= 5 else CalendarDayKind.WORKDAY
    return CalendarDay(day, kind, published=year.published)


async def is_workday(day: date) -> bool:
    return (await day_info(day)).is_workday


async def next_workday(day: date) -> date:
    """The first workday strictly after `day`."""
    for _ in range(MAX_WALK_DAYS):
        day += timedelta(days=1)
        if await is_workday(day):
            return day
    raise ValueError(f"no workday within {MAX_WALK_DAYS} days after {day}")


async def workday_on_or_after(day: date) -> date:
    """`day` when it is a workday, else the next one: a deadline that falls on a day off moves to the
    next working day."""
    return day if await is_workday(day) else await next_workday(day)


async def days_between(caller: Caller, start: date, end: date) -> list[CalendarDay]:
    """`workCalendar(from:, to:)`: each day of the range, both ends included. Any signed-in caller
    that reads reference data."""
    caller.authz.require_somewhere("reference", "read")
    problems = Problems()
    if end < start:
        problems.add("to", "must not be before from", "OUT_OF_RANGE")
    elif (end - start).days + 1 > MAX_RANGE_DAYS:
        problems.add("to", f"a range is at most {MAX_RANGE_DAYS} days", "OUT_OF_RANGE")
    if problems:
        raise ValidationFailed(problems=list(problems))
    return [await day_info(start + timedelta(days=n)) for n in range((end - start).days + 1)]


# ---- office hours -------------------------------------------------------------------------------


def _parse_periods(raw: Any) -> Periods:
    return tuple((time.fromisoformat(start), time.fromisoformat(end)) for start, end in raw)


async def _office_table() -> dict[str, Periods]:
    cache = _fresh_cache()
    if cache.office is None:
        rows = await OfficeHours.all().values_list("jurisdiction__code", "periods")
        cache.office = {code: _parse_periods(periods) for code, periods in rows}
    return cache.office


async def office_hours(jurisdiction_id: int | None) -> tuple[Periods, str | None]:
    """The office hours in force in a jurisdiction and the code of the jurisdiction that set them
    (its own, a parent's), or None for the built-in default 08:30–12:00 and 14:00–18:00."""
    table = await _office_table()
    if not table:
        return DEFAULT_OFFICE_HOURS, None
    code = CITY
    if jurisdiction_id is not None:
        found = await Jurisdiction.filter(id=jurisdiction_id).values_list("code", flat=True)
        if not found:
            raise NotFound("Jurisdiction", jurisdiction_id)
        code = str(found[0])
    parts = code.split("/")
    for depth in range(len(parts), 0, -1):
        prefix = "/".join(parts[:depth])
        if prefix in table:
            return table[prefix], prefix
    return DEFAULT_OFFICE_HOURS, None


def check_periods(raw: list[tuple[str, str]], problems: Problems, field_name: str = "periods") -> Periods:
    """Office periods given as "HH:MM" pairs: at least one, at most MAX_PERIODS, each start before its
    end, in order and not overlapping."""
    if not raw:
        problems.add(field_name, "give at least one period", "REQUIRED")
        return ()
    if len(raw) > MAX_PERIODS:
        problems.add(field_name, f"at most {MAX_PERIODS} periods a day", "TOO_MANY")
        return ()
    periods: list[tuple[time, time]] = []
    for index, (start, end) in enumerate(raw):
        try:
            start_at, end_at = time.fromisoformat(start), time.fromisoformat(end)
        except ValueError:
            problems.add(f"{field_name}.{index}", "times are HH:MM, e.g. 08:30", "INVALID")
            continue
        if start_at.second or end_at.second or start_at.microsecond or end_at.microsecond:
            problems.add(f"{field_name}.{index}", "times are whole minutes, HH:MM", "INVALID")
        elif start_at >= end_at:
            problems.add(f"{field_name}.{index}", "the start must be before the end", "OUT_OF_RANGE")
        elif periods and start_at < periods[-1][1]:
            problems.add(f"{field_name}.{index}", "periods are in order and do not overlap", "OUT_OF_RANGE")
        else:
            periods.append((start_at, end_at))
    return tuple(periods)


def _periods_json(periods: Periods) -> list[list[str]]:
    return [[start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end in periods]


async def set_office_hours(
    jurisdiction_id: int, periods: list[tuple[str, str]] | None, *, caller: Caller
) -> tuple[Periods, str | None]:
    """Set a jurisdiction's office hours, or with None go back to its parent's (the city's: the
    built-in default). Needs work_calendar:update in the city. Audited with before and after."""
    caller.authz.require("work_calendar", "update", engine.tree.id_by_code.get(CITY))
    place = await Jurisdiction.get_or_none(id=jurisdiction_id)
    if place is None:
        raise NotFound("Jurisdiction", jurisdiction_id)
    problems = Problems()
    checked = check_periods(periods, problems) if periods is not None else None
    if problems:
        raise ValidationFailed(problems=list(problems))
    try:
        await _write_office_hours(place.id, checked, caller)
    except IntegrityError:  # another change to the same place's hours committed first
        raise _concurrent(
            "jurisdictionId", "its office hours were set at the same moment; try again"
        ) from None
    invalidate()
    return await office_hours(place.id)


async def _write_office_hours(jurisdiction_id: int, checked: Periods | None, caller: Caller) -> None:
    now = clock.now()
    async with in_transaction():
        existing = await OfficeHours.filter(jurisdiction_id=jurisdiction_id).select_for_update().first()
        before = snapshot(existing)
        if checked is None:
            if existing is not None:
                await existing.delete()
                await _audit(caller, "office_hours.clear", "OfficeHours", str(existing.id), before, None)
        elif existing is None:
            row = await OfficeHours.create(
                jurisdiction_id=jurisdiction_id,
                periods=_periods_json(checked),
                updated_at=now,
                updated_by=caller.actor,
            )
            await record(caller, "office_hours.set", row)
        else:
            existing.periods = _periods_json(checked)
            existing.updated_at, existing.updated_by = now, caller.actor
            await existing.save()
            await record(caller, "office_hours.set", existing, before=before)


async def _audit(
    caller: Caller,
    operation: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await AuditEntry.create(
        actor=caller.actor,
        operation=operation,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        request_id=caller.request_id,
    )


# ---- time counted on the calendar ---------------------------------------------------------------


async def add_work_time(
    start: datetime, amount: int, unit: TimeUnit, *, jurisdiction_id: int | None = None
) -> datetime:
    """`start` plus `amount` of `unit`, counted on the calendar in city time:

    - NATURAL_MINUTES / NATURAL_HOURS: round the clock;
    - WORKING_HOURS: office minutes of workdays only (from `start`, or from the next office period
      when `start` is outside one);
    - WORKING_DAYS: the end of the office day of the `amount`-th workday after the day of `start`
      (registered Wednesday 30 September 2026, 3 working days: 8, 9 and 10 October, as 1–7 October
      is the National Day holiday and Saturday 10 October a make-up workday, so 18:00 on 10 October).
    """
    if amount < 0:
        raise ValueError("an amount of time is not negative")
    moment = clock.local(start)
    assert moment is not None  # noqa: S101 - start is given
    if unit == TimeUnit.NATURAL_MINUTES:
        return moment + timedelta(minutes=amount)
    if unit == TimeUnit.NATURAL_HOURS:
        return moment + timedelta(hours=amount)
    periods, _ = await office_hours(jurisdiction_id)
    if unit == TimeUnit.WORKING_DAYS:
        day = moment.date()
        for _ in range(amount):
            day = await next_workday(day)
        return datetime.combine(day, periods[-1][1], clock.CITY_TZ)
    remaining = timedelta(hours=amount)
    day = moment.date()
    for _ in range(MAX_WALK_DAYS):
        if await is_workday(day):
            for period_start, period_end in periods:
                begin = max(datetime.combine(day, period_start, clock.CITY_TZ), moment)
                end = datetime.combine(day, period_end, clock.CITY_TZ)
                if begin >= end:
                    continue
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
        day += timedelta(days=1)
    raise ValueError(f"{amount} working hours run past {MAX_WALK_DAYS} days")


@dataclass(frozen=True)
class DueTimes:
    response_due: datetime
    resolution_due: datetime
    # years the count crossed that have no published schedule (weekends only were skipped)
    unpublished_years: tuple[int, ...]


def category_times(category: Any) -> tuple[tuple[int, TimeUnit], tuple[int, TimeUnit]]:
    """A category's (amount, unit) for response and resolution. A row written without units (an
    older loader) counts its minutes round the clock, as before the calendar."""
    response = (
        (int(category.response_amount), TimeUnit(category.response_unit))
        if category.response_amount is not None and category.response_unit is not None
        else (int(category.response_minutes), TimeUnit.NATURAL_MINUTES)
    )
    resolution = (
        (int(category.resolution_amount), TimeUnit(category.resolution_unit))
        if category.resolution_amount is not None and category.resolution_unit is not None
        else (int(category.resolution_minutes), TimeUnit.NATURAL_MINUTES)
    )
    return response, resolution


async def due_times(
    category: Any, registered_at: datetime, *, jurisdiction_id: int | None = None
) -> DueTimes:
    """A ticket's due times from its category, counted from its registration."""
    (response_amount, response_unit), (resolution_amount, resolution_unit) = category_times(category)
    response = await add_work_time(
        registered_at, response_amount, response_unit, jurisdiction_id=jurisdiction_id
    )
    resolution = await add_work_time(
        registered_at, resolution_amount, resolution_unit, jurisdiction_id=jurisdiction_id
    )
    working = {response_unit, resolution_unit} & {TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS}
    unpublished: list[int] = []
    if working:
        first = clock.local_date(registered_at).year
        last = clock.local_date(max(response, resolution)).year
        unpublished = [y for y in range(first, last + 1) if not (await _year(y)).published]
    return DueTimes(response, resolution, tuple(unpublished))


async def preview_due_times(
    caller: Caller, category_id: int, registered_at: datetime, jurisdiction_id: int | None
) -> tuple[DueTimes, Any]:
    """`ticketDueTimes`: what a ticket of the category registered then (in the jurisdiction: its
    office hours) would be due, for the desk form; with the category."""
    from server.tickets.models import TicketCategory  # the tickets domain calls this module

    caller.authz.require_somewhere("reference", "read")
    category = await TicketCategory.get_or_none(id=category_id)
    if category is None:
        raise NotFound("TicketCategory", category_id)
    return await due_times(category, registered_at, jurisdiction_id=jurisdiction_id), category


async def office_hours_of(caller: Caller, jurisdiction_id: int | None) -> tuple[Periods, str | None]:
    """`officeHours`: for any caller that reads reference data."""
    caller.authz.require_somewhere("reference", "read")
    return await office_hours(jurisdiction_id)


def natural_time(minutes: int) -> tuple[int, TimeUnit]:
    """Minutes round the clock as an amount and unit: whole hours as hours (as migration 0013 did)."""
    if minutes % 60 == 0:
        return minutes // 60, TimeUnit.NATURAL_HOURS
    return minutes, TimeUnit.NATURAL_MINUTES


def natural_times(response_minutes: int, resolution_minutes: int) -> dict[str, Any]:
    """A category's unit columns for times given in minutes round the clock."""
    return unit_columns(*natural_time(response_minutes), *natural_time(resolution_minutes))


def unit_columns(
    response_amount: int, response_unit: TimeUnit, resolution_amount: int, resolution_unit: TimeUnit
) -> dict[str, Any]:
    """A category's unit columns."""
    return {
        "response_amount": response_amount,
        "response_unit": response_unit,
        "resolution_amount": resolution_amount,
        "resolution_unit": resolution_unit,
    }


UNIT_WORDS = {
    TimeUnit.NATURAL_MINUTES: "min",
    TimeUnit.NATURAL_HOURS: "h",
    TimeUnit.WORKING_HOURS: "working hours",
    TimeUnit.WORKING_DAYS: "working days",
}


def describe_en(amount: int, unit: TimeUnit) -> str:
    """e.g. "30 min", "3 working days"."""
    return f"{amount} {UNIT_WORDS[unit]}"


def describe(amount: int, unit: TimeUnit) -> str:
    """e.g. "3个工作日", "30分钟"."""
    return f"{amount}{UNIT_LABELS[unit]}"


# ---- years and their schedules ------------------------------------------------------------------


@dataclass(frozen=True)
class YearStatus:
    year: int
    published: bool
    source: str | None = None
    imported_at: datetime | None = None
    imported_by: str | None = None
    day_count: int = 0


async def unpublished_years_ahead() -> list[int]:
    """This year and next when they have no schedule: due times in them skip weekends only."""
    this_year = clock.today().year
    have = set(
        await WorkCalendarYear.filter(year__in=[this_year, this_year + 1]).values_list("year", flat=True)
    )
    return [y for y in (this_year, this_year + 1) if y not in have]


def unpublished_warning(years: list[int]) -> str:
    listed = ", ".join(str(y) for y in years)
    return (
        f"work calendar: no published holiday schedule for {listed}; deadlines there count Monday to "
        "Friday as workdays. Import the State Council's schedule (`lianxin calendar import FILE`)."
    )


async def year_statuses(caller: Caller) -> list[YearStatus]:
    """Every year with a schedule, and this year and next when they have none (the admin's view)."""
    caller.authz.require_somewhere("reference", "read")
    rows = await WorkCalendarYear.all().order_by("year")
    statuses = {
        row.year: YearStatus(row.year, True, row.source, row.imported_at, row.imported_by, row.day_count)
        for row in rows
    }
    for year in await unpublished_years_ahead():
        statuses[year] = YearStatus(year, False)
    return [statuses[y] for y in sorted(statuses)]


@dataclass(frozen=True)
class ScheduleDay:
    day: date
    kind: CalendarDayKind
    name: str
    name_en: str


@dataclass(frozen=True)
class Schedule:
    """A year's statutory holidays and make-up workdays, as the State Council publishes them."""

    year: int
    source: str
    days: tuple[ScheduleDay, ...]


def check_schedule(schedule: Schedule) -> Problems:
    problems = Problems()
    if not 2000 <= schedule.year <= 2200:
        problems.add("year", "a year between 2000 and 2200", "OUT_OF_RANGE")
    problems.text("source", schedule.source, max_length=300, required=True)
    if not schedule.days:
        problems.add("days", "a schedule names at least one holiday", "REQUIRED")
    seen: set[date] = set()
    for index, entry in enumerate(schedule.days):
        where = f"days.{index}"
        if entry.day.year != schedule.year:
            problems.add(f"{where}.date", f"{entry.day} is not in {schedule.year}", "OUT_OF_RANGE")
        if entry.day in seen:
            problems.add(f"{where}.date", f"{entry.day} is listed twice", "DUPLICATE")
        seen.add(entry.day)
        if entry.kind not in SPECIAL_KINDS:
            problems.add(f"{where}.kind", "HOLIDAY or MAKEUP_WORKDAY", "INVALID")
        elif entry.kind == CalendarDayKind.MAKEUP_WORKDAY and entry.day.weekday() < 5:
            problems.add(f"{where}.kind", f"{entry.day} is a weekday already, not a make-up day", "INVALID")
        problems.text(f"{where}.name", entry.name, max_length=64, required=True)
        problems.text(f"{where}.nameEn", entry.name_en, max_length=100, required=True)
    return problems


def _schedule_json(year: int, source: str | None, days: list[tuple[date, str, str, str]]) -> dict[str, Any]:
    return {
        "year": year,
        "source": source,
        "days": [
            {"date": day.isoformat(), "kind": kind, "name": name, "nameEn": name_en}
            for day, kind, name, name_en in sorted(days)
        ],
    }


async def import_schedule(schedule: Schedule, *, caller: Caller) -> WorkCalendarYear:
    """Put in (or replace) a year's schedule: validated whole, written in one transaction, audited
    with the schedule before and after. Needs work_calendar:update in the city."""
    caller.authz.require("work_calendar", "update", engine.tree.id_by_code.get(CITY))
    return await operator_import(schedule, caller=caller)


async def operator_import(schedule: Schedule, *, caller: Caller) -> WorkCalendarYear:
    """`lianxin calendar import FILE`: as import_schedule, for the operator (who has the database
    already), audited under the caller's name."""
    problems = check_schedule(schedule)
    if problems:
        raise ValidationFailed(problems=list(problems))
    try:
        row = await _write_schedule(schedule, actor=caller.actor, caller=caller)
    except IntegrityError:  # another import of the same new year committed first
        raise _concurrent(
            "year", "the year was imported by someone else at the same moment; try again"
        ) from None
    invalidate()
    return row


def _concurrent(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(problems=[FieldProblem(field_name, message, "CONCURRENT_CHANGE")])


async def _write_schedule(schedule: Schedule, *, actor: str, caller: Caller | None) -> WorkCalendarYear:
    async with in_transaction():
        old_year = await WorkCalendarYear.filter(year=schedule.year).select_for_update().first()
        old_days = await WorkCalendarDay.filter(year=schedule.year).values_list(
            "day", "kind", "name", "name_en"
        )
        await WorkCalendarDay.filter(year=schedule.year).delete()
        await WorkCalendarDay.bulk_create(
            [
                WorkCalendarDay(day=d.day, year=schedule.year, kind=d.kind, name=d.name, name_en=d.name_en)
                for d in schedule.days
            ]
        )
        row = old_year or WorkCalendarYear(year=schedule.year)
        row.source, row.imported_at, row.imported_by = schedule.source, clock.now(), actor
        row.day_count = len(schedule.days)
        await row.save(force_create=old_year is None)
        if caller is not None:
            await _audit(
                caller,
                "work_calendar.import",
                "WorkCalendarYear",
                str(schedule.year),
                _schedule_json(schedule.year, old_year.source, list(old_days)) if old_year else None,
                _schedule_json(
                    schedule.year,
                    schedule.source,
                    [(d.day, d.kind.value, d.name, d.name_en) for d in schedule.days],
                ),
            )
    return row


def parse_schedule(data: Any) -> Schedule:
    """A schedule file's JSON (see docs/domain.md, "The work calendar"):
    {"year": 2027, "source": "…", "days": [{"date": "2027-01-01", "kind": "HOLIDAY", "name": "元旦",
    "nameEn": "New Year's Day"}, …]}. Shape errors are ValidationFailed, like bad values."""
    problems = Problems()
    if not isinstance(data, dict):
        raise ValidationFailed(
            problems=[FieldProblem("file", "a JSON object with year, source, days", "INVALID")]
        )
    year, source, raw_days = data.get("year"), data.get("source"), data.get("days")
    if not isinstance(year, int) or isinstance(year, bool):
        problems.add("year", "a whole number, e.g. 2027", "INVALID")
    if not isinstance(source, str):
        problems.add("source", "the notice the schedule comes from", "REQUIRED")
    if not isinstance(raw_days, list):
        problems.add("days", "a list of days", "INVALID")
        raw_days = []
    days: list[ScheduleDay] = []
    for index, entry in enumerate(raw_days):
        where = f"days.{index}"
        if not isinstance(entry, dict):
            problems.add(where, "an object with date, kind, name, nameEn", "INVALID")
            continue
        try:
            day = date.fromisoformat(str(entry.get("date")))
        except ValueError:
            problems.add(f"{where}.date", "a date, YYYY-MM-DD", "INVALID")
            continue
        try:
            kind = CalendarDayKind(str(entry.get("kind")))
        except ValueError:
            problems.add(f"{where}.kind", "HOLIDAY or MAKEUP_WORKDAY", "INVALID")
            continue
        name, name_en = entry.get("name"), entry.get("nameEn")
        days.append(
            ScheduleDay(
                day, kind, name if isinstance(name, str) else "", name_en if isinstance(name_en, str) else ""
            )
        )
    if problems:
        raise ValidationFailed(problems=list(problems))
    assert isinstance(year, int) and isinstance(source, str)  # noqa: S101 - checked above
    return Schedule(year, source, tuple(days))


# ---- the schedules the chinese-calendar package knows -------------------------------------------


def package_schedules() -> list[Schedule]:
    """Every year the installed chinese-calendar release covers (2004–2026 in 1.11)."""
    import chinese_calendar
    from chinese_calendar import constants

    names = {h.value: (h.chinese, h.value) for h in constants.Holiday}
    by_year: dict[int, list[ScheduleDay]] = {}
    for day, holiday in constants.holidays.items():
        zh, en = names.get(holiday, (holiday, holiday))
        by_year.setdefault(day.year, []).append(ScheduleDay(day, CalendarDayKind.HOLIDAY, zh, en))
    for day, holiday in constants.workdays.items():
        zh, en = names.get(holiday, (holiday, holiday))
        by_year.setdefault(day.year, []).append(
            ScheduleDay(day, CalendarDayKind.MAKEUP_WORKDAY, f"{zh}调休", f"{en} (make-up workday)")
        )
    source = f"chinese-calendar {getattr(chinese_calendar, '__version__', '')}".strip()
    return [
        Schedule(year, source, tuple(sorted(days, key=lambda d: d.day)))
        for year, days in sorted(by_year.items())
    ]


async def seed_from_package(progress: Any = None) -> list[int]:
    """Put in each year the package covers that has no schedule yet; never replaces one. Run by
    `lianxin migrate` after the migrations, so a newer package release adds its new years."""
    have = set(await WorkCalendarYear.all().values_list("year", flat=True))
    added = []
    schedules = package_schedules()
    for schedule in schedules:
        if schedule.year in have:
            continue
        await _write_schedule(schedule, actor="system", caller=None)
        added.append(schedule.year)
    if added:
        invalidate()
        if progress is not None:
            progress(f"work calendar: schedules {added[0]}–{added[-1]} from {schedules[0].source}")
    return added
