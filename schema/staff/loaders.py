from __future__ import annotations

from tortoise.expressions import Q

from schema.loaders import ByIdLoader, ManyByLoader, reference_q, scope_q
from server.staff.models import Department, Posting, Staff


class DepartmentByIdLoader(ByIdLoader):
    model = Department

    def visible(self) -> Q | None:
        return reference_q(self.ctx)


class StaffByIdLoader(ByIdLoader):
    model = Staff

    def visible(self) -> Q | None:
        return scope_q(self.ctx, "staff")


class PostingByIdLoader(ByIdLoader):
    model = Posting

    def visible(self) -> Q | None:
        return scope_q(self.ctx, "posting")


class PostingsByStationLoader(ManyByLoader):
    model = Posting
    key_field = "station_id"

    def visible(self) -> Q | None:
        return scope_q(self.ctx, "posting")


class PostingsByStaffLoader(ManyByLoader):
    model = Posting
    key_field = "staff_id"

    def visible(self) -> Q | None:
        return scope_q(self.ctx, "posting")
