"""Departments, staff and their postings at stations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from server.audit.service import record
from server.caller import Caller
from server.enums import PostingRole
from server.errors import FieldProblem, NotFound, ValidationFailed
from server.geo.models import Jurisdiction
from server.geo.service import within
from server.staff.models import Department, Posting, Staff
from server.stations.models import Station
from server.validation import Problems
from server.workflow_step import load_visible, take_step


def list_departments(*, kind: str | None = None, search: str | None = None) -> QuerySet[Department]:
    query = Department.all()
    if kind is not None:
        query = query.filter(kind=kind)
    if search:
        query = query.filter(Q(name__icontains=search) | Q(name_en__icontains=search))
    return query


def list_staff(
    *, visible: Q, within_id: int | None = None, department_id: int | None = None, search: str | None = None
) -> QuerySet[Staff]:
    query = Staff.filter(visible)
    if within_id is not None:
        query = query.filter(within("jurisdiction", within_id))
    if department_id is not None:
        query = query.filter(department_id=department_id)
    if search:
        query = query.filter(Q(name__icontains=search) | Q(title__icontains=search))
    return query


@dataclass
class PostingData:
    staff_id: int
    role: PostingRole
    started_on: date
    station_id: int | None = None
    jurisdiction_id: int | None = None
    department_id: int | None = None
    note: str = ""


async def create_posting(data: PostingData, *, caller: Caller) -> Posting:
    authz = caller.authz
    problems = Problems()
    problems.text("note", data.note, max_length=500)
    if data.station_id is None and data.jurisdiction_id is None:
        problems.add("stationId", "give a station, a jurisdiction (patch), or both", "REQUIRED")
    if data.role == PostingRole.DEPARTMENT_LIAISON and data.department_id is None:
        problems.add("departmentId", "a department liaison names its department", "REQUIRED")
    if problems:
        raise ValidationFailed(problems=list(problems))
    staff = await Staff.get_or_none(id=data.staff_id)
    if staff is None or not authz.can("staff", "read", staff.jurisdiction_id):
        raise NotFound("Staff", data.staff_id)
    station = None
    if data.station_id is not None:
        station = await Station.get_or_none(id=data.station_id)
        if station is None or not authz.can("station", "read", station.jurisdiction_id):
            raise NotFound("Station", data.station_id)
    jurisdiction_id = data.jurisdiction_id
    if jurisdiction_id is not None:
        patch = await Jurisdiction.get_or_none(id=jurisdiction_id)
        if patch is None:
            raise NotFound("Jurisdiction", jurisdiction_id)
        if station is not None:
            rows = await Jurisdiction.filter(id=station.jurisdiction_id).values("code")
            station_code = str(rows[0]["code"]) if rows else ""
            if not (station_code == patch.code or station_code.startswith(patch.code + "/")):
                raise ValidationFailed(
                    problems=[
                        FieldProblem(
                            "jurisdictionId", "the station lies outside this patch", "OUTSIDE_JURISDICTION"
                        )
                    ]
                )
    elif station is not None:
        jurisdiction_id = station.jurisdiction_id
    if data.department_id is not None and not await Department.exists(id=data.department_id):
        raise NotFound("Department", data.department_id)
    authz.require("posting", "create", jurisdiction_id)
    async with in_transaction() as conn:
        posting = await Posting.create(
            staff_id=staff.id,
            station_id=data.station_id,
            jurisdiction_id=jurisdiction_id,
            role=data.role,
            department_id=data.department_id,
            started_on=data.started_on,
            note=data.note,
            using_db=conn,
        )
        await record(caller, "createPosting", posting, using=conn)
    return posting


async def update_posting(
    posting_id: int,
    version: int,
    *,
    ended_on: date | None = None,
    note: str | None = None,
    role: PostingRole | None = None,
    caller: Caller,
) -> Posting:
    authz = caller.authz
    posting = await load_visible(
        Posting, posting_id, lambda p: authz.can("posting", "read", p.jurisdiction_id)
    )
    authz.require("posting", "update", posting.jurisdiction_id)
    problems = Problems()
    problems.text("note", note, max_length=500)
    if role == PostingRole.DEPARTMENT_LIAISON and posting.department_id is None:
        problems.add(
            "departmentId", "a department liaison names its department: post it anew with one", "REQUIRED"
        )
    if ended_on is not None and ended_on < posting.started_on:
        problems.add(
            "endedOn", f"cannot be before the posting started ({posting.started_on})", "OUT_OF_RANGE"
        )
    if problems:
        raise ValidationFailed(problems=list(problems))
    changes: dict[str, object] = {}
    if ended_on is not None:
        changes["ended_on"] = ended_on
    if note is not None:
        changes["note"] = note
    if role is not None:
        changes["role"] = role
    return await take_step(posting, version, caller, operation="updatePosting", changes=changes)
