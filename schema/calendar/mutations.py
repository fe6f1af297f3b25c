from __future__ import annotations

from typing import Annotated

import strawberry

from schema.calendar.queries import as_office_hours, as_year
from schema.calendar.types import OfficeHours, OfficePeriodInput, WorkCalendarInput, WorkCalendarYear
from schema.errors import ForbiddenError, NotFoundError, ValidationError, error_member
from schema.ids import decode_id
from server.calendar import service as calendar
from server.errors import DomainError

ImportWorkCalendarResult = Annotated[
    WorkCalendarYear | ValidationError | ForbiddenError, strawberry.union("ImportWorkCalendarResult")
]
SetOfficeHoursResult = Annotated[
    OfficeHours | ValidationError | NotFoundError | ForbiddenError, strawberry.union("SetOfficeHoursResult")
]


@strawberry.type
class CalendarMutation:
    @strawberry.mutation(
        description="Put in a year's holiday schedule as the State Council published it, replacing the "
        "year's schedule if it had one: every day inside the year, each named, make-up workdays on "
        "weekends; all or nothing, audited with the schedule before and after. Needs "
        "work_calendar:update."
    )
    async def import_work_calendar(
        self, info: strawberry.Info, input: WorkCalendarInput
    ) -> ImportWorkCalendarResult:
        schedule = calendar.Schedule(
            year=input.year,
            source=input.source,
            days=tuple(calendar.ScheduleDay(d.date, d.kind, d.name, d.name_en) for d in input.days),
        )
        try:
            await calendar.import_schedule(schedule, caller=info.context.caller)
            statuses = await calendar.year_statuses(info.context.caller)
        except DomainError as exc:
            return error_member(exc)
        return as_year(next(s for s in statuses if s.year == input.year))

    @strawberry.mutation(
        description="Set a jurisdiction's office hours on workdays (HH:MM periods, in order, at most 4), "
        "or with periods null go back to its parent's (the city's default: 08:30–12:00, 14:00–18:00). "
        "Towns and communities without their own keep their parent's. Audited. Needs "
        "work_calendar:update."
    )
    async def set_office_hours(
        self,
        info: strawberry.Info,
        jurisdiction_id: strawberry.ID,
        periods: list[OfficePeriodInput] | None,
    ) -> SetOfficeHoursResult:
        try:
            found = await calendar.set_office_hours(
                decode_id(jurisdiction_id, "Jurisdiction", "jurisdictionId"),
                [(p.start, p.end) for p in periods] if periods is not None else None,
                caller=info.context.caller,
            )
        except DomainError as exc:
            return error_member(exc)
        return as_office_hours(found)
