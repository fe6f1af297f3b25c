"""Changing who may do what: role grants and policy lines, administered by admins.

Each change is validated against the vocabulary, written with a version bump and an audit entry
in one transaction, and then loaded into this worker's enforcer (other workers notice the version
on their next request). A change that could leave no administrator (revoking a grant, removing a
policy line, deactivating a user, reloading policy.csv) takes the policy lock first, makes its
change, then counts the administrators from the database inside the same transaction and rolls
back if none is left: two admins revoking each other at once cannot both succeed.
"""

from __future__ import annotations

import casbin
from tortoise import timezone
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.audit.models import AuditEntry
from server.auth.models import AuthSession, User
from server.authz.adapter import COLUMNS
from server.authz.engine import CITY, MODEL_PATH, beneath, bump_version, engine, lock_policy
from server.authz.models import CasbinRule
from server.authz.vocabulary import ACTIONS, OBJECTS, ROLES
from server.caller import Caller
from server.errors import FieldProblem, NotFound, ValidationFailed
from server.geo.models import Jurisdiction
from server.workflow_step import write_step


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


LAST_ADMIN_MESSAGE = "refused: after this no one could administer users and policies"


async def _admins_remain() -> bool:
    """Does an active user still hold policy:update in the city, by what the database holds now?

    Call inside the change's transaction, after bump_version() or lock_policy(), so that the
    answer includes every change committed before this one.
    """
    enforcer = casbin.Enforcer(str(MODEL_PATH))
    enforcer.add_named_domain_matching_func("g", beneath)
    rows = await CasbinRule.all().order_by("id").values_list("ptype", *COLUMNS)
    policy = [[v for v in values if v != ""] for ptype, *values in rows if ptype == "p"]
    grants = [[v for v in values if v != ""] for ptype, *values in rows if ptype == "g"]
    if policy:
        enforcer.add_policies(policy)
    if grants:
        enforcer.add_grouping_policies(grants)
    active = set(await User.filter(active=True).values_list("username", flat=True))
    subjects = {g[0] for g in grants if g[0].startswith("user:") and g[0][5:] in active}
    return any(enforcer.enforce(s, CITY, "policy", "update") for s in subjects)


async def _audit(caller: Caller, operation: str, before: dict | None, after: dict | None) -> None:
    await AuditEntry.create(
        actor=caller.actor,
        operation=operation,
        object_type="Policy",
        object_id="-",
        before=before,
        after=after,
        request_id=caller.request_id,
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


async def grant_role(username: str, role: str, jurisdiction_id: int, *, caller: Caller) -> list[str]:
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
            await _audit(caller, "grantRole", None, {"grant": line})
    except IntegrityError:  # the same grant made at the same moment by another request
        raise _invalid("role", f"{username} already holds {role} in {code}", "DUPLICATE") from None
    await engine.reload()
    return line


async def revoke_role(username: str, role: str, jurisdiction_id: int, *, caller: Caller) -> list[str]:
    code = await _jurisdiction_code(jurisdiction_id)
    line = [f"user:{username}", role, code]
    async with in_transaction():
        await bump_version()  # first: the lock that orders this change after any other
        if not await CasbinRule.filter(ptype="g", v0=line[0], v1=role, v2=code).delete():
            raise NotFound("RoleGrant", f"{username} {role} {code}")
        if not await _admins_remain():
            raise _invalid("role", LAST_ADMIN_MESSAGE, "LAST_ADMIN")  # rolls the delete back
        await _audit(caller, "revokeRole", {"grant": line}, None)
    await engine.reload()
    return line


async def add_policy_line(role: str, obj: str, act: str, *, caller: Caller) -> list[str]:
    check_line(role, obj, act)
    line = [role, obj, act]
    if line in engine.policy_lines():
        raise _invalid("action", f"the line {', '.join(line)} already exists", "DUPLICATE")
    try:
        async with in_transaction():
            await CasbinRule.create(ptype="p", v0=role, v1=obj, v2=act)
            await bump_version()
            await _audit(caller, "addPolicyLine", None, {"line": line})
    except IntegrityError:  # the same line added at the same moment by another request
        raise _invalid("action", f"the line {', '.join(line)} already exists", "DUPLICATE") from None
    await engine.reload()
    return line


async def remove_policy_line(role: str, obj: str, act: str, *, caller: Caller) -> list[str]:
    check_line(role, obj, act)
    line = [role, obj, act]
    async with in_transaction():
        await bump_version()  # first: the lock that orders this change after any other
        if not await CasbinRule.filter(ptype="p", v0=role, v1=obj, v2=act).delete():
            raise NotFound("PolicyLine", ", ".join(line))
        if not await _admins_remain():
            raise _invalid("action", LAST_ADMIN_MESSAGE, "LAST_ADMIN")  # rolls the delete back
        await _audit(caller, "removePolicyLine", {"line": line}, None)
    await engine.reload()
    return line


async def set_user_active(username: str, active: bool, *, caller: Caller) -> User:
    """Activate or deactivate an account; deactivating ends its sessions and is refused when no
    active administrator would remain."""
    async with in_transaction() as conn:
        await lock_policy()  # first: deactivations and revocations are checked one after another
        # Read under the lock, so the version written against is the one in force.
        user = await User.get_or_none(username=username)
        if user is None:
            raise NotFound("User", username)
        fresh = await write_step(
            conn, user, user.version, caller, operation="setUserActive", changes={"active": active}
        )
        if not active:
            if not await _admins_remain():
                raise _invalid("active", "refused: no admin would remain", "LAST_ADMIN")
            await AuthSession.filter(user_id=user.id, revoked_at=None).update(revoked_at=timezone.now())
    return fresh


async def replace_policy_lines(lines: list[list[str]], *, caller: Caller) -> None:
    """`lianxin policy load`: the file's p lines replace the database's (grants stay); refused when
    the new lines would leave no administrator."""
    async with in_transaction():
        await bump_version()
        had_admin = await _admins_remain()  # a fresh install has none yet: nothing to keep
        await CasbinRule.filter(ptype="p").delete()
        await CasbinRule.bulk_create(
            [CasbinRule(ptype=line[0], **dict(zip(COLUMNS, line[1:], strict=False))) for line in lines]
        )
        if had_admin and not await _admins_remain():
            raise _invalid(
                "policy",
                f"{LAST_ADMIN_MESSAGE} (no active user would hold policy:update in the city)",
                "LAST_ADMIN",
            )
        await _audit(caller, "loadPolicy", None, {"lines": len(lines)})
