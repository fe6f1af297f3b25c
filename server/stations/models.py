from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from server.enums import StationKind, StationLevel, StationStatus

if TYPE_CHECKING:
    from server.geo.models import Jurisdiction
    from server.proposals.models import Proposal


class Station(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(StationKind, max_length=32, db_index=True)
    level = fields.CharEnumField(StationLevel, max_length=32)
    status = fields.CharEnumField(StationStatus, max_length=32, db_index=True)
    # Sets of enum names kept as " A B " so that "has amenity X" is a portable LIKE '% X %'
    # on SQLite and PostgreSQL alike; there are hundreds of stations, not millions.
    functions = fields.CharField(max_length=500, default=" ")
    amenities = fields.CharField(max_length=500, default=" ")
    floor_area = fields.FloatField(description="square metres")
    rest_area = fields.FloatField(description="square metres, ≥ 60% of floor area for service stations")
    opening_hours = fields.CharField(max_length=200, default="")
    address = fields.CharField(max_length=300)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="stations", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    proposal: fields.ForeignKeyNullableRelation[Proposal] = fields.ForeignKeyField(
        "lianxin.Proposal", related_name="stations", null=True, on_delete=fields.SET_NULL
    )
    proposal_id: int | None
    planned_year = fields.IntField(null=True)
    opened_on = fields.DateField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "station"
        ordering = ("id",)


class StationTarget(Model):
    """A construction target kept as data: e.g. at least 200 more service stations in 2022."""

    id = fields.IntField(primary_key=True)
    year = fields.IntField()
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="station_targets", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    kind = fields.CharEnumField(StationKind, max_length=32)
    target = fields.IntField()
    note = fields.CharField(max_length=300, default="")

    class Meta:
        table = "station_target"
        unique_together = (("year", "jurisdiction", "kind"),)
