"""Mutations of the proposal workflow (建议办理)."""

from __future__ import annotations

import strawberry


@strawberry.type
class ProposalsMutation:
    @strawberry.mutation(description="Placeholder until the proposal workflow lands.")
    def proposal_workflow_version(self) -> int:
        return 0
