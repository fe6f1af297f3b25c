"""Changing who may do what: role grants and policy lines, administered by admins.

Each change is validated against the vocabulary, refused if it would leave no administrator,
written with a version bump and an audit entry in one transaction, and then loaded into this
worker's enforcer (other workers notice the version on their next request).
"""

from __future__ import annotations

import casbin
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.audit.models import AuditEntry
from server.auth.models import CasbinRule, User
from server.authz.engine import CITY, MODEL_PATH, beneath, bump_version, engine
from server.authz.vocabulary import ACTIONS, OBJECTS, ROLES
from server.errors import FieldProblem, NotFound, ValidationFailed
from server.geo.models import Jurisdiction


def _invalid(field: str, message: str, code: str = "INVALID") -> ValidationFailed:
    return ValidationFailed(problems=[FieldProblem(field, message, code)])


def check_line(role: str, obj: str, act: str) -> None:
    problems = []
    if role not in ROLES:
        problems.append(
            FieldProblem("role", f"unknown role {role!r}; known: {', '.join(ROLES)}", "UNKNOWN_ROLE")
        )
    if obj not in OBJECTS:
        problems.append(
            FieldProblem("object", f"unknown object {obj!r}; known: {', '.join(OBJECTS)}", "UNKNOWN_OBJECT")
        )
    if act not in ACTIONS:
        problems.append(
            FieldProblem("action", f"unknown action {act!r}; known: {', '.join(ACTIONS)}", "UNKNOWN_ACTION")
        )
    if problems:
        raise ValidationFailed(problems=problems)


async def _admins_remain(policy: list[list[str]], grants: list[list[str]]) -> bool:
    enforcer = casbin.Enforcer(str(MODEL_PATH))
    enforcer.add_named_domain_matching_func("g", beneath)
    if policy:
        enforcer.add_policies(policy)
    if grants:
        enforcer.add_grouping_policies(grants)
    active = set(await User.filter(active=True).values_list("username", flat=True))
    subjects = {g[0] for g in grants if g[0].startswith("user:") and g[0][5:] in active}
    return any(enforcer.enforce(s, CITY, "policy", "update") for s in subjects)


async def _audit(
    actor: str, operation: str, before: dict | None, after: dict | None, request_id: str
) -> None:
    await AuditEntry.create(
        actor=actor,
        operation=operation,
        object_type="Policy",
        object_id="-",
        before=before,
        after=after,
        request_id=request_id,
    )


async def _jurisdiction_code(jurisdiction_id: int) -> str:
    code = await Jurisdiction.filter(id=jurisdiction_id).values_list("code", flat=True)
    if not code:
        raise NotFound("Jurisdiction", jurisdiction_id)
    return str(code[0])


async def grant_in_transaction(subject: str, role: str, jurisdiction_id: int) -> None:
    """Write a grant inside the caller's transaction (used when creating API keys)."""
    code = await _jurisdiction_code(jurisdiction_id)
    await CasbinRule.get_or_create(ptype="g", v0=subject, v1=role, v2=code)
    await bump_version()


async def grant_role(
    username: str, role: str, jurisdiction_id: int, *, actor: str, request_id: str = ""
) -> list[str]:
    if role not in ROLES:
        raise _invalid("role", f"unknown role {role!r}; known: {', '.join(ROLES)}", "UNKNOWN_ROLE")
    if not await User.exists(username=username):
        raise NotFound("User", username)
    code = await _jurisdiction_code(jurisdiction_id)
    line = [f"user:{username}", role, code]
    if line in engine.grant_lines():
        raise _invalid("role", f"{username} already holds {role} in {code}", "DUPLICATE")
    try:
        async with in_transaction():
            await CasbinRule.create(ptype="g", v0=line[0], v1=role, v2=code)
            await bump_version()
            await _audit(actor, "grantRole", None, {"grant": line}, request_id)
    except IntegrityError:  # the same grant made at the same moment by another request
        raise _invalid("role", f"{username} already holds {role} in {code}", "DUPLICATE") from None
    await engine.reload()
    return line


async def revoke_role(
    username: str, role: str, jurisdiction_id: int, *, actor: str, request_id: str = ""
) -> list[str]:
    code = await _jurisdiction_code(jurisdiction_id)
    line = [f"user:{username}", role, code]
    grants = engine.grant_lines()
    if line not in grants:
        raise NotFound("RoleGrant", f"{username} {role} {code}")
    if not await _admins_remain(engine.policy_lines(), [g for g in grants if g != line]):
        raise _invalid("role", "refused: after this no one could administer users and policies", "LAST_ADMIN")
    async with in_transaction():
        if not await CasbinRule.filter(ptype="g", v0=line[0], v1=role, v2=code).delete():
            raise NotFound("RoleGrant", f"{username} {role} {code}")  # revoked meanwhile by another request
        await bump_version()
        await _audit(actor, "revokeRole", {"grant": line}, None, request_id)
    await engine.reload()
    return line


async def add_policy_line(role: str, obj: str, act: str, *, actor: str, request_id: str = "") -> list[str]:
    check_line(role, obj, act)
    line = [role, obj, act]
    if line in engine.policy_lines():
        raise _invalid("action", f"the line {', '.join(line)} already exists", "DUPLICATE")
    try:
        async with in_transaction():
            await CasbinRule.create(ptype="p", v0=role, v1=obj, v2=act)
            await bump_version()
            await _audit(actor, "addPolicyLine", None, {"line": line}, request_id)
    except IntegrityError:  # the same line added at the same moment by another request
        raise _invalid("action", f"the line {', '.join(line)} already exists", "DUPLICATE") from None
    await engine.reload()
    return line


async def remove_policy_line(role: str, obj: str, act: str, *, actor: str, request_id: str = "") -> list[str]:
    check_line(role, obj, act)
    line = [role, obj, act]
    policy = engine.policy_lines()
    if line not in policy:
        raise NotFound("PolicyLine", ", ".join(line))
    if not await _admins_remain([p for p in policy if p != line], engine.grant_lines()):
        raise _invalid(
            "action", "refused: after this no one could administer users and policies", "LAST_ADMIN"
        )
    async with in_transaction():
        if not await CasbinRule.filter(ptype="p", v0=role, v1=obj, v2=act).delete():
            raise NotFound("PolicyLine", ", ".join(line))  # removed meanwhile by another request
        await bump_version()
        await _audit(actor, "removePolicyLine", {"line": line}, None, request_id)
    await engine.reload()
    return line


async def admins_remain_without(username: str) -> bool:
    """Would an administrator remain if `username` were deactivated?"""
    grants = [g for g in engine.grant_lines() if g[0] != f"user:{username}"]
    return await _admins_remain(engine.policy_lines(), grants)
