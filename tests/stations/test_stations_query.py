from __future__ import annotations

from typing import Any

from tests.conftest import count_sql
from tests.helpers import data, error_codes

ACCEPTANCE = """{
  a: stations(filter: {kind: SERVICE_STATION, status: OPERATING}) { totalCount }
  b: stations(filter: {kind: COMMUNITY_WORKSTATION, status: OPERATING}) { totalCount }
  t: jurisdictions(filter: {level: TOWN}) { totalCount }
}"""


async def test_demo_figures_of_january_2022(gql: Any) -> None:
    d = data(await gql(ACCEPTANCE))
    assert (d["a"]["totalCount"], d["b"]["totalCount"], d["t"]["totalCount"]) == (113, 116, 33)


async def _town_id(gql: Any, name_en: str) -> str:
    d = data(
        await gql(
            "query($s: String) { jurisdictions(filter: {level: TOWN, search: $s}) { nodes { id nameEn } } }",
            {"s": name_en},
        )
    )
    [town] = [n for n in d["jurisdictions"]["nodes"] if n["nameEn"] == name_en]
    return str(town["id"])


async def test_filter_by_jurisdiction_includes_everything_beneath(gql: Any) -> None:
    changan = await _town_id(gql, "Chang'an")
    d = data(
        await gql(
            """query($j: ID!) { stations(filter: {jurisdictionId: $j}, first: 500) {
             totalCount nodes { jurisdiction { id parent { id } } } } }""",
            {"j": changan},
        )
    )
    nodes = d["stations"]["nodes"]
    assert d["stations"]["totalCount"] == len(nodes) > 0
    for n in nodes:
        j = n["jurisdiction"]
        assert changan in (j["id"], (j["parent"] or {}).get("id"))
    everywhere = data(await gql("{ stations { totalCount } }"))["stations"]["totalCount"]
    assert everywhere > len(nodes)


async def test_filter_by_amenity_function_text_and_order(gql: Any) -> None:
    d = data(
        await gql(
            """{ wifi: stations(filter: {amenity: PUBLIC_WIFI}, first: 500) { totalCount nodes { amenities } }
             all: stations { totalCount }
             dispatch: stations(filter: {function: COMMAND_DISPATCH}, first: 500) { nodes { functions } }
             xiagang: stations(filter: {search: "厦岗"}) { nodes { name address } }
             byName: stations(order: NAME_DESC, first: 5) { nodes { name } } }"""
        )
    )
    wifi = d["wifi"]["nodes"]
    assert 0 < d["wifi"]["totalCount"] == len(wifi) < d["all"]["totalCount"]
    assert all("PUBLIC_WIFI" in n["amenities"] for n in wifi)
    assert d["dispatch"]["nodes"] and all(
        "COMMAND_DISPATCH" in n["functions"] for n in d["dispatch"]["nodes"]
    )
    assert d["xiagang"]["nodes"]
    assert all("厦岗" in n["name"] + n["address"] for n in d["xiagang"]["nodes"])
    names = [n["name"] for n in d["byName"]["nodes"]]
    assert names == sorted(names, reverse=True)


async def test_cursor_pagination_walks_without_overlap(gql: Any) -> None:
    q = """query($after: String) { stations(first: 40, after: $after, filter: {status: OPERATING}) {
             totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = data(await gql(q, {"after": after}))["stations"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] == 229


async def test_page_size_over_maximum_and_bad_cursor_are_errors(gql: Any) -> None:
    too_big = await gql("{ stations(first: 100000) { totalCount } }")
    assert error_codes(too_big) == ["BAD_USER_INPUT"]
    assert "at most" in too_big["errors"][0]["message"]
    bad_cursor = await gql('{ stations(after: "not-a-cursor") { totalCount } }')
    assert error_codes(bad_cursor) == ["BAD_USER_INPUT"]
    negative = await gql("{ stations(first: -1) { totalCount } }")
    assert error_codes(negative) == ["BAD_USER_INPUT"]


async def test_unknown_enum_and_malformed_id_in_filter(gql: Any) -> None:
    unknown = await gql("{ stations(filter: {kind: SPACESHIP}) { totalCount } }")
    assert unknown["errors"] and unknown.get("data") is None
    bad_id = await gql('{ stations(filter: {jurisdictionId: "xyz"}) { totalCount } }')
    assert error_codes(bad_id) == ["BAD_USER_INPUT"]


NESTED = """query($n: Int) { stations(first: $n) { edges { node {
  jurisdiction { parent { name } } postings { staff { name } } } } } }"""


async def test_nested_relations_cost_the_same_sql_for_10_and_100_stations(gql: Any) -> None:
    counts = {}
    for n in (10, 100):
        with count_sql() as sql:
            d = data(await gql(NESTED, {"n": n}))
        assert len(d["stations"]["edges"]) == n
        counts[n] = sql.count
    assert counts[10] == counts[100], counts
    # auth + page + jurisdictions + parents + postings + staff
    assert counts[100] <= 6, counts


async def test_station_with_postings_and_staff(gql: Any) -> None:
    d = data(
        await gql(
            """{ stations(filter: {search: "厦岗", kind: SERVICE_STATION}) { nodes {
             name kind kindLabel status statusLabel restAreaShare floorArea restArea
             postings { role roleLabel active staff { name department { name } } } } } }"""
        )
    )
    station = d["stations"]["nodes"][0]
    assert station["kindLabel"] == "城市服务驿站" and station["statusLabel"] == "运营中"
    assert station["restAreaShare"] >= 0.6
    assert station["postings"], "the Xiagang station has staff posted"
    assert all(p["staff"]["name"] for p in station["postings"])


STATION_POSTINGS = """{ stations(first: 500) { nodes { code postings { jurisdiction { code } } } } }"""


def _postings_refused_on_every_station(result: dict[str, Any]) -> None:
    nodes = result["data"]["stations"]["nodes"]
    assert nodes and all(n["postings"] is None for n in nodes)
    refused = [e for e in result["errors"] if e["path"][-1] == "postings"]
    assert len(refused) == len(nodes) == len(result["errors"])
    assert {e["extensions"]["code"] for e in refused} == {"FORBIDDEN"}


async def test_station_postings_are_refused_to_a_deputy_who_reads_no_postings(gql: Any) -> None:
    _postings_refused_on_every_station(await gql(STATION_POSTINGS, as_user="deputy"))


async def test_station_postings_are_refused_to_a_station_scoped_data_sharing_key(gql: Any) -> None:
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))
    created = data(
        await gql(
            """mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) {
             ... on ApiKeyCreated { key } } }""",
            {
                "i": {
                    "name": "住建局数据共享",
                    "scopes": ["station"],
                    "jurisdictionId": city["jurisdictions"]["nodes"][0]["id"],
                }
            },
            as_user="admin",
        )
    )
    _postings_refused_on_every_station(await gql(STATION_POSTINGS, token=created["createApiKey"]["key"]))


async def test_station_postings_stay_filtered_where_postings_are_read_somewhere(gql: Any) -> None:
    """A community worker reads postings in its own community only: its stations' lists are
    there, holding just those."""
    result = await gql(STATION_POSTINGS, as_user="worker-xiagang")
    assert "errors" not in result, result["errors"]
    nodes = data(result)["stations"]["nodes"]
    assert nodes and all(n["postings"] is not None for n in nodes)
    seen = [p["jurisdiction"]["code"] for n in nodes for p in n["postings"]]
    assert seen and all(code.startswith("dongguan/changan/xiagang") for code in seen)
