"""Expected failures raised by domain services and turned into typed GraphQL errors by schema/.

Services never import strawberry; the schema layer maps these onto union members or
`extensions.code`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    field: str
    message: str
    code: str = "INVALID"


class DomainError(Exception):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ValidationFailed(DomainError):
    problems: list[FieldProblem] = field(default_factory=list)
    message: str = "The input is not valid."
    code = "BAD_USER_INPUT"

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)


class NotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, object_type: str, object_id: object) -> None:
        super().__init__(f"{object_type} {object_id} was not found.")
        self.object_type = object_type
        self.object_id = str(object_id)


class Conflict(DomainError):
    code = "CONFLICT"

    def __init__(self, object_type: str, object_id: object, current_version: int) -> None:
        super().__init__(
            f"{object_type} {object_id} was changed by someone else: "
            f"it is now at version {current_version}. Reload and try again."
        )
        self.object_type = object_type
        self.object_id = str(object_id)
        self.current_version = current_version


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class RateLimited(DomainError):
    code = "RATE_LIMITED"


class TransitionRefused(DomainError):
    """A workflow action that the current state does not allow. `current_status` is the domain's
    status enum (TicketStatus, ProposalStatus); `allowed` the actions the workflow table lists
    from it; `object_id` the database id of the object, when the raiser knows it."""

    code = "FORBIDDEN_TRANSITION"

    def __init__(
        self,
        object_type: str,
        current_status: str,
        action: str,
        allowed: list[str],
        object_id: int | None = None,
    ) -> None:
        names = ", ".join(allowed) or "none"
        super().__init__(
            f"A {object_type} in status {current_status} cannot '{action}'; allowed now: {names}."
        )
        self.object_type = object_type
        self.object_id = object_id
        self.current_status = current_status
        self.action = action
        self.allowed = allowed
