from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from schema.calendar.types import OfficeHours, OfficePeriod, TicketDueTimes, WorkCalendarDay, WorkCalendarYear
from schema.errors import as_graphql_error
from schema.ids import decode_id, decode_optional_id
from server.calendar import service as calendar
from server.errors import DomainError


def as_office_hours(found: tuple[calendar.Periods, str | None]) -> OfficeHours:
    periods, set_in = found
    return OfficeHours(
        periods=[OfficePeriod(start=f"{s:%H:%M}", end=f"{e:%H:%M}") for s, e in periods], set_in=set_in
    )


def as_year(status: calendar.YearStatus) -> WorkCalendarYear:
    return WorkCalendarYear(
        year=status.year,
        published=status.published,
        source=status.source,
        imported_at=status.imported_at,
        imported_by=status.imported_by,
        day_count=status.day_count,
    )


@strawberry.type
class CalendarQuery:
    @strawberry.field(
        description="Each day from `from` to `to` (both included, at most 366 days): workday or not, "
        "and the holiday's name. Needs reference:read (any signed-in staff)."
    )
    async def work_calendar(
        self,
        info: strawberry.Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> list[WorkCalendarDay]:
        try:
            days = await calendar.days_between(info.context.caller, from_, to)
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        return [
            WorkCalendarDay(
                date=d.day,
                kind=d.kind,
                is_workday=d.is_workday,
                name=d.name,
                name_en=d.name_en,
                published=d.published,
            )
            for d in days
        ]

    @strawberry.field(
        description="The years with a holiday schedule, and this year and next when they have none "
        "(then deadlines there count Monday to Friday only). Needs reference:read."
    )
    async def work_calendar_years(self, info: strawberry.Info) -> list[WorkCalendarYear]:
        try:
            statuses = await calendar.year_statuses(info.context.caller)
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        return [as_year(s) for s in statuses]

    @strawberry.field(
        description="The due times a ticket of this category registered at `registeredAt` would get (in "
        "`jurisdictionId`'s office hours; the city's when not given), for the desk form. Needs "
        "reference:read."
    )
    async def ticket_due_times(
        self,
        info: strawberry.Info,
        category_id: strawberry.ID,
        registered_at: datetime,
        jurisdiction_id: strawberry.ID | None = None,
    ) -> TicketDueTimes:
        try:
            due, category = await calendar.preview_due_times(
                info.context.caller,
                decode_id(category_id, "TicketCategory", "categoryId"),
                registered_at,
                decode_optional_id(jurisdiction_id, "Jurisdiction", "jurisdictionId"),
            )
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        response, resolution = calendar.category_times(category)
        return TicketDueTimes(
            response_due=due.response_due,
            resolution_due=due.resolution_due,
            response_time_label=calendar.describe(*response),
            resolution_time_label=calendar.describe(*resolution),
            unpublished_years=list(due.unpublished_years),
        )

    @strawberry.field(
        description="The office hours on workdays in a jurisdiction (the city's when not given). Needs "
        "reference:read."
    )
    async def office_hours(
        self, info: strawberry.Info, jurisdiction_id: strawberry.ID | None = None
    ) -> OfficeHours:
        try:
            found = await calendar.office_hours_of(
                info.context.caller, decode_optional_id(jurisdiction_id, "Jurisdiction", "jurisdictionId")
            )
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        return as_office_hours(found)
