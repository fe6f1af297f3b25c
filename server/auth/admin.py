"""Accounts, role grants, policy lines and data-sharing keys, as an administrator changes them.

Every operation first asks the policy (user:*, policy:*, api_key:* in the city), then checks its
input, then writes with its audit entry. The policy-table writes themselves live in
server.authz.policy_admin, which the command line (an operator who holds the database already)
calls directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from server.audit.models import AuditEntry
from server.auth import service as auth
from server.auth.models import ApiKey, User
from server.authz import policy_admin
from server.authz.authorizer import Authorizer, Viewer
from server.authz.engine import CITY, current_version, engine
from server.authz.vocabulary import API_KEY_SCOPES
from server.caller import Caller
from server.errors import Forbidden, NotFound, ValidationFailed
from server.geo.models import Jurisdiction
from server.proposals.models import Deputy
from server.staff.models import Department, Staff
from server.validation import Problems


def city_id() -> int | None:
    return engine.tree.id_by_code.get(CITY)


# ---- logging in and who is asking --------------------------------------------------------------


async def logged_in(user: User) -> Authorizer:
    """The Authorizer of a user who has just logged in (or whom a command acts as), under the
    policy in force now."""
    await engine.ensure_version(await current_version())
    viewer = Viewer(
        subject=f"user:{user.username}",
        name=user.username,
        user_id=user.id,
        staff_id=user.staff_id,
        deputy_id=user.deputy_id,
        department_id=user.department_id,
        display_name=user.display_name,
    )
    return Authorizer(engine, viewer)


async def display_name(caller: Caller) -> str:
    """The caller's display name: a user's as stored, a key's name as identified."""
    viewer = caller.authz.require_viewer()
    if viewer.user_id is None:
        return viewer.name
    if viewer.display_name is not None:  # read with the session, in the same statement
        return viewer.display_name
    names = await User.filter(id=viewer.user_id).values_list("display_name", flat=True)
    return str(names[0]) if names else viewer.name


# ---- reading -----------------------------------------------------------------------------------


async def list_users(caller: Caller) -> list[User]:
    caller.authz.require("user", "read", city_id())
    return await User.all().order_by("username")


async def list_api_keys(caller: Caller) -> list[ApiKey]:
    caller.authz.require("api_key", "read", city_id())
    return await ApiKey.all().order_by("id")


# ---- role grants and policy lines --------------------------------------------------------------


async def grant_role(caller: Caller, username: str, role: str, jurisdiction_id: int) -> list[str]:
    caller.authz.require("policy", "update", city_id())
    return await policy_admin.grant_role(username, role, jurisdiction_id, caller=caller)


async def revoke_role(caller: Caller, username: str, role: str, jurisdiction_id: int) -> list[str]:
    caller.authz.require("policy", "update", city_id())
    return await policy_admin.revoke_role(username, role, jurisdiction_id, caller=caller)


async def add_policy_line(caller: Caller, role: str, obj: str, act: str) -> list[str]:
    caller.authz.require("policy", "update", city_id())
    return await policy_admin.add_policy_line(role, obj, act, caller=caller)


async def remove_policy_line(caller: Caller, role: str, obj: str, act: str) -> list[str]:
    caller.authz.require("policy", "update", city_id())
    return await policy_admin.remove_policy_line(role, obj, act, caller=caller)


# ---- accounts ----------------------------------------------------------------------------------


@dataclass
class NewUser:
    username: str
    display_name: str
    password: str
    staff_id: int | None = None
    deputy_id: int | None = None
    department_id: int | None = None


def check_new_user(caller: Caller, data: NewUser) -> Problems:
    """The account's own fields; its references are checked when they are decoded."""
    caller.authz.require("user", "create", city_id())
    problems = Problems()
    problems.text("username", data.username, max_length=64, required=True)
    problems.text("displayName", data.display_name, max_length=100, required=True)
    if len(data.password) < 12:
        problems.add("password", "must be at least 12 characters", "TOO_SHORT")
    elif len(data.password) > 1024:
        problems.add("password", "must be at most 1024 characters", "TOO_LONG")
    if data.username.strip() != data.username or " " in data.username:
        problems.add("username", "must not contain spaces", "INVALID")
    return problems


async def create_user(caller: Caller, data: NewUser, problems: Problems | None = None) -> User:
    """`problems` are those check_new_user found (given when the caller checked before decoding
    the references)."""
    problems = check_new_user(caller, data) if problems is None else problems
    if not problems and await User.exists(username=data.username):
        problems.add("username", f"{data.username!r} is taken", "DUPLICATE")
    if problems:
        raise ValidationFailed(problems=list(problems))
    refs: dict[str, Any] = {
        "staff_id": data.staff_id,
        "deputy_id": data.deputy_id,
        "department_id": data.department_id,
    }
    password_hash = await auth.hash_password(data.password)  # before the transaction: slow
    async with in_transaction():
        user = await User.create(
            username=data.username, display_name=data.display_name, password_hash=password_hash, **refs
        )
        await AuditEntry.create(
            actor=caller.actor,
            operation="createUser",
            object_type="User",
            object_id=str(user.id),
            before=None,
            after={"username": user.username, **refs},
            request_id=caller.request_id,
        )
    return user


async def set_user_active(caller: Caller, username: str, active: bool) -> User:
    caller.authz.require("user", "update", city_id())
    return await policy_admin.set_user_active(username, active, caller=caller)


# ---- data-sharing keys -------------------------------------------------------------------------


@dataclass
class NewKey:
    name: str
    scopes: list[str]
    jurisdiction_id: int
    department_id: int | None = None
    expires_in_days: int = 365


def check_new_key(caller: Caller, data: NewKey) -> Problems:
    """The key's own fields; its references are checked once these are valid."""
    caller.authz.require("api_key", "create", city_id())
    problems = Problems()
    problems.text("name", data.name, max_length=100, required=True)
    unknown = sorted(set(data.scopes) - set(API_KEY_SCOPES))
    if unknown:
        problems.add(
            "scopes", f"unknown scopes {unknown}; known: {', '.join(API_KEY_SCOPES)}", "UNKNOWN_SCOPE"
        )
    if not data.scopes:
        problems.add("scopes", "name at least one thing the key may read", "REQUIRED")
    if not 1 <= data.expires_in_days <= 3650:
        problems.add("expiresInDays", "must be between 1 and 3650", "OUT_OF_RANGE")
    return problems


async def create_api_key(caller: Caller, data: NewKey, problems: Problems | None = None) -> auth.NewApiKey:
    """`problems` are those check_new_key found (given when the caller checked before decoding
    the references, so that all of them are reported together)."""
    problems = check_new_key(caller, data) if problems is None else problems
    if problems:
        raise ValidationFailed(problems=list(problems))
    if not await Jurisdiction.exists(id=data.jurisdiction_id):
        raise NotFound("Jurisdiction", data.jurisdiction_id)
    if data.department_id is not None and not await Department.exists(id=data.department_id):
        raise NotFound("Department", data.department_id)
    created = await auth.create_api_key(
        name=data.name,
        scopes=data.scopes,
        jurisdiction_id=data.jurisdiction_id,
        department_id=data.department_id,
        days=data.expires_in_days,
        created_by=caller.actor,
    )
    await AuditEntry.create(
        actor=caller.actor,
        operation="createApiKey",
        object_type="ApiKey",
        object_id=created.key.prefix,
        before=None,
        after={"name": data.name, "scopes": sorted(data.scopes)},
        request_id=caller.request_id,
    )
    await engine.reload()
    return created


async def revoke_api_key(caller: Caller, prefix: str) -> ApiKey:
    caller.authz.require("api_key", "update", city_id())
    key = await auth.revoke_api_key(prefix)
    if key is None:
        raise NotFound("ApiKey", prefix)
    await AuditEntry.create(
        actor=caller.actor,
        operation="revokeApiKey",
        object_type="ApiKey",
        object_id=prefix,
        before=None,
        after={"revoked": True},
        request_id=caller.request_id,
    )
    return key


async def own_staff(caller: Caller) -> Staff | None:
    """The staff member the caller's account belongs to: readable by the caller whatever its scopes
    for other people's records."""
    viewer = caller.viewer
    if viewer is None or viewer.staff_id is None:
        return None
    return await Staff.get_or_none(id=viewer.staff_id)


async def own_deputy(caller: Caller) -> Deputy | None:
    """The deputy the caller's account belongs to."""
    viewer = caller.viewer
    if viewer is None or viewer.deputy_id is None:
        return None
    return await Deputy.get_or_none(id=viewer.deputy_id)


async def own_department(caller: Caller) -> Department | None:
    """The unit the caller's account or key acts for."""
    viewer = caller.viewer
    if viewer is None or viewer.department_id is None:
        return None
    return await Department.get_or_none(id=viewer.department_id)


async def change_password(caller: Caller, current: str, new: str) -> None:
    """A signed-in person changes their own password. The current one is checked under the same
    per-username throttle as a login (a stolen session cannot guess it faster), and every session
    of the account ends with the change, so one left open elsewhere stops working."""
    viewer = caller.authz.require_viewer()
    if viewer.user_id is None:
        raise Forbidden("Only a signed-in person has a password; keys have none.")
    problems = Problems()
    if len(new) < 12:
        problems.add("newPassword", "must be at least 12 characters", "TOO_SHORT")
    elif len(new) > 1024:
        problems.add("newPassword", "must be at most 1024 characters", "TOO_LONG")
    elif new == current:
        problems.add("newPassword", "must differ from the current password", "UNCHANGED")
    if problems:
        raise ValidationFailed(problems=list(problems))
    await auth.check_own_password(viewer.user_id, viewer.name, current)
    password_hash = await auth.hash_password(new)  # before the transaction: slow
    async with in_transaction():
        await auth.set_password(viewer.user_id, password_hash)
        await AuditEntry.create(
            actor=caller.actor,
            operation="changePassword",
            object_type="User",
            object_id=str(viewer.user_id),
            before=None,
            after={"sessionsEnded": True},
            request_id=caller.request_id,
        )
