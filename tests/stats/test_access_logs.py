"""Reads of citizens' personal data and uses of data-sharing keys are recorded and readable by admins."""

from __future__ import annotations

from typing import Any

from tests.helpers import data, error_codes

READS = """query($n: String) { personalDataReads(ticketNumber: $n, first: 50) { totalCount
  nodes { actor ticketNumber fieldsRead at requestId } } }"""


async def test_every_read_of_a_phone_is_logged_and_only_admins_see_the_log(gql: Any) -> None:
    number = "DG-20220110-000001"
    before = data(await gql(READS, {"n": number}, as_user="admin"))["personalDataReads"]["totalCount"]
    got = data(
        await gql(
            "query($n: String!) { ticket(number: $n) { reporterName reporterPhone } }",
            {"n": number},
            as_user="chief-changan",
        )
    )["ticket"]
    assert got["reporterName"] == "王先生"
    log = data(await gql(READS, {"n": number}, as_user="admin"))["personalDataReads"]
    assert log["totalCount"] == before + 1
    assert log["nodes"][0]["actor"] == "chief-changan"
    assert log["nodes"][0]["fieldsRead"] == "reporter_name,reporter_phone"
    # a refused read (deputy: no ticket_personal) is not a read
    await gql("query($n: String!) { ticket(number: $n) { reporterPhone } }", {"n": number}, as_user="deputy")
    assert (
        data(await gql(READS, {"n": number}, as_user="admin"))["personalDataReads"]["totalCount"]
        == before + 1
    )
    assert error_codes(await gql(READS, {"n": number}, as_user="bureau")) == ["FORBIDDEN"]


async def test_key_use_is_logged_and_rate_limited(gql: Any, monkeypatch: Any) -> None:
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))["jurisdictions"][
        "nodes"
    ][0]
    created = data(
        await gql(
            """mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) {
              ... on ApiKeyCreated { key apiKey { prefix } } } }""",
            {"i": {"name": "rate test", "scopes": ["station"], "jurisdictionId": city["id"]}},
            as_user="admin",
        )
    )["createApiKey"]
    key, prefix = created["key"], created["apiKey"]["prefix"]
    monkeypatch.setattr("server.settings.settings", _with_limit(3))
    monkeypatch.setattr("server.pipeline.settings", _with_limit(3))
    answers = [await gql("query Stations { stations { totalCount } }", token=key) for _ in range(4)]
    assert [error_codes(a) for a in answers] == [[], [], [], ["RATE_LIMITED"]]
    uses = data(
        await gql(
            "query($p: String) { apiKeyUses(prefix: $p) { nodes { interface operation allowed } } }",
            {"p": prefix},
            as_user="admin",
        )
    )["apiKeyUses"]["nodes"]
    assert [(u["interface"], u["operation"]) for u in uses] == [("graphql", "Stations")] * 4
    assert [u["allowed"] for u in uses] == [False, True, True, True]  # newest first


def _with_limit(n: int) -> Any:
    import dataclasses

    from server.settings import settings

    # One window for the whole test, wherever the clock stands: windows start at multiples of
    # their length, and the current one of 10⁹ seconds began in 2001.
    return dataclasses.replace(settings, api_key_requests_per_minute=n, rate_limit_window_seconds=10**9)
