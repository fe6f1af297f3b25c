"""The root Query and Mutation, composed from each domain, and every extension built from settings."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from schema import accounting, replicas
from schema.attachments.mutations import AttachmentsMutation
from schema.auth.mutations import AuthMutation
from schema.auth.queries import AuthQuery
from schema.bounds import bound_arguments
from schema.calendar.mutations import CalendarMutation
from schema.calendar.queries import CalendarQuery
from schema.documents.mutations import DocumentsMutation
from schema.documents.queries import DocumentsQuery
from schema.errors import as_graphql_error
from schema.escalation.mutations import EscalationMutation
from schema.escalation.queries import EscalationQuery
from schema.geo.maps import MapsQuery
from schema.geo.queries import GeoQuery
from schema.jobs.queries import JobsQuery
from schema.limits import OncePerRequestRule, QueryCostRule
from schema.node import NodeQuery
from schema.notifications.mutations import NotificationsMutation
from schema.notifications.queries import NotificationsQuery
from schema.notifications.subscriptions import NotificationsSubscription
from schema.planner.extension import plan_into
from schema.privacy.mutations import PrivacyMutation
from schema.privacy.queries import PrivacyQuery
from schema.proposals.mutations import ProposalsMutation
from schema.proposals.queries import ProposalsQuery
from schema.staff.mutations import StaffMutation
from schema.staff.queries import StaffQuery
from schema.stations.mutations import StationsMutation
from schema.stations.queries import StationsQuery
from schema.stats.audit import AuditQuery
from schema.stats.queries import StatsQuery
from schema.tickets.categories import CategoriesMutation
from schema.tickets.figures import FiguresQuery
from schema.tickets.mutations import TicketsMutation
from schema.tickets.queries import TicketsQuery
from schema.tickets.subscriptions import TicketsSubscription
from schema.websocket import SUBSCRIPTIONS_ONLY
from server import tracing
from server.database import database_unavailable
from server.errors import DomainError
from server.settings import settings

log = logging.getLogger("lianxin.graphql")
SUGGESTION = re.compile(r" Did you mean .*\?$")
# What graphql-core says when a value does not fit its type (a variable or a literal): bad input.
BAD_VALUE = re.compile(
    r"^(Variable '\$[^']*' (has|got) invalid value|Variable '\$[^']*' of (required|non-null) type"
    r"|Expected value of type|Field '[^']*' of required type|\S+ cannot represent )"
)
# Such a message quotes the value: the answer need not repeat 100,000 characters back.
MAX_VALUE_MESSAGE = 300


def _shorten(message: str) -> str:
    if len(message) <= MAX_VALUE_MESSAGE:
        return message
    return f"{message[: MAX_VALUE_MESSAGE - 60]}… (the value is cut short here)"


@strawberry.type(description="Lianxin (连心桥): stations, staff, deputies' proposals and citizens' tickets.")
class Query(
    NodeQuery,
    AuthQuery,
    GeoQuery,
    MapsQuery,
    StationsQuery,
    StaffQuery,
    ProposalsQuery,
    TicketsQuery,
    FiguresQuery,
    StatsQuery,
    AuditQuery,
    PrivacyQuery,
    CalendarQuery,
    EscalationQuery,
    JobsQuery,
    DocumentsQuery,
    NotificationsQuery,
):
    pass


@strawberry.type
class Mutation(
    AuthMutation,
    StationsMutation,
    StaffMutation,
    ProposalsMutation,
    TicketsMutation,
    CategoriesMutation,
    PrivacyMutation,
    CalendarMutation,
    EscalationMutation,
    AttachmentsMutation,
    DocumentsMutation,
    NotificationsMutation,
):
    pass


@strawberry.type
class Subscription(TicketsSubscription, NotificationsSubscription):
    pass


class MaskUnexpectedErrors(MaskErrors):
    """Errors we raise on purpose carry extensions.code and pass through. Anything else is logged
    with the request id, and the client gets only that id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._unexpected)

    @staticmethod
    def _unexpected(error: GraphQLError) -> bool:
        original = error.original_error
        return original is not None and not isinstance(
            original, (GraphQLError, DomainError, InvalidOperationTypeError)
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._typed(e) for e in super()._process_errors(errors)]

    def _process_result(self, result: Any) -> None:
        # What MaskErrors does, but by getattr: its isinstance against a runtime-checkable
        # Protocol walks the protocol's attributes on every request.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)

    @staticmethod
    def _typed(error: GraphQLError) -> GraphQLError:
        """A DomainError raised in a resolver (FORBIDDEN on a personal-data field, UNAUTHENTICATED
        with no token, …) becomes an error at its path carrying extensions.code. Field suggestions
        ("Did you mean …?") are removed: they map the schema for whoever probes it."""
        original = error.original_error
        if isinstance(original, InvalidOperationTypeError):
            # Only a streaming transport gets here (over HTTP the view refuses it before):
            # the WebSocket, which serves subscriptions only (schema/websocket.py).
            return GraphQLError(
                SUBSCRIPTIONS_ONLY,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                extensions={"code": "BAD_REQUEST"},
            )
        if (
            error.path is None
            and not (error.extensions or {}).get("code")
            and BAD_VALUE.search(error.message)
        ):
            return GraphQLError(
                _shorten(error.message),
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                extensions={**(error.extensions or {}), "code": "BAD_USER_INPUT"},
            )
        if original is None and SUGGESTION.search(error.message):
            return GraphQLError(
                SUGGESTION.sub("", error.message),
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions=error.extensions,
            )
        if not isinstance(original, DomainError):
            return error
        typed = as_graphql_error(original)  # a ValidationFailed says which fields and why
        return GraphQLError(
            typed.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=typed.extensions,
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context: Any = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        if database_unavailable(error.original_error):  # the view answers these with HTTP 503
            log.warning(
                "database unavailable in %s (request %s): %r", error.path, request_id, error.original_error
            )
            return GraphQLError(
                "The database is unavailable; retry shortly.",
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": "DATABASE_UNAVAILABLE", "requestId": request_id},
            )
        log.error(
            "unexpected error in %s (request %s)", error.path, request_id, exc_info=error.original_error
        )
        return GraphQLError(
            f"Internal error. Quote request id {request_id} when reporting it.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )


class LianxinSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Expected errors (bad input, FORBIDDEN, …) are answers, not incidents: no stack traces
        in the log. Unexpected ones are logged with their request id by MaskUnexpectedErrors."""


# Built once: QueryDepthLimiter and MaxAliasesLimiter make a new rule class per instance.
VALIDATION_RULES = (
    *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
    *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    QueryCostRule,
    OncePerRequestRule,
    *([] if settings.is_demo else [NoSchemaIntrospectionCustomRule]),
)
PREPARED_TEXTS = 256


@functools.lru_cache(maxsize=PREPARED_TEXTS)
def _parsed(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


@functools.lru_cache(maxsize=PREPARED_TEXTS)
def _validated(
    graphql_schema: GraphQLSchema, query: str, max_tokens: int, rules: tuple[Any, ...]
) -> list[GraphQLError]:
    # keyed by the text (whose hash Python keeps), never by the document
    return validate_document(graphql_schema, _parsed(query, max_tokens), rules)


class OperationSteps(MaskUnexpectedErrors):
    """Every step an operation takes inside strawberry's execution, as one extension: strawberry
    wraps each hook of each extension in new context managers on every request (about 20 µs a
    hook here), and five extensions had eight hooks. In the order they run:

    - limits: the token limit at parsing; the depth, alias, cost and once-per-request rules
      (VALIDATION_RULES) at validation;
    - parsing and validation once per operation text (what strawberry's ParserCache and
      ValidationCache do, keyed on the text, whose hash Python keeps, where ValidationCache hashes
      the whole parsed document each time: 20–40 µs for the bench's operations). The same text
      always parses to the same document (a syntax error is not remembered: it is raised again),
      so the text decides the validation;
    - the request pipeline's admission and records (schema.accounting);
    - the database a query reads from (schema.replicas), and within it the plan
      (schema.planner), which, when it answers, leaves graphql-core's execution nothing to do;
    - the masking of unexpected errors (MaskUnexpectedErrors), over the planned and the
      resolved results alike."""

    # SchemaExtension's hooks may be async generators; MaskErrors declares its own as sync
    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        execution = self.execution_context
        execution.parse_options["max_tokens"] = settings.max_tokens
        execution.validation_rules = execution.validation_rules + VALIDATION_RULES
        masking = MaskErrors.on_operation(self)  # strawberry's own steps, around ours
        next(masking)
        call = await accounting.admit(execution)
        yield
        await accounting.finish(call)
        next(masking, None)

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.graphql_document is None and execution.query:
            execution.graphql_document = _parsed(execution.query, settings.max_tokens)
        yield

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.query:
            execution.pre_execution_errors = _validated(
                execution.schema._schema, execution.query, settings.max_tokens, execution.validation_rules
            )
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        if execution.operation_type is OperationType.QUERY:
            with await replicas.reading_for(execution):  # the plan runs on the replica chosen
                await plan_into(execution)
                yield
            return
        yield  # mutations and subscriptions are never planned
        await replicas.executed(execution)


def _tracing_extensions() -> list[Any]:
    """strawberry's OpenTelemetry extension when tracing is on (server.tracing); imported only then."""
    if not tracing.enabled():
        return []
    from strawberry.extensions.tracing import OpenTelemetryExtension

    return [OpenTelemetryExtension]


def build_schema() -> strawberry.Schema:
    built = LianxinSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            OperationSteps,
            *_tracing_extensions(),  # OpenTelemetry, only when OTEL_EXPORTER_OTLP_ENDPOINT is set
        ],
    )
    bound_arguments(built._schema)  # every argument bounded before its resolver runs
    return built


schema = build_schema()


def sdl() -> str:
    return schema.as_str() + "\n"
