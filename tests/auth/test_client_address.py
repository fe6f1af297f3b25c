"""The address a login is counted under is the socket's: a client cannot pick another one with
X-Forwarded-For unless it is a proxy named in LIANXIN_FORWARDED_ALLOW_IPS."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.servers import serve, stop, wait_ready

LOGIN = """mutation($u: String!) { login(username: $u, password: "not-the-password") {
  __typename ... on LoginError { code } } }"""


@pytest.fixture
def server_with(database_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    proc, address = serve(database_url, env={"LIANXIN_LOGIN_FAILURES_PER_ADDRESS": "2", **request.param})
    try:
        wait_ready(address, proc)
        yield address
    finally:
        stop(proc)


def _guesses(address: str) -> list[str]:
    """Three wrong passwords for fresh usernames, each claiming another forwarded address."""
    codes = []
    for _ in range(3):
        response = httpx.post(
            f"http://{address}/graphql",
            json={"query": LOGIN, "variables": {"u": f"nobody-{secrets.token_hex(4)}"}},
            headers={"X-Forwarded-For": f"198.51.100.{secrets.randbelow(250) + 1}"},
            timeout=30,
        )
        codes.append(response.json()["data"]["login"]["code"])
    return codes


@pytest.mark.parametrize("server_with", [{}], indirect=True)
def test_a_client_cannot_choose_its_address_with_x_forwarded_for(server_with: str) -> None:
    codes = _guesses(server_with)
    assert "TOO_MANY_ATTEMPTS" in codes, codes  # all counted under 127.0.0.1, whose limit is 2


@pytest.mark.parametrize("server_with", [{"LIANXIN_FORWARDED_ALLOW_IPS": "127.0.0.1"}], indirect=True)
def test_a_named_proxy_passes_on_its_clients_addresses(server_with: str) -> None:
    assert _guesses(server_with) == ["INVALID_CREDENTIALS"] * 3  # three clients, one guess each
