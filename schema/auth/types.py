from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from schema.geo.types import Jurisdiction
from server.auth import admin

if TYPE_CHECKING:
    from schema.proposals.types import Deputy
    from schema.staff.types import Department, Staff


@strawberry.type(description="A role held in a jurisdiction; it applies there and everywhere beneath it.")
class RoleGrant:
    subject: str
    role: str
    role_label: str | None
    jurisdiction_code: str
    jurisdiction_id: strawberry.Private[int | None]

    @strawberry.field
    def jurisdiction(self, info: strawberry.Info) -> Jurisdiction | None:
        from schema.geo.loaders import JurisdictionByIdLoader

        if self.jurisdiction_id is None:
            return None
        return info.context.load(JurisdictionByIdLoader, self.jurisdiction_id)


@strawberry.type(description="An action the caller may take on a kind of object, and where.")
class Permission:
    object: str
    action: str
    everywhere: bool
    jurisdiction_codes: list[str]


@strawberry.type(description="One line of the access table: a role may do an action on an object.")
class PolicyLine:
    role: str
    object: str
    action: str


@strawberry.type(description="The caller.")
class Me:
    username: str
    display_name: str
    kind: str = strawberry.field(description="USER or API_KEY")
    roles: list[RoleGrant]
    permissions: list[Permission]
    # The caller's own records: readable by the caller whatever its scopes for others' records.
    # They are rows, served as they are where the GraphQL type is declared (schema.rows).

    @strawberry.field(description="The staff member this account belongs to; null when none.")
    async def staff(
        self, info: strawberry.Info
    ) -> Annotated[Staff, strawberry.lazy("schema.staff.types")] | None:
        return cast("Staff | None", await admin.own_staff(info.context.caller))

    @strawberry.field(description="The deputy (人大代表) this account belongs to; null when none.")
    async def deputy(
        self, info: strawberry.Info
    ) -> Annotated[Deputy, strawberry.lazy("schema.proposals.types")] | None:
        return cast("Deputy | None", await admin.own_deputy(info.context.caller))

    @strawberry.field(
        description="The unit (department) the account or key acts for, e.g. the lead unit whose "
        "proposals it handles; null when none."
    )
    async def department(
        self, info: strawberry.Info
    ) -> Annotated[Department, strawberry.lazy("schema.staff.types")] | None:
        return cast("Department | None", await admin.own_department(info.context.caller))


@strawberry.type
class LoginSuccess:
    token: str = strawberry.field(description="Send as 'Authorization: Bearer <token>'.")
    expires_at: datetime
    me: Me


@strawberry.type(description="Login refused. Unknown users and wrong passwords get the same answer.")
class LoginError:
    message: str
    code: str = strawberry.field(description="INVALID_CREDENTIALS or TOO_MANY_ATTEMPTS")
    retry_after_seconds: int | None


@strawberry.type
class LogoutResult:
    ok: bool


@strawberry.type(description="The password was changed; every session of the account has ended.")
class PasswordChanged:
    sessions_ended: bool


@strawberry.type(
    description="The current password was wrong (WRONG_PASSWORD) or too many were tried "
    "(TOO_MANY_ATTEMPTS, with retryAfterSeconds): nothing was changed."
)
class PasswordRefused:
    message: str
    code: str
    retry_after_seconds: int | None


@strawberry.type(description="A login account.")
class UserAccount:
    username: str
    display_name: str
    active: bool
    roles: list[RoleGrant]


@strawberry.type(description="A data-sharing client's key (the secret is shown only at creation).")
class ApiKeyInfo:
    prefix: str
    name: str
    scopes: list[str]
    jurisdiction_code: str
    expires_at: datetime
    revoked_at: datetime | None
    created_by: str


@strawberry.type
class ApiKeyCreated:
    key: str = strawberry.field(description="The whole key. Shown once: store it now.")
    api_key: ApiKeyInfo


@strawberry.type
class PolicyLinePayload:
    line: PolicyLine


@strawberry.type
class RoleGrantPayload:
    grant: RoleGrant


@strawberry.type
class UserPayload:
    user: UserAccount


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKeyInfo


@strawberry.type(description="The words policy lines may use.")
class PolicyVocabulary:
    roles: list[str]
    objects: list[str]
    actions: list[str]
    api_key_scopes: list[str]
