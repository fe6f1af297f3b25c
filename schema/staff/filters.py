from __future__ import annotations

import strawberry

from schema.enums import DepartmentKind


@strawberry.input
class DepartmentFilter:
    kind: DepartmentKind | None = None
    search: str | None = None


@strawberry.input
class StaffFilter:
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff whose home jurisdiction is here or beneath."
    )
    department_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, description="Text in the name or title.")
