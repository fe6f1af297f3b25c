"""Changing a ticket category's times (bureau staff)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, error_member
from schema.escalation.types import WorkTimeInput
from schema.ids import decode_id
from schema.tickets.types import TicketCategory, as_category
from server.errors import DomainError
from server.tickets.categories import WorkTime, update_category_times


@strawberry.type
class TicketCategoryPayload:
    category: TicketCategory


TicketCategoryResult = Annotated[
    TicketCategoryPayload | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("TicketCategoryResult"),
]


def _time(given: WorkTimeInput | None) -> WorkTime | None:
    return WorkTime(given.amount, given.unit) if given else None


@strawberry.type
class CategoriesMutation:
    @strawberry.mutation(
        description="Set a category's response and/or resolution time (an amount 1–1000 in a unit: "
        "round the clock, or working hours or days on the work calendar), at the version you read "
        "(CONFLICT otherwise). Tickets registered afterwards get due times by it; registered ones "
        "keep theirs. The response may not take longer than the resolution. Audited. "
        "Needs ticket_category:update."
    )
    async def update_ticket_category_times(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        version: int,
        response: WorkTimeInput | None = None,
        resolution: WorkTimeInput | None = None,
    ) -> TicketCategoryResult:
        try:
            category = await update_category_times(
                decode_id(id, "TicketCategory"),
                version,
                _time(response),
                _time(resolution),
                caller=info.context.caller,
            )
        except DomainError as exc:
            return error_member(exc)
        return TicketCategoryPayload(category=as_category(category))
