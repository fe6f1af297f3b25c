"""Mutations of the ticket workflow (工单)."""

from __future__ import annotations

import strawberry


@strawberry.type
class TicketsMutation:
    @strawberry.mutation(description="Placeholder until the ticket workflow lands.")
    def ticket_workflow_version(self) -> int:
        return 0
