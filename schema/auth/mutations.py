from __future__ import annotations

from typing import Annotated, Any

import strawberry

from schema.auth.queries import api_key_view, grant_view, me_view
from schema.auth.types import (
    ApiKeyCreated,
    ApiKeyPayload,
    LoginError,
    LoginSuccess,
    LogoutResult,
    PasswordChanged,
    PasswordRefused,
    PolicyLine,
    PolicyLinePayload,
    RoleGrantPayload,
    UserAccount,
    UserPayload,
)
from schema.errors import ForbiddenError, NotFoundError, ValidationError, error_member
from schema.ids import decode_id
from server.auth import admin
from server.auth import service as auth
from server.authz.engine import engine
from server.errors import DomainError

LoginResult = Annotated[LoginSuccess | LoginError, strawberry.union("LoginResult")]
AdminErrors = ValidationError | NotFoundError | ForbiddenError
PolicyLineResult = Annotated[PolicyLinePayload | AdminErrors, strawberry.union("PolicyLineResult")]
RoleGrantResult = Annotated[RoleGrantPayload | AdminErrors, strawberry.union("RoleGrantResult")]
UserResult = Annotated[UserPayload | AdminErrors, strawberry.union("UserResult")]
ApiKeyCreateResult = Annotated[ApiKeyCreated | AdminErrors, strawberry.union("ApiKeyCreateResult")]
ApiKeyResult = Annotated[ApiKeyPayload | AdminErrors, strawberry.union("ApiKeyResult")]
ChangePasswordResult = Annotated[
    PasswordChanged | PasswordRefused | ValidationError | ForbiddenError,
    strawberry.union("ChangePasswordResult"),
]


@strawberry.input
class RoleGrantInput:
    username: str
    role: str
    jurisdiction_id: strawberry.ID


@strawberry.input
class PolicyLineInput:
    role: str
    object: str
    action: str


@strawberry.input
class CreateUserInput:
    username: str
    display_name: str
    password: str = strawberry.field(description="At least 12 characters.")
    staff_id: strawberry.ID | None = None
    deputy_id: strawberry.ID | None = None
    department_id: strawberry.ID | None = None


@strawberry.input
class CreateApiKeyInput:
    name: str
    scopes: list[str] = strawberry.field(description="What it may read: station, stats, department_ticket, …")
    jurisdiction_id: strawberry.ID
    department_id: strawberry.ID | None = None
    expires_in_days: int = 365


def _user_view(user: Any) -> UserAccount:
    subject = f"user:{user.username}"
    return UserAccount(
        username=user.username,
        display_name=user.display_name,
        active=user.active,
        roles=[grant_view(subject, role, code) for role, code in engine.grants(subject)],
    )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Log in. Needs no token. Repeated failures are throttled.")
    async def login(self, info: strawberry.Info, username: str, password: str) -> LoginResult:
        client = getattr(info.context.request, "client", None)
        try:
            result = await auth.login(username, password, getattr(client, "host", None))
        except auth.AuthFailure as exc:
            code = "TOO_MANY_ATTEMPTS" if exc.code == "TOO_MANY_ATTEMPTS" else "INVALID_CREDENTIALS"
            return LoginError(message=exc.message, code=code, retry_after_seconds=exc.retry_after)
        return LoginSuccess(
            token=result.token,
            expires_at=result.expires_at,
            me=me_view(await admin.logged_in(result.user), result.user.display_name),
        )

    @strawberry.mutation(description="End this session: its token stops working at once.")
    async def logout(self, info: strawberry.Info) -> LogoutResult:
        viewer = info.context.authz.require_viewer()
        if viewer.session_id:
            await auth.logout(viewer.session_id)
        return LogoutResult(ok=True)

    @strawberry.mutation(
        description="Change your own password (at least 12 characters). The current one is checked "
        "under the login throttle; every session of the account ends, this one included: log in again."
    )
    async def change_password(
        self, info: strawberry.Info, current_password: str, new_password: str
    ) -> ChangePasswordResult:
        try:
            await admin.change_password(info.context.caller, current_password, new_password)
        except auth.AuthFailure as exc:
            return PasswordRefused(message=exc.message, code=exc.code, retry_after_seconds=exc.retry_after)
        except DomainError as exc:
            return error_member(exc)
        return PasswordChanged(sessions_ended=True)

    @strawberry.mutation(
        description="Grant a role in a jurisdiction (applies beneath it too). Needs policy:update."
    )
    async def grant_role(self, info: strawberry.Info, input: RoleGrantInput) -> RoleGrantResult:
        try:
            jid = decode_id(input.jurisdiction_id, "Jurisdiction", "jurisdictionId")
            line = await admin.grant_role(info.context.caller, input.username, input.role, jid)
        except DomainError as exc:
            return error_member(exc)
        return RoleGrantPayload(grant=grant_view(*line))

    @strawberry.mutation(
        description="Revoke a role grant. Refused if no admin would remain. Needs policy:update."
    )
    async def revoke_role(self, info: strawberry.Info, input: RoleGrantInput) -> RoleGrantResult:
        try:
            jid = decode_id(input.jurisdiction_id, "Jurisdiction", "jurisdictionId")
            line = await admin.revoke_role(info.context.caller, input.username, input.role, jid)
        except DomainError as exc:
            return error_member(exc)
        return RoleGrantPayload(grant=grant_view(*line))

    @strawberry.mutation(description="Add a line to the access table; in force at once. Needs policy:update.")
    async def add_policy_line(self, info: strawberry.Info, input: PolicyLineInput) -> PolicyLineResult:
        try:
            role, obj, act = await admin.add_policy_line(
                info.context.caller, input.role, input.object, input.action
            )
        except DomainError as exc:
            return error_member(exc)
        return PolicyLinePayload(line=PolicyLine(role=role, object=obj, action=act))

    @strawberry.mutation(description="Remove a line from the access table. Needs policy:update.")
    async def remove_policy_line(self, info: strawberry.Info, input: PolicyLineInput) -> PolicyLineResult:
        try:
            role, obj, act = await admin.remove_policy_line(
                info.context.caller, input.role, input.object, input.action
            )
        except DomainError as exc:
            return error_member(exc)
        return PolicyLinePayload(line=PolicyLine(role=role, object=obj, action=act))

    @strawberry.mutation(description="Create a login account (no roles yet). Needs user:create.")
    async def create_user(self, info: strawberry.Info, input: CreateUserInput) -> UserResult:
        caller = info.context.caller
        try:
            data = admin.NewUser(input.username, input.display_name, input.password)
            problems = admin.check_new_user(caller, data)
            if input.staff_id:
                data.staff_id = decode_id(input.staff_id, "Staff", "staffId")
            if input.deputy_id:
                data.deputy_id = decode_id(input.deputy_id, "Deputy", "deputyId")
            if input.department_id:
                data.department_id = decode_id(input.department_id, "Department", "departmentId")
            user = await admin.create_user(caller, data, problems)
        except DomainError as exc:
            return error_member(exc)
        return UserPayload(user=_user_view(user))

    @strawberry.mutation(
        description="Activate or deactivate an account; deactivating ends its sessions. Needs user:update."
    )
    async def set_user_active(self, info: strawberry.Info, username: str, active: bool) -> UserResult:
        try:
            user = await admin.set_user_active(info.context.caller, username, active)
        except DomainError as exc:
            return error_member(exc)
        return UserPayload(user=_user_view(user))

    @strawberry.mutation(description="Create a read-only data-sharing key. Needs api_key:create.")
    async def create_api_key(self, info: strawberry.Info, input: CreateApiKeyInput) -> ApiKeyCreateResult:
        caller = info.context.caller
        try:
            data = admin.NewKey(input.name, input.scopes, 0, None, input.expires_in_days)
            problems = admin.check_new_key(caller, data)
            data.jurisdiction_id = decode_id(input.jurisdiction_id, "Jurisdiction", "jurisdictionId")
            if input.department_id:
                data.department_id = decode_id(input.department_id, "Department", "departmentId")
            created = await admin.create_api_key(caller, data, problems)
        except DomainError as exc:
            return error_member(exc)
        return ApiKeyCreated(
            key=created.secret,
            api_key=api_key_view(created.key, engine.tree.code(data.jurisdiction_id) or ""),
        )

    @strawberry.mutation(
        description="Revoke a data-sharing key; refused from the next request on. Needs api_key:update."
    )
    async def revoke_api_key(self, info: strawberry.Info, prefix: str) -> ApiKeyResult:
        try:
            key = await admin.revoke_api_key(info.context.caller, prefix)
        except DomainError as exc:
            return error_member(exc)
        return ApiKeyPayload(api_key=api_key_view(key, engine.tree.code(key.jurisdiction_id) or ""))
