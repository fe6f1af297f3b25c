from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import data, error_codes, gid

# docs/domain.md, "Jurisdictions": Dongguan's 33 towns/streets/park and Chang'an's 13 communities.
STREETS = ["莞城", "南城", "东城", "万江"]
TOWNS = [
    "石碣", "石龙", "茶山", "石排", "企石", "横沥", "桥头", "谢岗", "东坑", "常平",
    "寮步", "樟木头", "大朗", "黄江", "清溪", "塘厦", "凤岗", "大岭山", "长安", "虎门",
    "厚街", "沙田", "道滘", "洪梅", "麻涌", "望牛墩", "中堂", "高埗",
]  # fmt: skip
PARK = "松山湖"
CHANGAN_COMMUNITIES = [
    "上角", "厦边", "厦岗", "上沙", "沙头", "乌沙", "锦厦",
    "新民", "上涌头", "咸西", "长盛", "宵边", "新安",
]  # fmt: skip

FIELDS = "id code name nameEn level townKind generatedName levelLabel parent { id name }"


async def _jurisdictions(gql: Any, filter: dict[str, Any], first: int = 500) -> dict[str, Any]:
    result = await gql(
        f"""query($f: JurisdictionFilter, $n: Int) {{ jurisdictions(filter: $f, first: $n) {{
              totalCount nodes {{ {FIELDS} }} }} }}""",
        {"f": filter, "n": first},
    )
    return dict(data(result)["jurisdictions"])


async def _all(gql: Any, filter: dict[str, Any]) -> list[dict[str, Any]]:
    """Every matching jurisdiction, page by page (a page holds at most 500)."""
    q = f"""query($f: JurisdictionFilter, $after: String) {{ jurisdictions(filter: $f, first: 500,
              after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {FIELDS} }} }} }}"""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = data(await gql(q, {"f": filter, "after": after}))["jurisdictions"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def _one(gql: Any, search: str, level: str) -> dict[str, Any]:
    nodes = (await _jurisdictions(gql, {"search": search, "level": level}))["nodes"]
    [node] = [n for n in nodes if search in (n["name"], n["nameEn"])]
    return dict(node)


async def test_the_city_is_the_single_root(gql: Any) -> None:
    city = await _jurisdictions(gql, {"level": "CITY"})
    assert city["totalCount"] == 1
    [dongguan] = city["nodes"]
    assert dongguan["name"] == "东莞市" and dongguan["nameEn"] == "Dongguan"
    assert dongguan["parent"] is None and dongguan["townKind"] is None
    assert dongguan["generatedName"] is False


async def test_the_33_towns_streets_and_park_have_their_real_names(gql: Any) -> None:
    towns = await _jurisdictions(gql, {"level": "TOWN"})
    assert towns["totalCount"] == len(towns["nodes"]) == 33
    by_name = {n["name"]: n for n in towns["nodes"]}
    expected = {f"{n}街道": "STREET" for n in STREETS} | {f"{n}镇": "TOWN" for n in TOWNS}
    for name, kind in expected.items():
        assert name in by_name, name
        assert by_name[name]["townKind"] == kind, name
    [park] = [n for n in towns["nodes"] if n["name"].startswith(PARK)]
    assert park["townKind"] == "PARK"
    assert len(expected) + 1 == 33
    city_id = (await _jurisdictions(gql, {"level": "CITY"}))["nodes"][0]["id"]
    for town in towns["nodes"]:
        assert town["parent"]["id"] == city_id
        assert town["level"] == "TOWN" and town["generatedName"] is False
    kinds = [n["townKind"] for n in towns["nodes"]]
    assert (kinds.count("STREET"), kinds.count("TOWN"), kinds.count("PARK")) == (4, 28, 1)
    assert by_name["长安镇"]["nameEn"] == "Chang'an"


async def test_changan_has_its_13_real_communities_by_parent(gql: Any) -> None:
    changan = await _one(gql, "长安镇", "TOWN")
    children = await _jurisdictions(gql, {"parentId": changan["id"]})
    assert children["totalCount"] == 13
    names = {n["name"] for n in children["nodes"]}
    assert names == {f"{n}社区" for n in CHANGAN_COMMUNITIES}
    assert "厦岗社区" in names
    for node in children["nodes"]:
        assert node["level"] == "COMMUNITY"
        assert node["generatedName"] is False
        assert node["townKind"] is None
        assert node["parent"] == {"id": changan["id"], "name": "长安镇"}
        assert node["code"].startswith(changan["code"] + "/")
    # parentId combines with the other conditions
    only_xiagang = await _jurisdictions(gql, {"parentId": changan["id"], "search": "厦岗"})
    assert [n["name"] for n in only_xiagang["nodes"]] == ["厦岗社区"]


async def test_within_is_the_town_and_everything_beneath(gql: Any) -> None:
    changan = await _one(gql, "长安镇", "TOWN")
    within = await _jurisdictions(gql, {"withinId": changan["id"]})
    ids = {n["id"] for n in within["nodes"]}
    assert within["totalCount"] == len(ids) == 1 + 13
    assert changan["id"] in ids
    children = await _jurisdictions(gql, {"parentId": changan["id"]})
    assert ids == {changan["id"]} | {n["id"] for n in children["nodes"]}
    communities_only = await _jurisdictions(gql, {"withinId": changan["id"], "level": "COMMUNITY"})
    assert communities_only["totalCount"] == 13

    city = (await _jurisdictions(gql, {"level": "CITY"}))["nodes"][0]
    everything = data(await gql("{ jurisdictions { totalCount } }"))["jurisdictions"]["totalCount"]
    assert (await _jurisdictions(gql, {"withinId": city["id"]}, first=1))["totalCount"] == everything


async def test_search_chinese_and_english_names(gql: Any) -> None:
    chinese = await _jurisdictions(gql, {"search": "长安"})
    assert "长安镇" in [n["name"] for n in chinese["nodes"]]
    assert all("长安" in n["name"] or "长安" in n["nameEn"] for n in chinese["nodes"])

    english = await _jurisdictions(gql, {"search": "Chang'an"})
    assert "长安镇" in [n["name"] for n in english["nodes"]]

    # English search does not depend on case
    lower = await _jurisdictions(gql, {"search": "xiagang"})
    assert [n["name"] for n in lower["nodes"]] == ["厦岗社区"]

    park = await _jurisdictions(gql, {"search": "松山湖", "level": "TOWN"})
    assert [n["townKind"] for n in park["nodes"]] == ["PARK"]
    assert park["nodes"][0]["nameEn"] == "Songshan Lake"

    nothing = await _jurisdictions(gql, {"search": "巴黎 Paris"})
    assert nothing == {"totalCount": 0, "nodes": []}


async def test_children_and_parent_walk_the_tree(gql: Any) -> None:
    d = data(
        await gql("""{ jurisdictions(filter: {level: CITY}) { nodes { name children { name level } } } }""")
    )
    [city] = d["jurisdictions"]["nodes"]
    assert len(city["children"]) == 33
    assert {c["level"] for c in city["children"]} == {"TOWN"}
    assert "长安镇" in {c["name"] for c in city["children"]}

    xiagang = await _one(gql, "厦岗社区", "COMMUNITY")
    d = data(
        await gql(
            """query($id: ID!) { node(id: $id) { ... on Jurisdiction { name children { name }
                 parent { name level children { name } parent { name level parent { name } } } } } }""",
            {"id": xiagang["id"]},
        )
    )
    node = d["node"]
    assert node["name"] == "厦岗社区" and node["children"] == []
    town = node["parent"]
    assert (town["name"], town["level"]) == ("长安镇", "TOWN")
    assert {c["name"] for c in town["children"]} == {f"{n}社区" for n in CHANGAN_COMMUNITIES}
    assert town["parent"] == {"name": "东莞市", "level": "CITY", "parent": None}


async def test_level_label_of_the_city(gql: Any) -> None:
    city = (await _jurisdictions(gql, {"level": "CITY"}))["nodes"][0]
    assert city["levelLabel"] == "市"


async def test_level_labels_of_towns_and_communities(gql: Any) -> None:
    town = await _one(gql, "长安镇", "TOWN")
    community = await _one(gql, "厦岗社区", "COMMUNITY")
    assert town["levelLabel"] == "镇街/园区"
    assert community["levelLabel"] == "村/社区"


async def test_other_towns_have_plainly_generated_community_names(gql: Any) -> None:
    humen = await _one(gql, "虎门镇", "TOWN")
    communities = await _jurisdictions(gql, {"parentId": humen["id"]})
    assert communities["totalCount"] > 0
    names = [n["name"] for n in communities["nodes"]]
    assert "虎门镇示例社区3" in names
    for node in communities["nodes"]:
        assert node["generatedName"] is True, node
        assert re.fullmatch(r"虎门镇示例社区\d+", node["name"]), node["name"]
        assert "sample" in node["nameEn"].lower(), node["nameEn"]

    all_communities = await _all(gql, {"level": "COMMUNITY"})
    # "about 600" villages and communities in Dongguan
    assert 500 <= len(all_communities) <= 700
    real = [n for n in all_communities if not n["generatedName"]]
    # the only real community names at hand are Chang'an's
    assert {n["name"] for n in real} == {f"{n}社区" for n in CHANGAN_COMMUNITIES}
    for node in all_communities:
        if node["generatedName"]:
            assert "示例" in node["name"], node["name"]


async def test_pagination_walks_the_towns_without_overlap(gql: Any) -> None:
    q = """query($after: String) { jurisdictions(filter: {level: TOWN}, first: 10, after: $after) {
             totalCount pageInfo { hasNextPage endCursor } nodes { id } } }"""
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = data(await gql(q, {"after": after}))["jurisdictions"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 33


BAD_IDS = {
    "malformed parentId": {"parentId": "not-an-id"},
    "malformed withinId": {"withinId": "%%%"},
    "parentId of another type": {"parentId": gid("Station", 1)},
    "withinId of another type": {"withinId": gid("Ticket", 1)},
}


@pytest.mark.parametrize("case", BAD_IDS, ids=list(BAD_IDS))
async def test_bad_ids_are_bad_user_input(gql: Any, case: str) -> None:
    result = await gql(
        "query($f: JurisdictionFilter) { jurisdictions(filter: $f) { totalCount } }", {"f": BAD_IDS[case]}
    )
    assert error_codes(result) == ["BAD_USER_INPUT"], result
    assert result["data"] == {"jurisdictions": None}


async def test_unknown_jurisdiction_id_matches_nothing(gql: Any) -> None:
    for field in ("parentId", "withinId"):
        result = await _jurisdictions(gql, {field: gid("Jurisdiction", 999_999)})
        assert result == {"totalCount": 0, "nodes": []}


async def test_needs_a_login(gql: Any) -> None:
    result = await gql("{ jurisdictions { totalCount } }", as_user=None)
    assert error_codes(result) == ["UNAUTHENTICATED"]
