from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from server.enums import DepartmentKind, PostingRole

if TYPE_CHECKING:
    from server.geo.models import Jurisdiction
    from server.stations.models import Station


class Department(Model):
    """A unit: the congress standing committee, the bureau, a town government, an 'N' department."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=100)
    name_en = fields.CharField(max_length=200)
    kind = fields.CharEnumField(DepartmentKind, max_length=24)
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="departments", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int

    class Meta:
        table = "department"
        ordering = ("code",)


class Staff(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    title = fields.CharField(max_length=100, default="")
    work_phone = fields.CharField(max_length=32, default="")
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "lianxin.Department", related_name="staff", null=True, on_delete=fields.RESTRICT
    )
    department_id: int | None
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="staff", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "staff"
        ordering = ("id",)


class Posting(Model):
    """A staff member posted to a patch (jurisdiction) and usually a station, in one role."""

    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "lianxin.Staff", related_name="postings", on_delete=fields.RESTRICT
    )
    staff_id: int
    station: fields.ForeignKeyNullableRelation[Station] = fields.ForeignKeyField(
        "lianxin.Station", related_name="postings", null=True, on_delete=fields.RESTRICT
    )
    station_id: int | None
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="postings", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    role = fields.CharEnumField(PostingRole, max_length=24)
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "lianxin.Department", related_name="postings", null=True, on_delete=fields.RESTRICT
    )
    department_id: int | None
    started_on = fields.DateField()
    ended_on = fields.DateField(null=True)
    note = fields.CharField(max_length=500, default="")
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "posting"
        ordering = ("id",)
