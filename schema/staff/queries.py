from __future__ import annotations

import strawberry

from schema.ids import filter_id
from schema.pagination import Connection, paginate
from schema.staff.filters import DepartmentFilter, StaffFilter
from schema.staff.types import Department, Staff
from server.staff import service


@strawberry.type
class StaffQuery:
    @strawberry.field(description="Units: congress, government, the bureau, town governments, N departments.")
    async def departments(
        self,
        info: strawberry.Info,
        filter: DepartmentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Department] | None:
        info.context.authz.require_somewhere("reference")
        criteria = filter or DepartmentFilter()
        return await paginate(
            service.list_departments(kind=criteria.kind, search=criteria.search), first, after
        )

    @strawberry.field(description="Staff members.")
    async def staff(
        self,
        info: strawberry.Info,
        filter: StaffFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Staff] | None:
        criteria = filter or StaffFilter()
        scope = info.context.authz.require_somewhere("staff")
        query = service.list_staff(
            visible=scope.where(),
            within_id=filter_id(criteria.jurisdiction_id, "Jurisdiction", "jurisdictionId"),
            department_id=filter_id(criteria.department_id, "Department", "departmentId"),
            search=criteria.search,
        )
        return await paginate(query, first, after)
