"""The work calendar as data: the days that differ from Monday-to-Friday, each year's published
schedule, and office hours per jurisdiction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from server.enums import CalendarDayKind

if TYPE_CHECKING:
    from server.geo.models import Jurisdiction


class WorkCalendarDay(Model):
    """A day that breaks the default rule (Monday to Friday are workdays): a statutory holiday or a
    make-up workday (调休). Days of a year are replaced together when its schedule is imported."""

    id = fields.IntField(primary_key=True)
    day = fields.DateField(unique=True)
    year = fields.SmallIntField(db_index=True)
    kind = fields.CharEnumField(CalendarDayKind, max_length=16, description="HOLIDAY or MAKEUP_WORKDAY")
    name = fields.CharField(max_length=64, description="Chinese name, e.g. 国庆节")
    name_en = fields.CharField(max_length=100)

    class Meta:
        table = "work_calendar_day"
        ordering = ("day",)


class WorkCalendarYear(Model):
    """A year whose schedule is known (published by the State Council, imported or seeded). A year
    without a row counts Monday to Friday as workdays, and the system says so."""

    id = fields.IntField(primary_key=True)
    year = fields.SmallIntField(unique=True)
    source = fields.CharField(max_length=300, description="e.g. 国务院办公厅关于2027年部分节假日安排的通知")
    imported_at = fields.DatetimeField()
    imported_by = fields.CharField(max_length=64)
    day_count = fields.SmallIntField(default=0)

    class Meta:
        table = "work_calendar_year"
        ordering = ("year",)


class OfficeHours(Model):
    """A jurisdiction's office hours on workdays, e.g. [["08:30", "12:00"], ["14:00", "18:00"]].
    A town or community without a row keeps its parent's; the city's default is in the service."""

    id = fields.IntField(primary_key=True)
    jurisdiction: fields.OneToOneRelation[Jurisdiction] = fields.OneToOneField(
        "lianxin.Jurisdiction", related_name="office_hours", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    periods: fields.JSONField[Any] = fields.JSONField(description='[["08:30", "12:00"], ...], in order')
    updated_at = fields.DatetimeField()
    updated_by = fields.CharField(max_length=64)

    class Meta:
        table = "office_hours"
