from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import data, error_codes, gid

XIAGANG_STATION = "长安镇厦岗社区城市服务驿站"

POSTING_FIELDS = """id role roleLabel startedOn endedOn note version active
  staff { id name } station { id name } jurisdiction { id name } department { id code }"""

CREATE = f"""mutation($input: CreatePostingInput!) {{ createPosting(input: $input) {{
  __typename
  ... on PostingPayload {{ posting {{ {POSTING_FIELDS} }} }}
  ... on ValidationError {{ code message fields {{ field code message }} }}
  ... on NotFoundError {{ code objectType objectId }}
  ... on ConflictError {{ code currentVersion }}
  ... on ForbiddenError {{ code message }}
}} }}"""

UPDATE = CREATE.replace("CreatePostingInput", "UpdatePostingInput").replace("createPosting", "updatePosting")


# ---- helpers ---------------------------------------------------------------------------------


async def _jurisdiction(gql: Any, name: str) -> str:
    d = data(
        await gql(
            "query($s: String) { jurisdictions(filter: {search: $s}) { nodes { id name } } }", {"s": name}
        )
    )
    [node] = [n for n in d["jurisdictions"]["nodes"] if n["name"] == name]
    return str(node["id"])


async def _station(gql: Any, name: str) -> dict[str, Any]:
    d = data(
        await gql(
            """query($s: String) { stations(filter: {search: $s}) {
                 nodes { id name jurisdiction { id name } } } }""",
            {"s": name},
        )
    )
    [node] = [n for n in d["stations"]["nodes"] if n["name"] == name]
    return dict(node)


async def _staff(gql: Any, name: str) -> dict[str, Any]:
    d = data(
        await gql(
            "query($s: String) { staff(filter: {search: $s}) { nodes { id name jurisdiction { id } } } }",
            {"s": name},
        )
    )
    [node] = [n for n in d["staff"]["nodes"] if n["name"] == name]
    return dict(node)


async def _changan_team_member(gql: Any) -> dict[str, Any]:
    changan = await _jurisdiction(gql, "长安镇")
    d = data(
        await gql(
            """query($j: ID!) { staff(filter: {jurisdictionId: $j, search: "城管队员"}, first: 1) {
                 nodes { id name } } }""",
            {"j": changan},
        )
    )
    return dict(d["staff"]["nodes"][0])


async def _department(gql: Any, code: str) -> str:
    d = data(await gql("{ departments(first: 100) { nodes { id code } } }"))
    [node] = [n for n in d["departments"]["nodes"] if n["code"] == code]
    return str(node["id"])


async def _counts() -> tuple[int, int]:
    from server.audit.models import AuditEntry
    from server.staff.models import Posting

    return await Posting.all().count(), await AuditEntry.all().count()


async def _last_audit() -> Any:
    from server.audit.models import AuditEntry

    return await AuditEntry.all().order_by("-id").first()


async def _create(gql: Any, input: dict[str, Any], as_user: str = "bureau") -> dict[str, Any]:
    return dict(data(await gql(CREATE, {"input": input}, as_user=as_user))["createPosting"])


async def _update(gql: Any, input: dict[str, Any], as_user: str = "bureau") -> dict[str, Any]:
    return dict(data(await gql(UPDATE, {"input": input}, as_user=as_user))["updatePosting"])


async def _new_posting(gql: Any) -> dict[str, Any]:
    staff = await _changan_team_member(gql)
    station = await _station(gql, XIAGANG_STATION)
    created = await _create(
        gql,
        {
            "staffId": staff["id"],
            "stationId": station["id"],
            "role": "TEAM_MEMBER",
            "startedOn": "2022-02-01",
        },
    )
    assert created["__typename"] == "PostingPayload", created
    return dict(created["posting"])


async def test_a_posting_is_active_through_its_last_day_in_dongguan(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`active` counts in the city's days: at 01:00 on 30 November in Dongguan (17:00 UTC the day
    before, when a UTC machine's date is still the 29th) a posting that ended on the 29th is over."""
    from datetime import datetime

    from server import clock

    posting = await _new_posting(gql)
    moment = datetime(2026, 11, 30, 1, 0, tzinfo=clock.CITY_TZ)
    monkeypatch.setattr(clock, "now", lambda: moment)
    for ended_on, version, active in (("2026-11-30", 1, True), ("2026-11-29", 2, False)):
        updated = await _update(gql, {"id": posting["id"], "version": version, "endedOn": ended_on})
        assert updated["__typename"] == "PostingPayload", updated
        assert (updated["posting"]["endedOn"], updated["posting"]["active"]) == (ended_on, active)
        read = data(
            await gql(
                "query($id: ID!) { node(id: $id) { ... on Posting { active } } }", {"id": posting["id"]}
            )
        )
        assert read["node"]["active"] is active


# ---- departments and staff -------------------------------------------------------------------


async def test_departments_filter_by_kind_and_search(gql: Any) -> None:
    d = data(
        await gql(
            """{ all: departments(first: 100) { totalCount nodes { kind } }
                 n: departments(filter: {kind: DEPARTMENT}, first: 100) {
                   totalCount nodes { code name kind } }
                 bureau: departments(filter: {kind: BUREAU}) {
                   nodes { code name nameEn kind jurisdiction { name } } }
                 towns: departments(filter: {kind: TOWN_GOVERNMENT}, first: 100) {
                   totalCount nodes { jurisdiction { level } } }
                 market: departments(filter: {search: "市场监督"}) { nodes { code kind } }
                 english: departments(filter: {search: "market regulation"}) { nodes { code } } }"""
        )
    )
    n = d["n"]["nodes"]
    assert n and all(x["kind"] == "DEPARTMENT" for x in n)
    assert "东莞市市场监督管理局" in [x["name"] for x in n]
    assert d["n"]["totalCount"] < d["all"]["totalCount"]
    [bureau] = d["bureau"]["nodes"]
    assert bureau["name"] == "东莞市城市管理和综合执法局" and bureau["jurisdiction"]["name"] == "东莞市"
    # one government per town, street and park
    assert d["towns"]["totalCount"] >= 33
    assert {x["jurisdiction"]["level"] for x in d["towns"]["nodes"]} == {"TOWN"}
    assert d["market"]["nodes"] == [{"code": "market", "kind": "DEPARTMENT"}]
    assert [x["code"] for x in d["english"]["nodes"]] == ["market"]


async def test_staff_filter_by_jurisdiction_within(gql: Any) -> None:
    changan = await _jurisdiction(gql, "长安镇")
    d = data(
        await gql(
            """query($j: ID!) { staff(filter: {jurisdictionId: $j}, first: 500) {
                 totalCount nodes { name jurisdiction { id parent { id } } } } }""",
            {"j": changan},
        )
    )
    nodes = d["staff"]["nodes"]
    assert d["staff"]["totalCount"] == len(nodes) > 0
    for n in nodes:
        j = n["jurisdiction"]
        assert changan in (j["id"], (j["parent"] or {}).get("id")), n
    names = {n["name"] for n in nodes}
    # the town's chief lives at the town, the Xiagang worker beneath it in the community
    assert {"长安镇城管片长", "厦岗社区工作人员"} <= names
    assert "虎门镇城管片长" not in names
    everyone = data(await gql("{ staff { totalCount } }"))["staff"]["totalCount"]
    assert everyone > len(nodes)


async def test_staff_filter_by_department_and_search(gql: Any) -> None:
    market = await _department(gql, "market")
    d = data(
        await gql(
            """query($d: ID!) {
                 market: staff(filter: {departmentId: $d}, first: 100) {
                   totalCount nodes { name department { id } } }
                 chiefs: staff(filter: {search: "片长"}, first: 100) { totalCount nodes { name title } }
                 both: staff(filter: {departmentId: $d, search: "片长"}) { totalCount } }""",
            {"d": market},
        )
    )
    assert d["market"]["nodes"]
    assert all(n["department"]["id"] == market for n in d["market"]["nodes"])
    assert "市场监管局联络员" in [n["name"] for n in d["market"]["nodes"]]
    chiefs = d["chiefs"]["nodes"]
    assert d["chiefs"]["totalCount"] >= 33
    assert all("片长" in n["name"] + n["title"] for n in chiefs)
    assert d["both"]["totalCount"] == 0


async def test_staff_is_limited_to_the_callers_jurisdiction(gql: Any) -> None:
    changan = await _jurisdiction(gql, "长安镇")
    d = data(
        await gql(
            "{ staff(first: 500) { totalCount nodes { jurisdiction { id parent { id } } } } }",
            as_user="chief-changan",
        )
    )
    assert d["staff"]["totalCount"] > 0
    for n in d["staff"]["nodes"]:
        j = n["jurisdiction"]
        assert changan in (j["id"], (j["parent"] or {}).get("id"))


@pytest.mark.parametrize("field", ["jurisdictionId", "departmentId"])
async def test_staff_filter_with_malformed_id(gql: Any, field: str) -> None:
    result = await gql(
        "query($f: StaffFilter) { staff(filter: $f) { totalCount } }", {"f": {field: "garbage"}}
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]


# ---- createPosting / updatePosting: happy path -----------------------------------------------


async def test_post_a_staff_member_to_a_station_then_end_the_posting(gql: Any) -> None:
    from server.staff.models import Posting

    staff = await _changan_team_member(gql)
    station = await _station(gql, XIAGANG_STATION)
    postings, audits = await _counts()

    created = await _create(
        gql,
        {
            "staffId": staff["id"],
            "stationId": station["id"],
            "role": "TEAM_MEMBER",
            "startedOn": "2022-02-01",
            "note": "支援厦岗驿站" + "x" * 494,  # exactly 500 characters is allowed
        },
    )
    assert created["__typename"] == "PostingPayload", created
    posting = created["posting"]
    assert posting["staff"] == staff
    assert posting["station"] == {"id": station["id"], "name": XIAGANG_STATION}
    # the patch defaults to the station's jurisdiction
    assert posting["jurisdiction"] == station["jurisdiction"]
    assert posting["role"] == "TEAM_MEMBER" and posting["roleLabel"] == "城管队员"
    assert posting["startedOn"] == "2022-02-01" and posting["endedOn"] is None
    assert posting["version"] == 1 and posting["active"] is True
    assert len(posting["note"]) == 500
    assert await _counts() == (postings + 1, audits + 1)
    entry = await _last_audit()
    pk = (await Posting.all().order_by("-id").first()).pk
    assert (entry.actor, entry.operation, entry.object_type, entry.object_id) == (
        "bureau",
        "createPosting",
        "Posting",
        str(pk),
    )
    assert entry.before is None and entry.after["station_id"] is not None

    # the posting shows on the station and on the staff member
    d = data(
        await gql(
            """query($s: ID!, $p: ID!) { s: node(id: $s) { ... on Station { postings { id } } }
                 p: node(id: $p) { ... on Posting { staff { postings { id } } } } }""",
            {"s": station["id"], "p": posting["id"]},
        )
    )
    assert posting["id"] in [p["id"] for p in d["s"]["postings"]]
    assert posting["id"] in [p["id"] for p in d["p"]["staff"]["postings"]]

    ended = await _update(gql, {"id": posting["id"], "version": 1, "endedOn": "2022-03-31"})
    assert ended["__typename"] == "PostingPayload", ended
    assert ended["posting"]["endedOn"] == "2022-03-31"
    assert ended["posting"]["version"] == 2
    assert ended["posting"]["active"] is False
    assert ended["posting"]["note"] == posting["note"]
    assert await _counts() == (postings + 1, audits + 2)
    entry = await _last_audit()
    assert (entry.operation, entry.object_id) == ("updatePosting", str(pk))
    assert entry.before["ended_on"] is None and entry.after["ended_on"] == "2022-03-31"
    assert entry.before["version"] == 1 and entry.after["version"] == 2

    stale = await _update(gql, {"id": posting["id"], "version": 1, "note": "晚到的修改"})
    assert stale["__typename"] == "ConflictError"
    assert stale["code"] == "CONFLICT" and stale["currentVersion"] == 2
    assert await _counts() == (postings + 1, audits + 2)
    row = await Posting.get(id=pk)
    assert row.version == 2 and row.note == posting["note"]

    role = await _update(gql, {"id": posting["id"], "version": 2, "role": "AREA_CHIEF", "note": ""})
    assert role["__typename"] == "PostingPayload", role
    assert (role["posting"]["role"], role["posting"]["note"], role["posting"]["version"]) == (
        "AREA_CHIEF",
        "",
        3,
    )
    assert role["posting"]["endedOn"] == "2022-03-31"  # fields not given stay as they were
    assert await _counts() == (postings + 1, audits + 3)


async def test_post_to_a_patch_containing_the_station_or_to_a_patch_alone(gql: Any) -> None:
    staff = await _changan_team_member(gql)
    station = await _station(gql, XIAGANG_STATION)
    changan = await _jurisdiction(gql, "长安镇")
    with_patch = await _create(
        gql,
        {
            "staffId": staff["id"],
            "stationId": station["id"],
            "jurisdictionId": changan,
            "role": "AREA_CHIEF",
            "startedOn": "2022-02-01",
        },
    )
    assert with_patch["__typename"] == "PostingPayload", with_patch
    assert with_patch["posting"]["jurisdiction"] == {"id": changan, "name": "长安镇"}
    assert with_patch["posting"]["station"]["id"] == station["id"]

    humen = await _jurisdiction(gql, "虎门镇")
    patch_only = await _create(
        gql,
        {"staffId": staff["id"], "jurisdictionId": humen, "role": "AREA_CHIEF", "startedOn": "2022-02-01"},
    )
    assert patch_only["__typename"] == "PostingPayload", patch_only
    assert patch_only["posting"]["station"] is None
    assert patch_only["posting"]["jurisdiction"]["name"] == "虎门镇"


async def test_department_liaison_names_its_department(gql: Any) -> None:
    liaison = await _staff(gql, "市场监管局联络员")
    station = await _station(gql, XIAGANG_STATION)
    market = await _department(gql, "market")
    city = await _jurisdiction(gql, "东莞市")
    created = await _create(
        gql,
        {
            "staffId": liaison["id"],
            "stationId": station["id"],
            "jurisdictionId": city,
            "departmentId": market,
            "role": "DEPARTMENT_LIAISON",
            "startedOn": "2022-02-01",
        },
    )
    assert created["__typename"] == "PostingPayload", created
    assert created["posting"]["department"] == {"id": market, "code": "market"}
    assert created["posting"]["roleLabel"] == "部门联络员"


# ---- bad input: typed errors that write nothing ----------------------------------------------


async def _bad_create_cases(gql: Any) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """name → (input, expected subset of the answer)."""
    staff = (await _changan_team_member(gql))["id"]
    station = (await _station(gql, XIAGANG_STATION))["id"]
    humen = await _jurisdiction(gql, "虎门镇")
    shatou = await _jurisdiction(gql, "沙头社区")
    base = {"staffId": staff, "stationId": station, "role": "TEAM_MEMBER", "startedOn": "2022-02-01"}

    def not_found(object_type: str) -> dict[str, Any]:
        return {
            "__typename": "NotFoundError",
            "code": "NOT_FOUND",
            "objectType": object_type,
            "objectId": gid(object_type, 999_999),  # named by global ID, as the caller named it
        }

    def invalid(field: str, code: str) -> dict[str, Any]:
        return {"__typename": "ValidationError", "code": "BAD_USER_INPUT", "field": field, "fieldCode": code}

    return {
        "unknown staff": (base | {"staffId": gid("Staff", 999_999)}, not_found("Staff")),
        "unknown station": (base | {"stationId": gid("Station", 999_999)}, not_found("Station")),
        "unknown jurisdiction": (
            base | {"jurisdictionId": gid("Jurisdiction", 999_999)},
            not_found("Jurisdiction"),
        ),
        "unknown department": (
            base | {"role": "DEPARTMENT_LIAISON", "departmentId": gid("Department", 999_999)},
            not_found("Department"),
        ),
        "malformed staff id": (base | {"staffId": "not-an-id"}, invalid("staffId", "INVALID_ID")),
        "malformed station id": (base | {"stationId": "@@@"}, invalid("stationId", "INVALID_ID")),
        "station id of another type": (base | {"stationId": staff}, invalid("stationId", "INVALID_ID")),
        "staff id of another type": (base | {"staffId": station}, invalid("staffId", "INVALID_ID")),
        "malformed department id": (base | {"departmentId": "x"}, invalid("departmentId", "INVALID_ID")),
        "liaison without department": (
            base | {"role": "DEPARTMENT_LIAISON"},
            invalid("departmentId", "REQUIRED"),
        ),
        "note over 500 characters": (base | {"note": "注" * 501}, invalid("note", "TOO_LONG")),
        "neither station nor patch": (base | {"stationId": None}, invalid("stationId", "REQUIRED")),
        "patch in another town": (
            base | {"jurisdictionId": humen},
            invalid("jurisdictionId", "OUTSIDE_JURISDICTION"),
        ),
        "patch in a sibling community": (
            base | {"jurisdictionId": shatou},
            invalid("jurisdictionId", "OUTSIDE_JURISDICTION"),
        ),
    }


BAD_CREATE = [
    "unknown staff",
    "unknown station",
    "unknown jurisdiction",
    "unknown department",
    "malformed staff id",
    "malformed station id",
    "station id of another type",
    "staff id of another type",
    "malformed department id",
    "liaison without department",
    "note over 500 characters",
    "neither station nor patch",
    "patch in another town",
    "patch in a sibling community",
]


@pytest.mark.parametrize("case", BAD_CREATE)
async def test_bad_create_input_is_a_typed_error_and_writes_nothing(gql: Any, case: str) -> None:
    cases = await _bad_create_cases(gql)
    assert set(cases) == set(BAD_CREATE)
    input, expected = cases[case]
    before = await _counts()
    result = await _create(gql, input)
    assert result["__typename"] == expected["__typename"], result
    assert result["code"] == expected["code"]
    if result["__typename"] == "NotFoundError":
        assert (result["objectType"], result["objectId"]) == (expected["objectType"], expected["objectId"])
    else:
        assert (expected["field"], expected["fieldCode"]) in [
            (f["field"], f["code"]) for f in result["fields"]
        ], result
    assert await _counts() == before


async def test_bad_update_input_is_a_typed_error_and_writes_nothing(gql: Any) -> None:
    posting = await _new_posting(gql)
    before = await _counts()

    early = await _update(gql, {"id": posting["id"], "version": 1, "endedOn": "2022-01-31"})
    assert early["__typename"] == "ValidationError"
    assert [(f["field"], f["code"]) for f in early["fields"]] == [("endedOn", "OUT_OF_RANGE")]

    long_note = await _update(gql, {"id": posting["id"], "version": 1, "note": "注" * 501})
    assert long_note["__typename"] == "ValidationError"
    assert [(f["field"], f["code"]) for f in long_note["fields"]] == [("note", "TOO_LONG")]

    missing = await _update(gql, {"id": gid("Posting", 999_999), "version": 1, "note": "x"})
    assert missing["__typename"] == "NotFoundError"
    assert (missing["objectType"], missing["objectId"]) == ("Posting", gid("Posting", 999_999))

    malformed = await _update(gql, {"id": "not-an-id", "version": 1, "note": "x"})
    assert malformed["__typename"] == "ValidationError"
    assert [(f["field"], f["code"]) for f in malformed["fields"]] == [("id", "INVALID_ID")]

    other_type = await _update(gql, {"id": posting["staff"]["id"], "version": 1, "note": "x"})
    assert other_type["__typename"] == "ValidationError"

    assert await _counts() == before
    same_day = await _update(gql, {"id": posting["id"], "version": 1, "endedOn": "2022-02-01"})
    assert same_day["__typename"] == "PostingPayload", same_day


async def test_update_to_liaison_without_department_is_refused(gql: Any) -> None:
    posting = await _new_posting(gql)
    assert posting["department"] is None
    before = await _counts()
    result = await _update(gql, {"id": posting["id"], "version": 1, "role": "DEPARTMENT_LIAISON"})
    assert result["__typename"] == "ValidationError", result
    assert ("departmentId", "REQUIRED") in [(f["field"], f["code"]) for f in result["fields"]]
    assert await _counts() == before


async def test_unknown_role_or_bad_date_never_500(gql: Any, client: Any) -> None:
    staff = (await _changan_team_member(gql))["id"]
    station = (await _station(gql, XIAGANG_STATION))["id"]
    before = await _counts()
    for bad in ({"role": "EMPEROR"}, {"startedOn": "2022-13-45"}, {"startedOn": None}):
        input = {
            "staffId": staff,
            "stationId": station,
            "role": "TEAM_MEMBER",
            "startedOn": "2022-02-01",
        } | bad
        result = await gql(CREATE, {"input": input})
        assert result["errors"] and not result.get("data")
    assert await _counts() == before


# ---- who may post ----------------------------------------------------------------------------


async def test_an_area_chief_may_not_post_staff_and_nothing_is_written(gql: Any) -> None:
    staff = await _changan_team_member(gql)
    station = await _station(gql, XIAGANG_STATION)
    posting = await _new_posting(gql)
    before = await _counts()

    refused = await _create(
        gql,
        {
            "staffId": staff["id"],
            "stationId": station["id"],
            "role": "TEAM_MEMBER",
            "startedOn": "2022-02-01",
        },
        as_user="chief-changan",
    )
    assert refused["__typename"] == "ForbiddenError", refused
    assert refused["code"] == "FORBIDDEN"

    end = await _update(
        gql, {"id": posting["id"], "version": 1, "endedOn": "2022-03-01"}, as_user="chief-changan"
    )
    assert end["__typename"] == "ForbiddenError", end
    assert await _counts() == before

    # the chief still sees the posting, unchanged
    d = data(
        await gql(
            "query($id: ID!) { node(id: $id) { ... on Posting { version endedOn } } }",
            {"id": posting["id"]},
            as_user="chief-changan",
        )
    )
    assert d["node"] == {"version": 1, "endedOn": None}


@pytest.mark.parametrize("user", ["deputy", "worker-xiagang", "liaison", "congress"])
async def test_other_roles_may_not_post_staff(gql: Any, user: str) -> None:
    staff = await _changan_team_member(gql)
    station = await _station(gql, XIAGANG_STATION)
    posting = await _new_posting(gql)
    before = await _counts()
    refused = await _create(
        gql,
        {
            "staffId": staff["id"],
            "stationId": station["id"],
            "role": "TEAM_MEMBER",
            "startedOn": "2022-02-01",
        },
        as_user=user,
    )
    # staff they may not read are not even named to them
    assert refused["__typename"] in ("ForbiddenError", "NotFoundError"), refused
    end = await _update(gql, {"id": posting["id"], "version": 1, "endedOn": "2022-03-01"}, as_user=user)
    assert end["__typename"] in ("ForbiddenError", "NotFoundError"), end
    assert await _counts() == before


async def test_without_a_login_nothing_is_written(gql: Any) -> None:
    staff = await _changan_team_member(gql)
    station = await _station(gql, XIAGANG_STATION)
    before = await _counts()
    result = await gql(
        CREATE,
        {
            "input": {
                "staffId": staff["id"],
                "stationId": station["id"],
                "role": "TEAM_MEMBER",
                "startedOn": "2022-02-01",
            }
        },
        as_user=None,
    )
    assert result.get("errors") or result["data"]["createPosting"]["__typename"] == "ForbiddenError"
    assert await _counts() == before
