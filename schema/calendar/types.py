"""The work calendar in GraphQL: days, years' schedules, office hours, previewed due times."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from schema.enums import CalendarDayKind
from server.enums import label_zh


@strawberry.type(description="A day on the work calendar (工作日历).")
class WorkCalendarDay:
    date: date
    kind: CalendarDayKind
    is_workday: bool = strawberry.field(
        description="True on weekdays without a holiday and on make-up workdays."
    )
    name: str | None = strawberry.field(
        description="The holiday's Chinese name, e.g. 国庆节 (or 国庆节调休)."
    )
    name_en: str | None
    published: bool = strawberry.field(
        description="False when the day's year has no published schedule: then it is the weekday rule "
        "only, and a holiday may be missing."
    )

    @strawberry.field
    def kind_label(self) -> str | None:
        return label_zh(self.kind)


@strawberry.type(description="A year's holiday schedule: published (imported or seeded) or missing.")
class WorkCalendarYear:
    year: int
    published: bool = strawberry.field(
        description="False: no schedule, so deadlines in this year count Monday to Friday as workdays."
    )
    source: str | None = strawberry.field(
        description="The notice it comes from, or the package that seeded it."
    )
    imported_at: datetime | None
    imported_by: str | None
    day_count: int = strawberry.field(description="Holidays and make-up workdays listed.")


@strawberry.type(description="A period of office hours, e.g. 08:30–12:00.")
class OfficePeriod:
    start: str = strawberry.field(description="HH:MM, city time")
    end: str = strawberry.field(description="HH:MM, city time")


@strawberry.type(
    description="The office hours on workdays in force in a jurisdiction; working hours count these."
)
class OfficeHours:
    periods: list[OfficePeriod]
    set_in: str | None = strawberry.field(
        description="The code of the jurisdiction whose setting applies (this one or a parent); null for "
        "the built-in default, 08:30–12:00 and 14:00–18:00."
    )


@strawberry.type(description="The due times a ticket of a category registered at a time would get.")
class TicketDueTimes:
    response_due: datetime
    resolution_due: datetime
    response_time_label: str = strawberry.field(description='e.g. "30分钟", "2工作小时"')
    resolution_time_label: str = strawberry.field(description='e.g. "3个工作日"')
    unpublished_years: list[int] = strawberry.field(
        description="Years the count crossed that have no published holiday schedule (weekends only were "
        "skipped there); empty when every year was known or the times are natural."
    )


@strawberry.input(description="A holiday or make-up workday of a year's schedule.")
class WorkCalendarDayInput:
    date: date
    kind: CalendarDayKind = strawberry.field(description="HOLIDAY or MAKEUP_WORKDAY")
    name: str = strawberry.field(description="Chinese name, e.g. 国庆节")
    name_en: str


@strawberry.input(description="A year's schedule as the State Council publishes it; replaces that year's.")
class WorkCalendarInput:
    year: int
    source: str = strawberry.field(description="The notice, e.g. 国务院办公厅关于2027年部分节假日安排的通知")
    days: list[WorkCalendarDayInput]


@strawberry.input(description="A period of office hours, HH:MM to HH:MM.")
class OfficePeriodInput:
    start: str
    end: str
