from __future__ import annotations

from schema.loaders import ByIdLoader, ManyByLoader
from server.staff.models import Department, Posting, Staff


class DepartmentByIdLoader(ByIdLoader):
    model = Department


class StaffByIdLoader(ByIdLoader):
    model = Staff


class PostingsByStationLoader(ManyByLoader):
    model = Posting
    key_field = "station_id"


class PostingsByStaffLoader(ManyByLoader):
    model = Posting
    key_field = "staff_id"
