"""The deputies picker: reference data, searched by name or delegation, paginated like every list."""

from __future__ import annotations

from typing import Any

from tests.helpers import data, error_codes

DEPUTIES = """query($f: DeputyFilter, $first: Int, $after: String) {
  deputies(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id name delegation jurisdiction { code } } } }"""


async def test_search_by_name_and_pages(gql: Any) -> None:
    d = data(await gql(DEPUTIES, {"f": {"search": "示例代表"}}, as_user="deputy"))["deputies"]
    names = [n["name"] for n in d["nodes"]]
    assert {"示例代表", "示例代表二"} <= set(names) and d["totalCount"] == len(names)
    first = data(await gql(DEPUTIES, {"f": {"search": "示例代表"}, "first": 1}, as_user="deputy"))["deputies"]
    assert len(first["nodes"]) == 1 and first["pageInfo"]["hasNextPage"]
    rest = data(
        await gql(
            DEPUTIES,
            {"f": {"search": "示例代表"}, "first": 50, "after": first["pageInfo"]["endCursor"]},
            as_user="deputy",
        )
    )["deputies"]
    assert [n["name"] for n in first["nodes"] + rest["nodes"]] == names
    second = data(await gql(DEPUTIES, {"f": {"search": "代表二"}}, as_user="congress"))["deputies"]
    assert [n["name"] for n in second["nodes"]] == ["示例代表二"]
    assert data(await gql(DEPUTIES, {"f": {"search": "无此人"}}))["deputies"]["totalCount"] == 0


async def test_a_picked_deputy_co_signs(gql: Any) -> None:
    from tests.proposals import flow

    # deputy2 drafts: other tests count on `deputy` having no drafts.
    [picked] = data(await gql(DEPUTIES, {"f": {"search": "示例代表"}, "first": 1}))["deputies"]["nodes"]
    assert picked["name"] == "示例代表"
    draft = await flow.draft(gql, as_user="deputy2", cosignerIds=[picked["id"]])
    cosigners = (await flow.read(gql, draft["id"], as_user="deputy2"))["cosigners"]
    assert [c["name"] for c in cosigners] == ["示例代表"]


async def test_needs_a_login_and_bounds_the_page(gql: Any) -> None:
    assert error_codes(await gql(DEPUTIES, as_user=None)) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(DEPUTIES, {"first": 100000})) == ["BAD_USER_INPUT"]
