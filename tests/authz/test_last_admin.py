"""Two admins acting against each other at the same moment never leave the city without one."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers import data

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  ... on LoginSuccess { token } ... on LoginError { message } } }"""
CREATE_USER = """mutation($i: CreateUserInput!) { createUser(input: $i) { __typename } }"""
GRANT = """mutation($i: RoleGrantInput!) { grantRole(input: $i) { __typename } }"""
REVOKE = """mutation($i: RoleGrantInput!) { revokeRole(input: $i) { __typename
  ... on ValidationError { fields { field code message } } } }"""
SET_ACTIVE = """mutation($u: String!, $a: Boolean!) { setUserActive(username: $u, active: $a) { __typename
  ... on ValidationError { fields { field code message } } } }"""
ADMINS = "{ roleGrants { subject role jurisdictionCode } users { username active } }"


async def _city_id(gql: Any) -> str:
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))
    return str(city["jurisdictions"]["nodes"][0]["id"])


async def _active_admins(gql: Any, token: str) -> set[str]:
    seen = data(await gql(ADMINS, token=token))
    active = {u["username"] for u in seen["users"] if u["active"]}
    return {
        g["subject"][5:]
        for g in seen["roleGrants"]
        if g["role"] == "admin" and g["jurisdictionCode"] == "dongguan" and g["subject"][5:] in active
    }


@pytest.fixture
async def second_admin(gql: Any) -> AsyncIterator[tuple[str, str]]:
    """(username, token) of a second admin in the city made for one test; afterwards the demo
    `admin` is an active admin again (its cached token renewed if it was ended) and this one is not."""
    from server.auth.models import User
    from server.authz.engine import bump_version, engine
    from server.authz.models import CasbinRule
    from tests import conftest

    city = await _city_id(gql)
    name, password = f"admin-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16)
    assert data(
        await gql(
            CREATE_USER, {"i": {"username": name, "displayName": name, "password": password}}, as_user="admin"
        )
    )["createUser"] == {"__typename": "UserPayload"}
    grant = {"username": name, "role": "admin", "jurisdictionId": city}
    assert data(await gql(GRANT, {"i": grant}, as_user="admin"))["grantRole"] == {
        "__typename": "RoleGrantPayload"
    }
    token = data(await gql(LOGIN, {"u": name, "p": password}, as_user=None))["login"]["token"]
    try:
        yield name, token
    finally:
        # put the demo admin back as it was, whatever the test did (or failed to prevent)
        await CasbinRule.get_or_create(ptype="g", v0="user:admin", v1="admin", v2="dongguan")
        if not await User.filter(username="admin", active=True).exists():
            await User.filter(username="admin").update(active=True)
            conftest._TOKENS.pop("admin", None)  # its sessions were ended
        await CasbinRule.filter(ptype="g", v0=f"user:{name}").delete()
        await User.filter(username=name).update(active=False)
        await bump_version()
        await engine.reload()


async def test_two_admins_revoking_each_other_at_once_leave_one(
    gql: Any, second_admin: tuple[str, str]
) -> None:
    name, token = second_admin
    city = await _city_id(gql)
    admin_token = await gql.token("admin")
    assert await _active_admins(gql, admin_token) == {"admin", name}, "the test needs exactly two admins"
    results = await asyncio.gather(
        gql(REVOKE, {"i": {"username": name, "role": "admin", "jurisdictionId": city}}, token=admin_token),
        gql(REVOKE, {"i": {"username": "admin", "role": "admin", "jurisdictionId": city}}, token=token),
    )
    answers = [data(r)["revokeRole"] for r in results]
    # One wins. The other is refused as LAST_ADMIN, or, when the first revocation committed before
    # the second was authorized, as FORBIDDEN: its sender is no longer an admin.
    kinds = sorted(a["__typename"] for a in answers)
    assert kinds in (["RoleGrantPayload", "ValidationError"], ["ForbiddenError", "RoleGrantPayload"]), answers
    refused = next(a for a in answers if a["__typename"] != "RoleGrantPayload")
    if refused["__typename"] == "ValidationError":
        assert refused["fields"][0]["code"] == "LAST_ADMIN"
    survivor = admin_token if answers[0]["__typename"] == "RoleGrantPayload" else token
    assert len(await _active_admins(gql, survivor)) == 1


async def test_two_admins_deactivating_each_other_at_once_leave_one(
    gql: Any, second_admin: tuple[str, str]
) -> None:
    name, token = second_admin
    admin_token = await gql.token("admin")
    assert await _active_admins(gql, admin_token) == {"admin", name}, "the test needs exactly two admins"
    results = await asyncio.gather(
        gql(SET_ACTIVE, {"u": name, "a": False}, token=admin_token),
        gql(SET_ACTIVE, {"u": "admin", "a": False}, token=token),
    )
    answers = [data(r)["setUserActive"] for r in results]
    assert sorted(a["__typename"] for a in answers) == ["UserPayload", "ValidationError"], answers
    refused = next(a for a in answers if a["__typename"] == "ValidationError")
    assert refused["fields"][0]["code"] == "LAST_ADMIN"
    survivor = admin_token if answers[0]["__typename"] == "UserPayload" else token
    assert len(await _active_admins(gql, survivor)) == 1


async def test_revoking_one_admin_while_the_other_is_deactivated_leaves_one(
    gql: Any, second_admin: tuple[str, str]
) -> None:
    name, token = second_admin
    city = await _city_id(gql)
    admin_token = await gql.token("admin")
    results = await asyncio.gather(
        gql(REVOKE, {"i": {"username": name, "role": "admin", "jurisdictionId": city}}, token=admin_token),
        gql(SET_ACTIVE, {"u": "admin", "a": False}, token=token),
    )
    answers = [data(results[0])["revokeRole"], data(results[1])["setUserActive"]]
    # One wins. The other is refused as LAST_ADMIN, or, when the revocation committed before the
    # deactivation was authorized, as FORBIDDEN: its sender is no longer an admin.
    kinds = sorted(a["__typename"] for a in answers)
    assert kinds in (
        ["RoleGrantPayload", "ValidationError"],
        ["UserPayload", "ValidationError"],
        ["ForbiddenError", "RoleGrantPayload"],
    ), answers
    survivor = admin_token if answers[0]["__typename"] == "RoleGrantPayload" else token
    assert len(await _active_admins(gql, survivor)) == 1
