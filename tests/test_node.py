from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.helpers import data, error_codes, gid

NODE = """query($id: ID!) { node(id: $id) {
  __typename id
  ... on Jurisdiction { name level }
  ... on Department { code name departmentKind: kind }
  ... on Staff { name title }
  ... on Posting { role staff { name } }
  ... on Station { code name stationKind: kind }
  ... on Proposal { number title }
  ... on Deputy { name delegation }
  ... on Ticket { number source }
  ... on TicketCategory { code name }
  ... on HandlingTask { title progress }
} }"""

SAMPLES = """{
  jurisdictions(filter: {search: "长安镇", level: TOWN}) { nodes { id name level } }
  departments(filter: {kind: BUREAU}) { nodes { id code name departmentKind: kind } }
  staff(filter: {search: "长安镇城管片长"}) { nodes { id name title postings { id role staff { name } } } }
  stations(filter: {search: "长安镇厦岗社区城市服务驿站"}) { nodes { id code name stationKind: kind } }
  proposals(filter: {search: "16-6-0015"}) { nodes { id number title author { id name delegation }
                                                     tasks { id title progress } } }
  tickets(first: 1) { nodes { id number source category { id code name } } }
}"""


async def _samples(gql: Any) -> dict[str, dict[str, Any]]:
    """One object of each node type, as the lists return it."""
    d = data(await gql(SAMPLES))
    [proposal] = d["proposals"]["nodes"]
    [ticket] = d["tickets"]["nodes"]
    [chief] = d["staff"]["nodes"]
    samples = {
        "Jurisdiction": d["jurisdictions"]["nodes"][0],
        "Department": d["departments"]["nodes"][0],
        "Staff": {k: chief[k] for k in ("id", "name", "title")},
        "Posting": chief["postings"][0],
        "Station": d["stations"]["nodes"][0],
        "Proposal": {k: proposal[k] for k in ("id", "number", "title")},
        "Deputy": proposal["author"],
        "Ticket": {k: ticket[k] for k in ("id", "number", "source")},
        "TicketCategory": ticket["category"],
    }
    if proposal["tasks"]:
        samples["HandlingTask"] = proposal["tasks"][0]
    return samples


async def test_node_returns_each_type_with_its_fields(gql: Any) -> None:
    samples = await _samples(gql)
    assert "HandlingTask" in samples, "the closed demo proposal has a task breakdown table"
    for type_name, expected in samples.items():
        result = await gql(NODE, {"id": expected["id"]})
        node = data(result)["node"]
        assert node is not None, type_name
        assert node["__typename"] == type_name
        assert node == {"__typename": type_name, **expected}, type_name


async def test_node_ids_name_their_type(gql: Any) -> None:
    from strawberry.relay import GlobalID

    for type_name, expected in (await _samples(gql)).items():
        assert GlobalID.from_id(expected["id"]).type_name == type_name


async def test_node_of_every_type_in_one_request(gql: Any) -> None:
    samples = await _samples(gql)
    query = (
        "{ "
        + " ".join(f'n{i}: node(id: "{s["id"]}") {{ __typename id }}' for i, s in enumerate(samples.values()))
        + " }"
    )
    d = data(await gql(query))
    assert [d[f"n{i}"]["__typename"] for i in range(len(samples))] == list(samples)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


MISSING = {
    "unknown pk": gid("Station", 999_999),
    "unknown ticket pk": gid("Ticket", 999_999),
    "unknown type name": gid("Spaceship", 1),
    "type name of a non-node type": gid("ProposalEvent", 1),
    "root type name": gid("Query", 1),
    "type name in the wrong case": gid("station", 1),
    "malformed": "garbage",
    "empty": "",
    "not base64": "%%%%",
    "base64 without a colon": _b64("Station"),
    "non-numeric pk": _b64("Station:abc"),
    "negative pk": gid("Station", -1),
    "zero pk": gid("Station", 0),
}


@pytest.mark.parametrize("case", MISSING, ids=list(MISSING))
async def test_unknown_or_malformed_id_is_null_with_not_found(gql: Any, client: Any, case: str) -> None:
    response = await client.post(
        "/graphql",
        json={"query": NODE, "variables": {"id": MISSING[case]}},
        headers={"Authorization": f"Bearer {await gql.token('bureau')}"},
    )
    assert response.status_code == 200
    result = response.json()
    assert result["data"] == {"node": None}
    assert error_codes(result) == ["NOT_FOUND"]
    assert result["errors"][0]["path"] == ["node"]


async def test_a_pk_too_large_for_the_database_is_not_found(gql: Any) -> None:
    result = await gql(NODE, {"id": gid("Station", 10**30)})
    assert result["data"] == {"node": None}
    assert error_codes(result) == ["NOT_FOUND"]


async def test_objects_the_caller_may_not_see_are_not_found(gql: Any) -> None:
    samples = await _samples(gql)
    # A deputy reads no staff, postings or tickets' personal data, but does read stations
    staff = await gql(NODE, {"id": samples["Staff"]["id"]}, as_user="deputy")
    assert staff["data"] == {"node": None} and error_codes(staff) == ["NOT_FOUND"]
    posting = await gql(NODE, {"id": samples["Posting"]["id"]}, as_user="deputy")
    assert posting["data"] == {"node": None} and error_codes(posting) == ["NOT_FOUND"]
    station = data(await gql(NODE, {"id": samples["Station"]["id"]}, as_user="deputy"))
    assert station["node"]["__typename"] == "Station"

    # Humen's chief sees nothing of Chang'an's staff or stations-bound postings
    for type_name in ("Staff", "Posting"):
        other_town = await gql(NODE, {"id": samples[type_name]["id"]}, as_user="chief-humen")
        assert other_town["data"] == {"node": None}, type_name
        assert error_codes(other_town) == ["NOT_FOUND"]
    own_town = data(await gql(NODE, {"id": samples["Staff"]["id"]}, as_user="chief-changan"))
    assert own_town["node"]["name"] == "长安镇城管片长"


async def test_node_needs_a_login(gql: Any) -> None:
    samples = await _samples(gql)
    result = await gql(NODE, {"id": samples["Station"]["id"]}, as_user=None)
    assert result["data"] == {"node": None}
    assert error_codes(result) == ["UNAUTHENTICATED"]
