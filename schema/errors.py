"""Typed errors: union members for mutations, `extensions.code` for queries."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from server.errors import (
    Conflict,
    DomainError,
    NotFound,
    TransitionRefused,
    Unauthenticated,
    ValidationFailed,
)


def client_error(message: str, code: str = "BAD_USER_INPUT", **extra: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extra})


def as_graphql_error(exc: DomainError) -> GraphQLError:
    if isinstance(exc, ValidationFailed) and exc.problems:
        detail = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        return client_error(
            f"{exc.message} {detail}",
            exc.code,
            fields=[{"field": p.field, "message": p.message, "code": p.code} for p in exc.problems],
        )
    return client_error(exc.message, exc.code)


@strawberry.type(description="Why one input field was refused.")
class FieldError:
    field: str
    message: str
    code: str


@strawberry.interface(description="An expected failure of a mutation. Nothing was changed.")
class MutationError:
    message: str
    code: str


@strawberry.type(description="The input was not valid (code BAD_USER_INPUT). Nothing was changed.")
class ValidationError(MutationError):
    fields: list[FieldError]


@strawberry.type(description="An object named in the input does not exist or is not visible to you.")
class NotFoundError(MutationError):
    object_type: str
    object_id: str


@strawberry.type(description="Someone else changed the object first. Reload and retry.")
class ConflictError(MutationError):
    current_version: int


@strawberry.type(description="You may not do this (code FORBIDDEN).")
class ForbiddenError(MutationError):
    pass


@strawberry.type(description="The workflow does not allow this step now. Nothing was changed.")
class WorkflowError(MutationError):
    current_status: str
    allowed_actions: list[str]


def error_member(exc: DomainError) -> MutationError:
    if isinstance(exc, Unauthenticated):
        raise as_graphql_error(exc)  # no token: answered like queries, as a top-level error
    if isinstance(exc, ValidationFailed):
        return ValidationError(
            message=exc.message,
            code=exc.code,
            fields=[FieldError(field=p.field, message=p.message, code=p.code) for p in exc.problems],
        )
    if isinstance(exc, NotFound):
        return NotFoundError(
            message=exc.message, code=exc.code, object_type=exc.object_type, object_id=exc.object_id
        )
    if isinstance(exc, TransitionRefused):
        return WorkflowError(
            message=exc.message, code=exc.code, current_status=exc.current_status, allowed_actions=exc.allowed
        )
    if isinstance(exc, Conflict):
        return ConflictError(message=exc.message, code=exc.code, current_version=exc.current_version)
    return ForbiddenError(message=exc.message, code=exc.code)
