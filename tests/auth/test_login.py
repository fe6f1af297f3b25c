from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from tests.helpers import data, error_codes

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  __typename ... on LoginSuccess { token expiresAt me { username roles { role jurisdictionCode } } }
  ... on LoginError { message code retryAfterSeconds } } }"""

ME = "{ me { username kind roles { role roleLabel jurisdiction { name } } permissions { object action everywhere jurisdictionCodes } } }"


async def test_login_and_me(gql: Any) -> None:
    result = data(await gql(LOGIN, {"u": "chief-changan", "p": "lianxin-demo"}, as_user=None))["login"]
    assert result["__typename"] == "LoginSuccess"
    assert result["me"]["roles"] == [{"role": "area-chief", "jurisdictionCode": "dongguan/changan"}]
    me = data(await gql(ME, token=result["token"]))["me"]
    assert me["username"] == "chief-changan" and me["kind"] == "USER"
    assert me["roles"][0]["jurisdiction"]["name"] == "长安镇" and me["roles"][0]["roleLabel"] == "城管片长"
    perms = {(p["object"], p["action"]): p for p in me["permissions"]}
    assert perms[("ticket", "dispatch")]["jurisdictionCodes"] == ["dongguan/changan"]
    assert not perms[("ticket", "dispatch")]["everywhere"]
    assert ("station", "create") not in perms


async def test_unknown_user_and_wrong_password_answer_the_same(gql: Any) -> None:
    unknown = data(await gql(LOGIN, {"u": f"ghost-{uuid.uuid4().hex[:6]}", "p": "x"}, as_user=None))["login"]
    wrong = data(await gql(LOGIN, {"u": "deputy2", "p": "wrong-password"}, as_user=None))["login"]
    assert (
        unknown
        == wrong
        == {
            "__typename": "LoginError",
            "message": "Unknown username or wrong password.",
            "code": "INVALID_CREDENTIALS",
            "retryAfterSeconds": None,
        }
    )


async def test_repeated_failures_are_throttled(gql: Any) -> None:
    name = f"guess-{uuid.uuid4().hex[:6]}"
    codes = [
        data(await gql(LOGIN, {"u": name, "p": f"pw{i}"}, as_user=None))["login"]["code"] for i in range(6)
    ]
    assert codes[:5] == ["INVALID_CREDENTIALS"] * 5
    assert codes[5] == "TOO_MANY_ATTEMPTS"
    again = data(await gql(LOGIN, {"u": name, "p": "pw"}, as_user=None))["login"]
    assert again["retryAfterSeconds"] > 0


async def test_bad_tokens_are_refused_clearly(gql: Any) -> None:
    from server.settings import settings

    now = int(time.time())
    expired = jwt.encode({"sub": "bureau", "sid": "x", "exp": now - 10, "typ": "access"}, settings.secret_key)
    forged = jwt.encode(
        {"sub": "bureau", "sid": "x", "exp": now + 600, "typ": "access"},
        "not-the-key-but-long-enough-for-hmac-sha256-xx",
    )
    unknown_session = jwt.encode(
        {"sub": "bureau", "sid": "nope", "exp": now + 600, "typ": "access"}, settings.secret_key
    )
    cases = {
        "malformed": "abc.def",
        "expired": expired,
        "forged": forged,
        "no such session": unknown_session,
    }
    messages = {}
    for label, token in cases.items():
        result = await gql("{ stations { totalCount } }", token=token)
        assert error_codes(result) == ["UNAUTHENTICATED"], (label, result)
        messages[label] = result["errors"][0]["message"]
    assert "expired" in messages["expired"]
    assert "signature" in messages["forged"] or "malformed" in messages["forged"]
    bad_scheme = await gql.raw("{ stations { totalCount } }", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert error_codes(bad_scheme) == ["UNAUTHENTICATED"]


async def test_logout_revokes_the_token_at_once(gql: Any) -> None:
    token = data(await gql(LOGIN, {"u": "congress", "p": "lianxin-demo"}, as_user=None))["login"]["token"]
    assert data(await gql("{ me { username } }", token=token))["me"]["username"] == "congress"
    assert data(await gql("mutation { logout { ok } }", token=token))["logout"]["ok"] is True
    after = await gql("{ me { username } }", token=token)
    assert error_codes(after) == ["UNAUTHENTICATED"]
    assert "ended" in after["errors"][0]["message"]
