"""Policy administration through GraphQL: in force at once, validated, never leaving no admin."""

from __future__ import annotations

from typing import Any

from tests.helpers import data, error_codes, gid

ADD = """mutation($i: PolicyLineInput!) { addPolicyLine(input: $i) { __typename
  ... on PolicyLinePayload { line { role object action } }
  ... on ValidationError { code fields { field code } } ... on ForbiddenError { code } } }"""
REMOVE = ADD.replace("addPolicyLine", "removePolicyLine")
GRANT = """mutation($i: RoleGrantInput!) { grantRole(input: $i) { __typename
  ... on RoleGrantPayload { grant { subject role jurisdictionCode } }
  ... on ValidationError { code fields { field code } } ... on NotFoundError { code objectType }
  ... on ForbiddenError { code } } }"""
REVOKE = GRANT.replace("grantRole", "revokeRole")


async def test_a_policy_line_added_by_admin_changes_the_next_answer(gql: Any) -> None:
    line = {"role": "community-worker", "object": "staff", "action": "read"}
    before = await gql("{ staff { totalCount } }", as_user="worker-xiagang")
    assert error_codes(before) == ["FORBIDDEN"]
    added = data(await gql(ADD, {"i": line}, as_user="admin"))["addPolicyLine"]
    assert added == {"__typename": "PolicyLinePayload", "line": line}
    try:
        after = data(
            await gql("{ staff { totalCount nodes { jurisdiction { code } } } }", as_user="worker-xiagang")
        )
        assert after["staff"]["totalCount"] == len(after["staff"]["nodes"]) > 0
        assert {n["jurisdiction"]["code"] for n in after["staff"]["nodes"]} == {"dongguan/changan/xiagang"}
    finally:
        removed = data(await gql(REMOVE, {"i": line}, as_user="admin"))["removePolicyLine"]
        assert removed["__typename"] == "PolicyLinePayload"
    again = await gql("{ staff { totalCount } }", as_user="worker-xiagang")
    assert error_codes(again) == ["FORBIDDEN"]


async def test_policy_lines_naming_unknown_words_are_refused_and_change_nothing(gql: Any) -> None:
    lines_before = data(await gql("{ policyLines { role object action } }", as_user="admin"))["policyLines"]
    for bad, field, code in (
        ({"role": "emperor", "object": "ticket", "action": "read"}, "role", "UNKNOWN_ROLE"),
        ({"role": "deputy", "object": "ticket", "action": "obliterate"}, "action", "UNKNOWN_ACTION"),
        ({"role": "deputy", "object": "spaceship", "action": "read"}, "object", "UNKNOWN_OBJECT"),
        ({"role": "deputy", "object": "ticket", "action": "read"}, "action", "DUPLICATE"),
    ):
        result = data(await gql(ADD, {"i": bad}, as_user="admin"))["addPolicyLine"]
        assert result["__typename"] == "ValidationError", result
        assert {"field": field, "code": code} in result["fields"]
    lines_after = data(await gql("{ policyLines { role object action } }", as_user="admin"))["policyLines"]
    assert lines_after == lines_before


async def test_only_admins_administer(gql: Any) -> None:
    line = {"role": "deputy", "object": "ticket_personal", "action": "read"}
    for user in ("bureau", "deputy", "worker-xiagang"):
        result = data(await gql(ADD, {"i": line}, as_user=user))["addPolicyLine"]
        assert result == {"__typename": "ForbiddenError", "code": "FORBIDDEN"}
        assert error_codes(await gql("{ policyLines { role } }", as_user=user)) == ["FORBIDDEN"]


async def test_grant_and_revoke_a_role_in_a_jurisdiction(gql: Any) -> None:
    humen = data(await gql('{ jurisdictions(filter: {level: TOWN, search: "Humen"}) { nodes { id } } }'))
    humen_id = humen["jurisdictions"]["nodes"][0]["id"]
    grant = {"username": "chief-changan", "role": "area-chief", "jurisdictionId": humen_id}
    count = "{ tickets { totalCount } }"
    before = data(await gql(count, as_user="chief-changan"))["tickets"]["totalCount"]
    assert (
        data(await gql(GRANT, {"i": grant}, as_user="admin"))["grantRole"]["__typename"] == "RoleGrantPayload"
    )
    try:
        during = data(await gql(count, as_user="chief-changan"))["tickets"]["totalCount"]
        humen_count = data(await gql(count, as_user="chief-humen"))["tickets"]["totalCount"]
        assert during == before + humen_count
    finally:
        revoked = data(await gql(REVOKE, {"i": grant}, as_user="admin"))["revokeRole"]
        assert revoked["__typename"] == "RoleGrantPayload"
    assert data(await gql(count, as_user="chief-changan"))["tickets"]["totalCount"] == before

    bad = data(await gql(GRANT, {"i": {**grant, "role": "overlord"}}, as_user="admin"))["grantRole"]
    assert bad["fields"] == [{"field": "role", "code": "UNKNOWN_ROLE"}]
    nobody = data(await gql(GRANT, {"i": {**grant, "username": "nobody"}}, as_user="admin"))["grantRole"]
    assert nobody == {"__typename": "NotFoundError", "code": "NOT_FOUND", "objectType": "User"}
    nowhere = data(
        await gql(GRANT, {"i": {**grant, "jurisdictionId": gid("Jurisdiction", 99999)}}, as_user="admin")
    )["grantRole"]
    assert nowhere["__typename"] == "NotFoundError"


async def test_a_change_that_would_leave_no_admin_is_refused(gql: Any) -> None:
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))
    city_id = city["jurisdictions"]["nodes"][0]["id"]
    revoke = data(
        await gql(
            REVOKE, {"i": {"username": "admin", "role": "admin", "jurisdictionId": city_id}}, as_user="admin"
        )
    )["revokeRole"]
    assert revoke["__typename"] == "ValidationError" and revoke["fields"][0]["code"] == "LAST_ADMIN"
    remove = data(
        await gql(REMOVE, {"i": {"role": "admin", "object": "policy", "action": "update"}}, as_user="admin")
    )["removePolicyLine"]
    assert remove["__typename"] == "ValidationError" and remove["fields"][0]["code"] == "LAST_ADMIN"
    deactivate = data(
        await gql(
            'mutation { setUserActive(username: "admin", active: false) { __typename '
            "... on ValidationError { fields { code } } } }",
            as_user="admin",
        )
    )["setUserActive"]
    assert deactivate == {"__typename": "ValidationError", "fields": [{"code": "LAST_ADMIN"}]}
    assert data(await gql("{ policyLines { role } }", as_user="admin"))["policyLines"]


async def test_policy_changes_are_audited(gql: Any) -> None:
    from server.audit.models import AuditEntry

    line = {"role": "deputy", "object": "posting", "action": "read"}
    before = await AuditEntry.filter(object_type="Policy").count()
    data(await gql(ADD, {"i": line}, as_user="admin"))
    data(await gql(REMOVE, {"i": line}, as_user="admin"))
    entries = await AuditEntry.filter(object_type="Policy").order_by("-id").limit(2)
    assert await AuditEntry.filter(object_type="Policy").count() == before + 2
    assert [e.operation for e in entries] == ["removePolicyLine", "addPolicyLine"]
    assert entries[1].actor == "admin" and entries[1].after == {"line": ["deputy", "posting", "read"]}


SET_ACTIVE = """mutation($u: String!, $a: Boolean!) { setUserActive(username: $u, active: $a) {
  __typename ... on UserPayload { user { username active } } } }"""


async def test_activation_is_a_versioned_step_audited_without_the_password_hash(gql: Any) -> None:
    from server.audit.models import AuditEntry
    from server.auth.models import User

    version = (await User.get(username="liaison")).version
    for active in (False, True):
        answer = data(await gql(SET_ACTIVE, {"u": "liaison", "a": active}, as_user="admin"))["setUserActive"]
        assert answer == {"__typename": "UserPayload", "user": {"username": "liaison", "active": active}}
    assert (await User.get(username="liaison")).version == version + 2
    entries = await AuditEntry.filter(operation="setUserActive").order_by("-id").limit(2)
    assert [(e.before["active"], e.after["active"]) for e in entries] == [(False, True), (True, False)]
    assert [e.after["version"] for e in entries] == [version + 2, version + 1]
    assert all("password_hash" not in e.before and "password_hash" not in e.after for e in entries)
