from __future__ import annotations

from typing import Any

import strawberry

from schema.auth.types import (
    ApiKeyInfo,
    Me,
    Permission,
    PolicyLine,
    PolicyVocabulary,
    RoleGrant,
    UserAccount,
)
from server.auth import admin
from server.authz import vocabulary
from server.authz.authorizer import Authorizer
from server.authz.engine import engine


def grant_view(subject: str, role: str, code: str) -> RoleGrant:
    return RoleGrant(
        subject=subject,
        role=role,
        role_label=vocabulary.ROLE_LABELS.get(role),
        jurisdiction_code=code,
        jurisdiction_id=engine.tree.id_by_code.get(code),
    )


def me_view(authz: Authorizer, display_name: str) -> Me:
    viewer = authz.require_viewer()
    grants = engine.grants(viewer.subject)
    pairs = sorted({pair for role, _ in grants for pair in engine.role_permissions(role)})
    permissions = []
    for obj, act in pairs:
        scope = authz.scope(obj, act)
        if not scope.empty:
            permissions.append(
                Permission(
                    object=obj, action=act, everywhere=scope.everywhere, jurisdiction_codes=list(scope.codes)
                )
            )
    return Me(
        username=viewer.name,
        display_name=display_name,
        kind="API_KEY" if viewer.is_api_key else "USER",
        roles=[grant_view(viewer.subject, role, code) for role, code in grants],
        permissions=permissions,
    )


def api_key_view(key: Any, code: str) -> ApiKeyInfo:
    return ApiKeyInfo(
        prefix=key.prefix,
        name=key.name,
        scopes=list(key.scopes or []),
        jurisdiction_code=code,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        created_by=key.created_by,
    )


def _city_id() -> int | None:
    return admin.city_id()


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The caller: its roles with their jurisdictions and what it may do where.")
    async def me(self, info: strawberry.Info) -> Me:
        caller = info.context.caller
        return me_view(caller.authz, await admin.display_name(caller))

    @strawberry.field(description="Login accounts and their roles. Needs user:read.")
    async def users(self, info: strawberry.Info) -> list[UserAccount] | None:
        result = []
        for user in await admin.list_users(info.context.caller):
            subject = f"user:{user.username}"
            result.append(
                UserAccount(
                    username=user.username,
                    display_name=user.display_name,
                    active=user.active,
                    roles=[grant_view(subject, role, code) for role, code in engine.grants(subject)],
                )
            )
        return result

    @strawberry.field(description="The access table as it is in force now. Needs policy:read.")
    def policy_lines(self, info: strawberry.Info) -> list[PolicyLine] | None:
        info.context.authz.require("policy", "read", _city_id())
        return [PolicyLine(role=p[0], object=p[1], action=p[2]) for p in engine.policy_lines()]

    @strawberry.field(description="Every role grant in force. Needs policy:read.")
    def role_grants(self, info: strawberry.Info) -> list[RoleGrant] | None:
        info.context.authz.require("policy", "read", _city_id())
        return [grant_view(g[0], g[1], g[2]) for g in engine.grant_lines()]

    @strawberry.field(description="Roles, objects and actions a policy line may name. Needs policy:read.")
    def policy_vocabulary(self, info: strawberry.Info) -> PolicyVocabulary:
        info.context.authz.require("policy", "read", _city_id())
        return PolicyVocabulary(
            roles=list(vocabulary.ROLES),
            objects=list(vocabulary.OBJECTS),
            actions=list(vocabulary.ACTIONS),
            api_key_scopes=list(vocabulary.API_KEY_SCOPES),
        )

    @strawberry.field(description="Data-sharing keys. Needs api_key:read.")
    async def api_keys(self, info: strawberry.Info) -> list[ApiKeyInfo] | None:
        return [
            api_key_view(k, engine.tree.code(k.jurisdiction_id) or "")
            for k in await admin.list_api_keys(info.context.caller)
        ]
