from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from server.enums import (
    CloseReason,
    Rating,
    ResolutionMethod,
    ReturnVisitChannel,
    TicketSource,
    TicketStatus,
    TimeUnit,
)
from server.privacy.redaction import redact_json, redact_text

if TYPE_CHECKING:
    from server.geo.models import Jurisdiction
    from server.staff.models import Department, Staff
    from server.stations.models import Station


class TicketCategory(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=48, unique=True)
    name = fields.CharField(max_length=64, description="Chinese label, e.g. 占道经营")
    name_en = fields.CharField(max_length=100)
    # The nominal times in minutes, kept for older clients (responseMinutes, Open311); with a
    # working-time unit they are a length of office time, not the distance to the due time.
    response_minutes = fields.IntField(description="default time to first response")
    resolution_minutes = fields.IntField(description="default time to resolution")
    # The due times follow these: an amount in a unit, counted on the work calendar. Null (a row
    # written without them) means the minutes above, round the clock, as before the calendar.
    response_amount = fields.IntField(null=True)
    response_unit = fields.CharEnumField(TimeUnit, max_length=16, null=True)
    resolution_amount = fields.IntField(null=True)
    resolution_unit = fields.CharEnumField(TimeUnit, max_length=16, null=True)
    # Bureau staff change the times at the version they read (updateTicketCategoryTimes)
    version = fields.IntField(default=1, db_default=1)  # db_default: rows that exist get 1
    updated_at = fields.DatetimeField(null=True, description="when the times last changed (null: as loaded)")

    class Meta:
        table = "ticket_category"
        ordering = ("id",)


class Ticket(Model):
    """A citizen's ticket (工单). Reporter name and phone are personal data."""

    id = fields.BigIntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True, description="e.g. DG-20261126-000123")
    source = fields.CharEnumField(TicketSource, max_length=16)
    category: fields.ForeignKeyRelation[TicketCategory] = fields.ForeignKeyField(
        "lianxin.TicketCategory", related_name="tickets", on_delete=fields.RESTRICT
    )
    category_id: int
    description = fields.TextField()
    address = fields.CharField(max_length=300, default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="tickets", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    station: fields.ForeignKeyNullableRelation[Station] = fields.ForeignKeyField(
        "lianxin.Station", related_name="tickets", null=True, on_delete=fields.RESTRICT
    )
    station_id: int | None
    reporter_name = fields.CharField(max_length=64, default="")
    reporter_phone = fields.CharField(max_length=32, default="")
    registered_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "lianxin.Staff", related_name="registered_tickets", null=True, on_delete=fields.RESTRICT
    )
    registered_by_id: int | None
    assignee: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "lianxin.Staff", related_name="assigned_tickets", null=True, on_delete=fields.RESTRICT
    )
    assignee_id: int | None
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "lianxin.Department", related_name="tickets", null=True, on_delete=fields.RESTRICT
    )
    department_id: int | None
    department_status = fields.CharField(max_length=32, null=True)
    status = fields.CharEnumField(TicketStatus, max_length=16)
    resolution_method = fields.CharEnumField(ResolutionMethod, max_length=16, null=True)
    resolution_note = fields.TextField(default="")
    reject_reason = fields.TextField(default="")
    duplicate_of: fields.ForeignKeyNullableRelation[Ticket] = fields.ForeignKeyField(
        "lianxin.Ticket", related_name="duplicates", null=True, on_delete=fields.RESTRICT
    )
    duplicate_of_id: int | None
    citizen_satisfied = fields.BooleanField(null=True)
    citizen_feedback = fields.TextField(default="")
    close_reason = fields.CharEnumField(
        CloseReason, max_length=24, null=True, description="why it was closed after its return visits"
    )
    reopen_count = fields.SmallIntField(default=0)
    escalation_level = fields.SmallIntField(default=0, description="0 none, 1 town, 2 city")
    escalated_at = fields.DatetimeField(null=True)
    registered_at = fields.DatetimeField()
    dispatched_at = fields.DatetimeField(null=True)
    on_site_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    response_due = fields.DatetimeField()
    resolution_due = fields.DatetimeField()
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    anonymised_at = fields.DatetimeField(
        null=True, description="when the reporter's personal data was removed (retention or erasure)"
    )

    class Meta:
        table = "ticket"
        ordering = ("-registered_at", "-id")
        indexes = (
            ("jurisdiction_id", "registered_at"),
            ("status", "resolution_due"),
            # an area chief's queue: its town's tickets in one status, soonest due first
            ("status", "jurisdiction_id", "resolution_due"),
            ("station_id", "registered_at"),
            # keyset pages (server/paging.py) in the default order, all tickets or one status: a
            # page after a cursor is an index range, as cheap on page 2,000 as on page 1
            ("registered_at", "id"),
            ("status", "registered_at", "id"),
        )


class TicketCounter(Model):
    """Last ticket number issued per day: DG-YYYYMMDD-NNNNNN stays unique under concurrent intake
    because the increment is one UPDATE, serialised by the row lock inside the intake transaction."""

    day = fields.CharField(max_length=8, primary_key=True, description="YYYYMMDD")
    last_number = fields.IntField(default=0)

    class Meta:
        table = "ticket_counter"


class TicketEvent(Model):
    """History of a ticket. Appended in the transaction of the change, never updated.

    Never erased either: its comment and data are stored with phone and ID numbers masked (the
    caller masks the reporter's own name as well, see workflow_service)."""

    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "lianxin.Ticket", related_name="events", on_delete=fields.RESTRICT
    )
    ticket_id: int
    actor = fields.CharField(max_length=64)
    action = fields.CharField(max_length=48)
    from_status = fields.CharField(max_length=24, null=True)
    to_status = fields.CharField(max_length=24, null=True)
    comment = fields.TextField(default="")
    data: fields.JSONField[Any] = fields.JSONField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "ticket_event"
        ordering = ("id",)
        indexes = (("ticket_id", "id"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        self.comment = redact_text(self.comment)
        self.data = redact_json(self.data)
        await super().save(*args, **kwargs)


class ReturnVisit(Model):
    """One attempt to reach the citizen after the ticket was resolved (回访), reached or not.

    Appended in the transaction of the step it causes (close, reopen, or a further attempt), never
    updated. `round` is the ticket's reopen count at the visit: the attempts after each resolution
    are counted apart. The comment is stored with phone and ID numbers and the reporter's name
    masked, as history comments are: visits outlive the reporter's personal data."""

    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "lianxin.Ticket", related_name="return_visits", on_delete=fields.RESTRICT
    )
    ticket_id: int
    round = fields.SmallIntField(default=0)
    attempt = fields.SmallIntField(description="1, 2, … within its round")
    channel = fields.CharEnumField(
        ReturnVisitChannel, max_length=16, null=True, description="null: recorded as citizen feedback"
    )
    reached = fields.BooleanField()
    rating = fields.CharEnumField(Rating, max_length=24, null=True)
    comment = fields.TextField(default="")
    visited_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "lianxin.Staff", related_name="return_visits", null=True, on_delete=fields.RESTRICT
    )
    visited_by_id: int | None
    actor = fields.CharField(max_length=64)
    visited_at = fields.DatetimeField()

    class Meta:
        table = "return_visit"
        ordering = ("id",)
        indexes = (("ticket_id", "id"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        self.comment = redact_text(self.comment)
        await super().save(*args, **kwargs)
