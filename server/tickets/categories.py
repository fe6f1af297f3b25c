"""Changing a ticket category's response and resolution times (bureau staff: ticket_category
update). A change applies to tickets registered after it: a ticket's due times were fixed when it
was registered. Each change takes the category's version and is audited (before and after)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from server.audit.service import record, snapshot
from server.authz.engine import CITY
from server.calendar.service import DEFAULT_OFFICE_HOURS, category_times, unit_columns
from server.caller import Caller
from server.enums import TimeUnit
from server.errors import FieldProblem, NotFound, ValidationFailed
from server.tickets.models import TicketCategory
from server.versioning import update_at_version

MAX_AMOUNT = 1000
# A working day's length for the nominal minutes older clients read (responseMinutes): the
# default office hours', 7.5 hours.
OFFICE_DAY_MINUTES = sum(
    (end.hour * 60 + end.minute) - (begin.hour * 60 + begin.minute) for begin, end in DEFAULT_OFFICE_HOURS
)
MINUTES_PER = {
    TimeUnit.NATURAL_MINUTES: 1,
    TimeUnit.NATURAL_HOURS: 60,
    TimeUnit.WORKING_HOURS: 60,
    TimeUnit.WORKING_DAYS: OFFICE_DAY_MINUTES,
}


@dataclass(frozen=True)
class WorkTime:
    amount: int
    unit: TimeUnit


def nominal_minutes(time: WorkTime) -> int:
    """The length older clients read in minutes: round the clock, or office time."""
    return time.amount * MINUTES_PER[time.unit]


async def update_category_times(
    category_id: int,
    version: int,
    response: WorkTime | None,
    resolution: WorkTime | None,
    *,
    caller: Caller,
) -> TicketCategory:
    """Set a category's response and/or resolution time, at the version the caller read."""
    caller.authz.require("ticket_category", "update", caller.authz.engine.tree.id_by_code.get(CITY))
    category = await TicketCategory.get_or_none(id=category_id)
    if category is None:
        raise NotFound("TicketCategory", category_id)
    if response is None and resolution is None:
        raise ValidationFailed(
            problems=[FieldProblem("response", "nothing to change: give response or resolution", "REQUIRED")]
        )
    (old_response, old_response_unit), (old_resolution, old_resolution_unit) = category_times(category)
    response = response or WorkTime(old_response, old_response_unit)
    resolution = resolution or WorkTime(old_resolution, old_resolution_unit)
    problems: list[FieldProblem] = []
    for name, time in (("response", response), ("resolution", resolution)):
        if not 1 <= time.amount <= MAX_AMOUNT:
            problems.append(FieldProblem(f"{name}.amount", f"between 1 and {MAX_AMOUNT}", "OUT_OF_RANGE"))
    if not problems and nominal_minutes(response) > nominal_minutes(resolution):
        problems.append(
            FieldProblem("response", "the response cannot take longer than the resolution", "INVALID")
        )
    if problems:
        raise ValidationFailed(problems=problems)
    changes = {
        **unit_columns(response.amount, response.unit, resolution.amount, resolution.unit),
        "response_minutes": nominal_minutes(response),
        "resolution_minutes": nominal_minutes(resolution),
    }
    before = snapshot(category)
    async with in_transaction() as conn:
        fresh = await update_at_version(TicketCategory, category.id, version, changes, using=conn)
        await record(caller, "ticket_category.update", fresh, before=before, using=conn)
    return fresh
