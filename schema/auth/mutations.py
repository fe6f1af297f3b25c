from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.transactions import in_transaction

from schema.auth.queries import _city_id, api_key_view, grant_view, me_view
from schema.auth.types import (
    ApiKeyCreated,
    ApiKeyPayload,
    LoginError,
    LoginSuccess,
    LogoutResult,
    PolicyLine,
    PolicyLinePayload,
    RoleGrantPayload,
    UserAccount,
    UserPayload,
)
from schema.errors import ForbiddenError, NotFoundError, ValidationError, error_member
from schema.ids import decode_id
from server.audit.models import AuditEntry
from server.auth import service as auth
from server.auth.models import User
from server.authz import policy_admin
from server.authz.engine import engine
from server.authz.vocabulary import API_KEY_SCOPES
from server.errors import DomainError, NotFound, ValidationFailed
from server.geo.models import Jurisdiction
from server.staff.models import Department
from server.validation import Problems

LoginResult = Annotated[LoginSuccess | LoginError, strawberry.union("LoginResult")]
AdminErrors = ValidationError | NotFoundError | ForbiddenError
PolicyLineResult = Annotated[PolicyLinePayload | AdminErrors, strawberry.union("PolicyLineResult")]
RoleGrantResult = Annotated[RoleGrantPayload | AdminErrors, strawberry.union("RoleGrantResult")]
UserResult = Annotated[UserPayload | AdminErrors, strawberry.union("UserResult")]
ApiKeyCreateResult = Annotated[ApiKeyCreated | AdminErrors, strawberry.union("ApiKeyCreateResult")]
ApiKeyResult = Annotated[ApiKeyPayload | AdminErrors, strawberry.union("ApiKeyResult")]


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


def _user_view(user: User) -> UserAccount:
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
        from server.authz.authorizer import Authorizer, Viewer

        user = result.user
        await engine.ensure_version(await _policy_version())
        viewer = Viewer(
            subject=f"user:{user.username}",
            name=user.username,
            user_id=user.id,
            staff_id=user.staff_id,
            deputy_id=user.deputy_id,
            department_id=user.department_id,
        )
        return LoginSuccess(
            token=result.token,
            expires_at=result.expires_at,
            me=me_view(Authorizer(engine, viewer), user.display_name),
        )

    @strawberry.mutation(description="End this session: its token stops working at once.")
    async def logout(self, info: strawberry.Info) -> LogoutResult:
        viewer = info.context.authz.require_viewer()
        if viewer.session_id:
            await auth.logout(viewer.session_id)
        return LogoutResult(ok=True)

    @strawberry.mutation(
        description="Grant a role in a jurisdiction (applies beneath it too). Needs policy:update."
    )
    async def grant_role(self, info: strawberry.Info, input: RoleGrantInput) -> RoleGrantResult:
        ctx = info.context
        try:
            ctx.authz.require("policy", "update", _city_id())
            jid = decode_id(input.jurisdiction_id, "Jurisdiction", "jurisdictionId")
            line = await policy_admin.grant_role(
                input.username, input.role, jid, actor=ctx.actor, request_id=ctx.request_id
            )
        except DomainError as exc:
            return error_member(exc)  # type: ignore[return-value]
        return RoleGrantPayload(grant=grant_view(*line))

    @strawberry.mutation(
        description="Revoke a role grant. Refused if no admin would remain. Needs policy:update."
    )
    async def revoke_role(self, info: strawberry.Info, input: RoleGrantInput) -> RoleGrantResult:
        ctx = info.context
        try:
            ctx.authz.require("policy", "update", _city_id())
            jid = decode_id(input.jurisdiction_id, "Jurisdiction", "jurisdictionId")
            line = await policy_admin.revoke_role(
                input.username, input.role, jid, actor=ctx.actor, request_id=ctx.request_id
            )
        except DomainError as exc:
            return error_member(exc)  # type: ignore[return-value]
        return RoleGrantPayload(grant=grant_view(*line))

    @strawberry.mutation(description="Add a line to the access table; in force at once. Needs policy:update.")
    async def add_policy_line(self, info: strawberry.Info, input: PolicyLineInput) -> PolicyLineResult:
        ctx = info.context
        try:
            ctx.authz.require("policy", "update", _city_id())
            role, obj, act = await policy_admin.add_policy_line(
                input.role, input.object, input.action, actor=ctx.actor, request_id=ctx.request_id
            )
        except DomainError as exc:
            return error_member(exc)  # type: ignore[return-value]
        return PolicyLinePayload(line=PolicyLine(role=role, object=obj, action=act))

    @strawberry.mutation(description="Remove a line from the access table. Needs policy:update.")
    async def remove_policy_line(self, info: strawberry.Info, input: PolicyLineInput) -> PolicyLineResult:
        ctx = info.context
        try:
            ctx.authz.require("policy", "update", _city_id())
            role, obj, act = await policy_admin.remove_policy_line(
                input.role, input.object, input.action, actor=ctx.actor, request_id=ctx.request_id
            )
        except DomainError as exc:
            return error_member(exc)  # type: ignore[return-value]
        return PolicyLinePayload(line=PolicyLine(role=role, object=obj, action=act))

    @strawberry.mutation(description="Create a login account (no roles yet). Needs user:create.")
    async def create_user(self, info: strawberry.Info, input: CreateUserInput) -> UserResult:
        ctx = info.context
        try:
            ctx.authz.require("user", "create", _city_id())
            problems = Problems()
            problems.text("username", input.username, max_length=64, required=True)
            problems.text("displayName", input.display_name, max_length=100, required=True)
            if len(input.password) < 12:
                problems.add("password", "must be at least 12 characters", "TOO_SHORT")
            elif len(input.password) > 1024:
                problems.add("password", "must be at most 1024 characters", "TOO_LONG")
            if input.username.strip() != input.username or " " in input.username:
                problems.add("username", "must not contain spaces", "INVALID")
            if not problems and await User.exists(username=input.username):
                problems.add("username", f"{input.username!r} is taken", "DUPLICATE")
            if problems:
                raise ValidationFailed(problems=list(problems))
            refs = {
                "staff_id": decode_id(input.staff_id, "Staff", "staffId") if input.staff_id else None,
                "deputy_id": decode_id(input.deputy_id, "Deputy", "deputyId") if input.deputy_id else None,
                "department_id": (
                    decode_id(input.department_id, "Department", "departmentId")
                    if input.department_id
                    else None
                ),
            }
            password_hash = await auth.hash_password(input.password)  # before the transaction: slow
            async with in_transaction():
                user = await User.create(
                    username=input.username,
                    display_name=input.display_name,
                    password_hash=password_hash,
                    **refs,
                )
                await AuditEntry.create(
                    actor=ctx.actor,
                    operation="createUser",
                    object_type="User",
                    object_id=str(user.id),
                    before=None,
                    after={"username": user.username, **refs},
                    request_id=ctx.request_id,
                )
        except DomainError as exc:
            return error_member(exc)  # type: ignore[return-value]
        return UserPayload(user=_user_view(user))

    @strawberry.mutation(
        description="Activate or deactivate an account; deactivating ends its sessions. Needs user:update."
    )
    async def set_user_active(self, info: strawberry.Info, username: str, active: bool) -> UserResult:
        ctx = info.context
        try:
            ctx.authz.require("user", "update", _city_id())
            user = await policy_admin.set_user_active(
                username, active, actor=ctx.actor, request_id=ctx.request_id
            )
        except DomainError as exc:
            return error_member(exc)  # type: ignore[return-value]
        return UserPayload(user=_user_view(user))

    @strawberry.mutation(description="Create a read-only data-sharing key. Needs api_key:create.")
    async def create_api_key(self, info: strawberry.Info, input: CreateApiKeyInput) -> ApiKeyCreateResult:
        ctx = info.context
        try:
            ctx.authz.require("api_key", "create", _city_id())
            problems = Problems()
            problems.text("name", input.name, max_length=100, required=True)
            unknown = sorted(set(input.scopes) - set(API_KEY_SCOPES))
            if unknown:
                problems.add(
                    "scopes", f"unknown scopes {unknown}; known: {', '.join(API_KEY_SCOPES)}", "UNKNOWN_SCOPE"
                )
            if not input.scopes:
                problems.add("scopes", "name at least one thing the key may read", "REQUIRED")
            if not 1 <= input.expires_in_days <= 3650:
                problems.add("expiresInDays", "must be between 1 and 3650", "OUT_OF_RANGE")
            jid = decode_id(input.jurisdiction_id, "Jurisdiction", "jurisdictionId")
            dept = (
                decode_id(input.department_id, "Department", "departmentId") if input.department_id else None
            )
            if problems:
                raise ValidationFailed(problems=list(problems))
            if not await Jurisdiction.exists(id=jid):
                raise NotFound("Jurisdiction", jid)
            if dept is not None and not await Department.exists(id=dept):
                raise NotFound("Department", dept)
            created = await auth.create_api_key(
                name=input.name,
                scopes=input.scopes,
                jurisdiction_id=jid,
                department_id=dept,
                days=input.expires_in_days,
                created_by=ctx.actor,
            )
            await AuditEntry.create(
                actor=ctx.actor,
                operation="createApiKey",
                object_type="ApiKey",
                object_id=created.key.prefix,
                before=None,
                after={"name": input.name, "scopes": sorted(input.scopes)},
                request_id=ctx.request_id,
            )
            await engine.reload()
        except DomainError as exc:
            return error_member(exc)  # type: ignore[return-value]
        return ApiKeyCreated(
            key=created.secret, api_key=api_key_view(created.key, engine.tree.code(jid) or "")
        )

    @strawberry.mutation(
        description="Revoke a data-sharing key; refused from the next request on. Needs api_key:update."
    )
    async def revoke_api_key(self, info: strawberry.Info, prefix: str) -> ApiKeyResult:
        ctx = info.context
        try:
            ctx.authz.require("api_key", "update", _city_id())
            key = await auth.revoke_api_key(prefix)
            if key is None:
                raise NotFound("ApiKey", prefix)
            await AuditEntry.create(
                actor=ctx.actor,
                operation="revokeApiKey",
                object_type="ApiKey",
                object_id=prefix,
                before=None,
                after={"revoked": True},
                request_id=ctx.request_id,
            )
        except DomainError as exc:
            return error_member(exc)  # type: ignore[return-value]
        return ApiKeyPayload(api_key=api_key_view(key, engine.tree.code(key.jurisdiction_id) or ""))


async def _policy_version() -> int:
    from server.authz.engine import current_version

    return await current_version()
