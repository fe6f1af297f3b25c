"""Typed errors: union members for mutations, `extensions.code` for queries."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import strawberry
from graphql import GraphQLError

from schema.enums import ProposalStatus, TicketStatus
from schema.ids import public_id
from server import enums as domain_enums
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


def message_of(exc: DomainError) -> str:
    """The message a client reads: what was refused and why, naming objects by global ID.

    Services name objects by database id ("Ticket 32"); the API never does. A refused input says
    which field and why rather than only that the input is not valid."""
    if isinstance(exc, ValidationFailed) and exc.problems:
        return "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
    if isinstance(exc, (NotFound, Conflict)):
        shown = public_id(exc.object_type, exc.object_id)
        return exc.message.replace(f"{exc.object_type} {exc.object_id}", f"{exc.object_type} {shown}", 1)
    return exc.message


def as_graphql_error(exc: DomainError) -> GraphQLError:
    if isinstance(exc, ValidationFailed) and exc.problems:
        return client_error(
            message_of(exc),
            exc.code,
            fields=[{"field": p.field, "message": p.message, "code": p.code} for p in exc.problems],
        )
    return client_error(message_of(exc), exc.code)


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
    object_id: str = strawberry.field(description="Its global ID (or the value given, when not one).")


@strawberry.type(description="Someone else changed the object first. Reload and retry.")
class ConflictError(MutationError):
    current_version: int


@strawberry.type(description="You may not do this (code FORBIDDEN).")
class ForbiddenError(MutationError):
    pass


@strawberry.type(
    description="The workflow has no such action from the object's current status (code "
    "FORBIDDEN_TRANSITION). Nothing was changed. Both workflows (tickets, proposals) answer with this "
    "type; the status is typed by its own workflow's enum, so it is in currentTicketStatus for a "
    "ticket and currentProposalStatus for a proposal (the other is null)."
)
class TransitionError(MutationError):
    object_type: str = strawberry.field(description="Ticket or Proposal.")
    object_id: strawberry.ID | None = strawberry.field(
        description="The object's global ID; null when the refusal came before it was named."
    )
    action: str = strawberry.field(description="The workflow action refused, as in the workflow table.")
    current_ticket_status: TicketStatus | None
    current_proposal_status: ProposalStatus | None
    current_status_label: str | None = strawberry.field(
        description="Chinese label of the status, e.g. 已到场."
    )
    allowed_actions: list[str] = strawberry.field(
        description="The actions the workflow table lists from the current status (the object's "
        "availableActions narrows them to those you may take)."
    )


def transition_error(exc: TransitionRefused) -> TransitionError:
    status = exc.current_status
    object_type = exc.object_type[:1].upper() + exc.object_type[1:]
    return TransitionError(
        message=message_of(exc),
        code=exc.code,
        object_type=object_type,
        object_id=None if exc.object_id is None else strawberry.ID(public_id(object_type, exc.object_id)),
        action=exc.action,
        current_ticket_status=status if isinstance(status, domain_enums.TicketStatus) else None,
        current_proposal_status=status if isinstance(status, domain_enums.ProposalStatus) else None,
        current_status_label=domain_enums.label_zh(status) if isinstance(status, StrEnum) else None,
        allowed_actions=list(exc.allowed),
    )


def error_member(exc: DomainError) -> Any:
    """The union member a mutation answers with for `exc`: one of ValidationError, NotFoundError,
    ConflictError, TransitionError or ForbiddenError (never a success payload).

    Typed `Any` on purpose: each mutation's result union lists only the errors it can meet (the
    admin mutations have no TransitionError, say), so no single precise type fits every call site;
    returning Any lets `return error_member(exc)` check against each mutation's own result type.
    strawberry still refuses, at run time, a member the mutation's union does not declare."""
    if isinstance(exc, Unauthenticated):
        raise as_graphql_error(exc)  # no token: answered like queries, as a top-level error
    if isinstance(exc, ValidationFailed):
        return ValidationError(
            message=message_of(exc),
            code=exc.code,
            fields=[FieldError(field=p.field, message=p.message, code=p.code) for p in exc.problems],
        )
    if isinstance(exc, NotFound):
        return NotFoundError(
            message=message_of(exc),
            code=exc.code,
            object_type=exc.object_type,
            object_id=public_id(exc.object_type, exc.object_id),
        )
    if isinstance(exc, TransitionRefused):
        return transition_error(exc)
    if isinstance(exc, Conflict):
        return ConflictError(message=message_of(exc), code=exc.code, current_version=exc.current_version)
    return ForbiddenError(message=message_of(exc), code=exc.code)
