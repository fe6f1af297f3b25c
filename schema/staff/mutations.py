from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from schema.enums import PostingRole
from schema.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, error_member
from schema.ids import decode_id, decode_optional_id
from schema.staff.types import Posting, as_posting
from server.errors import DomainError
from server.staff import service


@strawberry.input(description="Post a staff member to a station and/or a patch.")
class CreatePostingInput:
    staff_id: strawberry.ID
    role: PostingRole
    started_on: date
    station_id: strawberry.ID | None = None
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patch; defaults to the station's jurisdiction."
    )
    department_id: strawberry.ID | None = None
    note: str = ""


@strawberry.input(description="Change or end a posting.")
class UpdatePostingInput:
    id: strawberry.ID
    version: int
    ended_on: date | None = None
    note: str | None = None
    role: PostingRole | None = None


@strawberry.type
class PostingPayload:
    posting: Posting


PostingResult = Annotated[
    PostingPayload | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("PostingResult"),
]


@strawberry.type
class StaffMutation:
    @strawberry.mutation(description="Post a staff member. Needs posting:create.")
    async def create_posting(self, info: strawberry.Info, input: CreatePostingInput) -> PostingResult:
        ctx = info.context
        try:
            data = service.PostingData(
                staff_id=decode_id(input.staff_id, "Staff", "staffId"),
                role=input.role,
                started_on=input.started_on,
                station_id=decode_optional_id(input.station_id, "Station", "stationId"),
                jurisdiction_id=decode_optional_id(input.jurisdiction_id, "Jurisdiction", "jurisdictionId"),
                department_id=decode_optional_id(input.department_id, "Department", "departmentId"),
                note=input.note,
            )
            posting = await service.create_posting(data, caller=ctx.caller)
        except DomainError as exc:
            return error_member(exc)
        return PostingPayload(posting=as_posting(posting))

    @strawberry.mutation(description="Change or end a posting. Needs posting:update.")
    async def update_posting(self, info: strawberry.Info, input: UpdatePostingInput) -> PostingResult:
        ctx = info.context
        try:
            posting = await service.update_posting(
                decode_id(input.id, "Posting", "id"),
                input.version,
                ended_on=input.ended_on,
                note=input.note,
                role=input.role,
                caller=ctx.caller,
            )
        except DomainError as exc:
            return error_member(exc)
        return PostingPayload(posting=as_posting(posting))
