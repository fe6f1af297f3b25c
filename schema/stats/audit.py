"""What admins read of the trails: the audit, citizens' personal-data reads, data-sharing key use."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from schema.pagination import Connection, paginate
from server.audit import trails


@strawberry.type(description="One change: who, what, before and after. Never changed once written.")
class AuditEntry:
    at: datetime
    actor: str
    operation: str
    object_type: str
    object_id: str
    before: JSON | None
    after: JSON | None
    request_id: str


@strawberry.type(description="A read of a citizen's name or phone.")
class PersonalDataRead:
    at: datetime
    actor: str
    ticket_number: str
    fields_read: str
    request_id: str


@strawberry.type(description="A request made with a data-sharing key.")
class ApiKeyUse:
    at: datetime
    prefix: str
    interface: str = strawberry.field(description="graphql, websocket, open311, csv or geo")
    operation: str = strawberry.field(
        description="The GraphQL operation's name (or first field), or the REST method and path"
    )
    allowed: bool = strawberry.field(description="false when refused over the key's rate limit")


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit trail, newest first. Needs audit:read.")
    async def audit_trail(
        self,
        info: strawberry.Info,
        object_type: str | None = None,
        actor: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEntry] | None:
        query = trails.audit_trail(info.context.caller, object_type=object_type, actor=actor)
        return await paginate(query, first, after)

    @strawberry.field(description="Every read of citizens' personal data, newest first. Needs audit:read.")
    async def personal_data_reads(
        self,
        info: strawberry.Info,
        ticket_number: str | None = None,
        actor: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PersonalDataRead] | None:
        query = trails.personal_data_reads(info.context.caller, ticket_number=ticket_number, actor=actor)
        return await paginate(query, first, after)

    @strawberry.field(description="Requests made with data-sharing keys, newest first. Needs audit:read.")
    async def api_key_uses(
        self,
        info: strawberry.Info,
        prefix: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ApiKeyUse] | None:
        return await paginate(trails.api_key_uses(info.context.caller, prefix=prefix), first, after)
