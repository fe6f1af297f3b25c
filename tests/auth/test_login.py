from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt

from tests.helpers import data, error_codes

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  __typename ... on LoginSuccess { token expiresAt me { username roles { role jurisdictionCode } } }
  ... on LoginError { message code retryAfterSeconds } } }"""

ME = (
    "{ me { username kind roles { role roleLabel jurisdiction { name } } "
    "permissions { object action everywhere jurisdictionCodes } } }"
)


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


async def test_an_accepted_token_is_refused_once_it_expires(gql: Any) -> None:
    """The server remembers the tokens it has checked: that must not outlive their expiry."""
    from server.settings import settings

    login = data(await gql(LOGIN, {"u": "deputy2", "p": "lianxin-demo"}, as_user=None))["login"]
    sid = jwt.decode(login["token"], options={"verify_signature": False})["sid"]
    expires = int(time.time()) + 2
    token = jwt.encode(_claims(sid=sid, sub="deputy2", exp=expires), settings.secret_key, algorithm="HS256")
    for _ in range(2):
        assert data(await gql("{ me { username } }", token=token))["me"]["username"] == "deputy2"
    await asyncio.sleep(expires - time.time() + 0.05)
    after = await gql("{ me { username } }", token=token)
    assert error_codes(after) == ["UNAUTHENTICATED"], after
    assert "expired" in after["errors"][0]["message"]


async def test_logout_revokes_the_token_at_once(gql: Any) -> None:
    token = data(await gql(LOGIN, {"u": "congress", "p": "lianxin-demo"}, as_user=None))["login"]["token"]
    assert data(await gql("{ me { username } }", token=token))["me"]["username"] == "congress"
    assert data(await gql("mutation { logout { ok } }", token=token))["logout"]["ok"] is True
    after = await gql("{ me { username } }", token=token)
    assert error_codes(after) == ["UNAUTHENTICATED"]
    assert "ended" in after["errors"][0]["message"]


CREATE_USER = """mutation($i: CreateUserInput!) { createUser(input: $i) { __typename
  ... on ValidationError { fields { field code } } } }"""


async def _new_account(gql: Any) -> tuple[str, str]:
    """An account of this test's own, so that locking it disturbs no other test."""
    name, password = f"lock-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16)
    created = data(
        await gql(
            CREATE_USER, {"i": {"username": name, "displayName": name, "password": password}}, as_user="admin"
        )
    )["createUser"]
    assert created["__typename"] == "UserPayload", created
    return name, password


def _random_address() -> str:
    """A client address of this test's own (TEST-NET-3), so the per-address count starts at zero."""
    return f"203.0.{secrets.randbelow(256)}.{secrets.randbelow(256)}"


@contextlib.asynccontextmanager
async def _clients_at(app: Any, addresses: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    """HTTP clients whose requests arrive from the given addresses."""
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                    base_url="http://testserver",
                )
            )
            for address in addresses
        ]


async def _login(http: httpx.AsyncClient, username: str, password: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": LOGIN, "variables": {"u": username, "p": password}})
    assert response.status_code == 200, response.text
    return data(response.json())["login"]


async def test_parallel_guesses_are_checked_at_most_five_times(app: Any, gql: Any) -> None:
    name, password = await _new_account(gql)
    # 30 guesses at once, each from another address so that only the account's own limit applies
    async with _clients_at(app, [_random_address() for _ in range(30)]) as clients:
        answers = await asyncio.gather(*(_login(c, name, f"wrong-{i}") for i, c in enumerate(clients)))
        codes = [a["code"] for a in answers]
        assert codes.count("INVALID_CREDENTIALS") == 5, codes
        assert codes.count("TOO_MANY_ATTEMPTS") == 25, codes
        right = await _login(clients[0], name, password)
    assert right["__typename"] == "LoginError" and right["code"] == "TOO_MANY_ATTEMPTS"
    assert right["retryAfterSeconds"] > 0 and "username" in right["message"]


async def test_a_successful_login_clears_the_account_count(app: Any, gql: Any) -> None:
    name, password = await _new_account(gql)
    async with _clients_at(app, [_random_address()]) as (http,):
        assert [(await _login(http, name, f"wrong-{i}"))["code"] for i in range(4)] == [
            "INVALID_CREDENTIALS"
        ] * 4
        assert (await _login(http, name, password))["__typename"] == "LoginSuccess"
        codes = [(await _login(http, name, f"again-{i}"))["code"] for i in range(6)]
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]


async def test_one_address_guessing_fresh_usernames_is_stopped(app: Any, gql: Any) -> None:
    from server.settings import settings

    limit = settings.login_failures_per_address
    name, password = await _new_account(gql)
    address = _random_address()
    async with _clients_at(app, [address] * (limit + 10)) as clients:
        answers = await asyncio.gather(
            *(_login(c, f"ghost-{uuid.uuid4().hex[:8]}", "guess") for c in clients)
        )
        codes = [a["code"] for a in answers]
        assert codes.count("INVALID_CREDENTIALS") == limit, codes
        assert codes.count("TOO_MANY_ATTEMPTS") == 10, codes
        refused = next(a for a in answers if a["code"] == "TOO_MANY_ATTEMPTS")
        assert "address" in refused["message"] and refused["retryAfterSeconds"] > 0
        # while the address is locked even the right password is not checked from there
        assert (await _login(clients[0], name, password))["code"] == "TOO_MANY_ATTEMPTS"
    async with _clients_at(app, [_random_address()]) as (elsewhere,):
        assert (await _login(elsewhere, name, password))["__typename"] == "LoginSuccess"


def _claims(**changes: Any) -> dict[str, Any]:
    claims = {"sub": "bureau", "sid": "x" * 32, "exp": int(time.time()) + 600, "typ": "access"}
    for key, value in changes.items():
        if value is ...:
            claims.pop(key)
        else:
            claims[key] = value
    return claims


async def test_signed_tokens_with_claims_of_the_wrong_type_are_refused_clearly(gql: Any) -> None:
    from server.settings import settings

    login = data(await gql(LOGIN, {"u": "deputy2", "p": "lianxin-demo"}, as_user=None))["login"]
    sid = jwt.decode(login["token"], options={"verify_signature": False})["sid"]
    cases = {
        "sid a number": _claims(sid=12345),
        "sid a list": _claims(sid=[sid]),
        "sid an object": _claims(sid={"id": sid}),
        "sid empty": _claims(sid=""),
        "sid with a NUL": _claims(sid="abc\x00def"),
        "sid very long": _claims(sid="s" * 10_000),
        "exp a string": _claims(exp="tomorrow"),
        "exp a list": _claims(exp=[int(time.time()) + 600]),
        "exp huge": _claims(exp=1e400),
        "nbf an object": _claims(sid=sid, sub="deputy2", nbf={"at": 1}),
        "iat a string": _claims(sid=sid, sub="deputy2", iat="now"),
        "sub missing": _claims(sid=sid, sub=...),
        "sub a number": _claims(sid=sid, sub=7),
        "sub another user": _claims(sid=sid, sub="admin"),
        "typ wrong": _claims(sid=sid, sub="deputy2", typ="refresh"),
        "typ missing": _claims(sid=sid, sub="deputy2", typ=...),
        "typ a list": _claims(sid=sid, sub="deputy2", typ=["access"]),
    }
    for label, claims in cases.items():
        token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
        result = await gql("{ me { username } }", token=token)
        assert error_codes(result) == ["UNAUTHENTICATED"], (label, result)
        message = result["errors"][0]["message"]
        assert "token" in message or "session" in message, (label, message)
    payload_not_an_object = jwt.api_jws.encode(b"[1, 2]", settings.secret_key, algorithm="HS256")
    result = await gql("{ me { username } }", token=payload_not_an_object)
    assert error_codes(result) == ["UNAUTHENTICATED"], result
    # the same session with the right claims still works
    good = jwt.encode(_claims(sid=sid, sub="deputy2"), settings.secret_key, algorithm="HS256")
    assert data(await gql("{ me { username } }", token=good))["me"]["username"] == "deputy2"
