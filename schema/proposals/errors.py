"""The proposal workflow's typed errors: the shared ones, TransitionError among them."""

from __future__ import annotations

from schema.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TransitionError,
    ValidationError,
    error_member,
)
from server.errors import DomainError

ProposalErrors = ValidationError | NotFoundError | ConflictError | ForbiddenError | TransitionError


def proposal_error(exc: DomainError) -> ProposalErrors:
    return error_member(exc)
