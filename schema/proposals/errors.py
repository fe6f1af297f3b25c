"""The proposal workflow's typed errors: the shared ones plus TransitionError."""

from __future__ import annotations

import strawberry

from schema.enums import ProposalStatus
from schema.errors import (
    ConflictError,
    ForbiddenError,
    MutationError,
    NotFoundError,
    ValidationError,
    error_member,
)
from server.errors import DomainError
from server.proposals.vocabulary import label
from server.proposals.workflow import ProposalTransitionRefused


@strawberry.type(
    description="The workflow has no such action from the proposal's current state (code "
    "FORBIDDEN_TRANSITION). allowedActions names those it has. Nothing was changed."
)
class TransitionError(MutationError):
    current_status: ProposalStatus  # type: ignore[valid-type]
    current_status_label: str | None
    allowed_actions: list[str]


ProposalErrors = ValidationError | NotFoundError | ConflictError | ForbiddenError | TransitionError


def proposal_error(exc: DomainError) -> MutationError:
    if isinstance(exc, ProposalTransitionRefused):
        return TransitionError(
            message=exc.message,
            code=exc.code,
            current_status=exc.current_status,
            current_status_label=label(exc.current_status),
            allowed_actions=exc.allowed,
        )
    return error_member(exc)
