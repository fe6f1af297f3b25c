"""Sign-in to the pages, in process: the login form, the session cookie, CSRF, logout, password
change and the lockout's messages. The browser tests (test_browser.py) walk the pages themselves."""

from __future__ import annotations

import re
from typing import Any

from tests.helpers import data

DEMO_PASSWORD = "lianxin-demo"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def _sign_in(client: Any, username: str, password: str = DEMO_PASSWORD) -> Any:
    form = await client.get("/app/login")
    return await client.post(
        "/app/login",
        data={"username": username, "password": password, "csrf_token": _csrf(form.text)},
    )


async def test_login_form_is_labelled_in_chinese(client: Any) -> None:
    page = await client.get("/app/login")
    assert page.status_code == 200
    assert '<label for="username">用户名</label>' in page.text
    assert '<label for="password">密码</label>' in page.text
    assert '<button type="submit">登录</button>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_pages_need_a_session(client: Any) -> None:
    answer = await client.get("/app/desk")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/app/login")


async def test_session_cookie_is_httponly_and_samesite(client: Any) -> None:
    answer = await _sign_in(client, "worker-xiagang")
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "lianxin_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # demo mode, served over plain http on loopback
    desk = await client.get("/app/desk")
    assert desk.status_code == 200 and "驿站前台" in desk.text


async def test_wrong_password_says_so_in_chinese(client: Any) -> None:
    answer = await _sign_in(client, "worker-xiagang", "not the password")
    assert answer.status_code == 400
    assert "用户名或密码错误" in answer.text


async def test_lockout_message_in_chinese(client: Any) -> None:
    for _ in range(5):
        await _sign_in(client, "deputy", "wrong wrong wrong")
    answer = await _sign_in(client, "deputy")
    assert answer.status_code == 429
    assert "登录失败次数过多" in answer.text and "秒后再试" in answer.text


async def test_login_post_without_csrf_is_refused(client: Any) -> None:
    await client.get("/app/login")
    answer = await client.post("/app/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers or "lianxin_session=" not in answer.headers["set-cookie"]


async def test_forged_post_without_csrf_changes_nothing(client: Any, gql: Any) -> None:
    await _sign_in(client, "chief-changan")
    ticket = data(
        await gql(
            "{ tickets(filter: {status: REGISTERED}, first: 1) { nodes { id number version } } }",
            as_user="chief-changan",
        )
    )["tickets"]["nodes"][0]
    forged = await client.post(
        f"/app/tickets/{ticket['number']}/reject",
        data={"ticket_id": ticket["id"], "version": ticket["version"], "comment": "forged"},
    )
    assert forged.status_code == 403
    assert "CSRF" in forged.text
    wrong = await client.post(
        f"/app/tickets/{ticket['number']}/reject",
        data={
            "ticket_id": ticket["id"],
            "version": ticket["version"],
            "comment": "x",
            "csrf_token": "0" * 64,
        },
    )
    assert wrong.status_code == 403
    after = data(
        await gql("query($n: String!) { ticket(number: $n) { status version } }", {"n": ticket["number"]})
    )["ticket"]
    assert after == {"status": "REGISTERED", "version": ticket["version"]}


async def test_logout_ends_the_session(client: Any) -> None:
    await _sign_in(client, "bureau")
    home = await client.get("/app")
    answer = await client.post("/app/logout", data={"csrf_token": _csrf(home.text)})
    assert answer.status_code == 303
    cookie = client.cookies.get("lianxin_session")
    assert not cookie
    assert (await client.get("/app")).status_code == 303


async def test_change_password_ends_sessions_and_the_new_one_works(client: Any) -> None:
    await _sign_in(client, "deputy2")
    page = await client.get("/app/password")
    token = _csrf(page.text)
    wrong = await client.post(
        "/app/password",
        data={
            "csrf_token": token,
            "current_password": "not it at all",
            "new_password": "a new long password",
            "confirm_password": "a new long password",
        },
    )
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    short = await client.post(
        "/app/password",
        data={
            "csrf_token": token,
            "current_password": DEMO_PASSWORD,
            "new_password": "short",
            "confirm_password": "short",
        },
    )
    assert short.status_code == 400 and "newPassword" in short.text
    done = await client.post(
        "/app/password",
        data={
            "csrf_token": token,
            "current_password": DEMO_PASSWORD,
            "new_password": "a new long password",
            "confirm_password": "a new long password",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/app/login"
    assert (await _sign_in(client, "deputy2")).status_code == 400
    assert (await _sign_in(client, "deputy2", "a new long password")).status_code == 303


async def test_shatou_worker_gets_a_clear_404_for_a_xiagang_ticket(client: Any, gql: Any) -> None:
    number = data(await gql("{ tickets(first: 1) { nodes { number } } }", as_user="worker-xiagang"))[
        "tickets"
    ]["nodes"][0]["number"]
    await _sign_in(client, "worker-xiagang")
    assert (await client.get(f"/app/tickets/{number}")).status_code == 200
    client.cookies.clear()
    await _sign_in(client, "worker-shatou")
    page = await client.get(f"/app/tickets/{number}")
    assert page.status_code == 404
    assert "无权查看" in page.text and "王" not in page.text
