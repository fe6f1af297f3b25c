from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import pytest

from tests.helpers import data, error_codes

DEMO = "16-7-0001"
CLOSED = "16-6-0015"
XIAGANG_STATION = "长安镇厦岗社区城市服务驿站"
STATUS_LABELS = {
    "DRAFT": "草稿",
    "SUBMITTED": "已提交",
    "REGISTERED": "已登记",
    "ASSIGNED": "已交办",
    "HANDLING": "办理中",
    "REPLIED": "已答复",
    "CLOSED": "已办结",
    "WITHDRAWN": "已撤回",
}

LIST = """query($f: ProposalFilter) { proposals(filter: $f, first: 500) {
  totalCount nodes { id number title status statusLabel keySupervision submittedAt } } }"""

DETAIL = """query($id: ID!) { node(id: $id) { ... on Proposal {
  id number congressTerm session title summary status statusLabel submittedAt closedAt repliedAt
  author { id name delegation }
  jurisdiction { name level }
  stations { id name proposal { id } }
  units { role opinionDue department { code name kind } }
  tasks { id title dueOn progress status responsibleUnit { code name } }
  history { actor action fromStatus toStatus comment at }
} } }"""


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _list(gql: Any, filter: dict[str, Any] | None = None, as_user: str = "bureau") -> dict[str, Any]:
    return dict(data(await gql(LIST, {"f": filter}, as_user=as_user))["proposals"])


async def _id(gql: Any, number: str) -> str:
    nodes = (await _list(gql, {"search": number}))["nodes"]
    [proposal] = [p for p in nodes if p["number"] == number]
    return str(proposal["id"])


async def _detail(gql: Any, number: str) -> dict[str, Any]:
    return dict(data(await gql(DETAIL, {"id": await _id(gql, number)}))["node"])


# ---- the list as the bureau sees it ------------------------------------------------------------


async def test_the_bureau_sees_every_proposal_but_drafts(gql: Any) -> None:
    everything = await _list(gql)
    for p in everything["nodes"]:
        assert p["statusLabel"] == STATUS_LABELS[p["status"]]
    numbers = [p["number"] for p in everything["nodes"]]
    assert everything["totalCount"] == len(numbers) >= 2
    assert {DEMO, CLOSED} <= set(numbers)
    assert "DRAFT" not in {p["status"] for p in everything["nodes"]}
    congress = await _list(gql, as_user="congress")
    assert congress["totalCount"] == everything["totalCount"]


async def test_a_draft_is_its_authors_alone(gql: Any) -> None:
    own = await _list(gql, {"status": "DRAFT"}, as_user="deputy2")
    assert own["totalCount"] >= 1 and {p["status"] for p in own["nodes"]} == {"DRAFT"}
    for other in ("bureau", "congress", "deputy"):
        assert (await _list(gql, {"status": "DRAFT"}, as_user=other))["totalCount"] == 0


async def test_filter_by_status(gql: Any) -> None:
    submitted = (await _list(gql, {"status": "SUBMITTED"}))["nodes"]
    assert DEMO in [p["number"] for p in submitted]
    assert {(p["status"], p["statusLabel"]) for p in submitted} == {("SUBMITTED", "已提交")}
    closed = (await _list(gql, {"status": "CLOSED"}))["nodes"]
    assert CLOSED in [p["number"] for p in closed]
    assert {(p["status"], p["statusLabel"]) for p in closed} == {("CLOSED", "已办结")}
    withdrawn = await _list(gql, {"status": "WITHDRAWN"})
    assert all(p["status"] == "WITHDRAWN" for p in withdrawn["nodes"])


async def test_search_in_number_and_title(gql: Any) -> None:
    by_number = (await _list(gql, {"search": DEMO}))["nodes"]
    assert [p["number"] for p in by_number] == [DEMO]
    by_title = (await _list(gql, {"search": "连心桥"}))["nodes"]
    assert DEMO in [p["number"] for p in by_title]
    assert all("连心桥" in p["title"] or "连心桥" in p["number"] for p in by_title)
    water = (await _list(gql, {"search": "饮水"}))["nodes"]
    assert CLOSED in [p["number"] for p in water] and DEMO not in [p["number"] for p in water]
    assert (await _list(gql, {"search": "no such proposal 无此建议"}))["totalCount"] == 0
    # conditions combine
    both = await _list(gql, {"search": "连心桥", "status": "CLOSED"})
    assert DEMO not in [p["number"] for p in both["nodes"]]


async def test_filter_by_key_supervision(gql: Any) -> None:
    total = (await _list(gql))["totalCount"]
    flagged = await _list(gql, {"keySupervision": True})
    unflagged = await _list(gql, {"keySupervision": False})
    assert all(p["keySupervision"] for p in flagged["nodes"])
    assert not any(p["keySupervision"] for p in unflagged["nodes"])
    assert flagged["totalCount"] + unflagged["totalCount"] == total


async def test_filter_by_submission_time(gql: Any) -> None:
    start, end = "2021-01-01T00:00:00+08:00", "2022-01-01T00:00:00+08:00"
    in_2021 = (await _list(gql, {"submittedFrom": start, "submittedTo": end}))["nodes"]
    numbers = [p["number"] for p in in_2021]
    assert DEMO in numbers and CLOSED not in numbers
    for p in in_2021:
        assert p["submittedAt"] and _at(start) <= _at(p["submittedAt"]) < _at(end)

    demo = next(p for p in in_2021 if p["number"] == DEMO)
    # submittedFrom is inclusive, submittedTo exclusive
    assert DEMO in [p["number"] for p in (await _list(gql, {"submittedFrom": demo["submittedAt"]}))["nodes"]]
    assert DEMO not in [
        p["number"] for p in (await _list(gql, {"submittedTo": demo["submittedAt"]}))["nodes"]
    ]


async def test_a_reversed_submission_range_is_bad_user_input(gql: Any) -> None:
    result = await gql(
        LIST,
        {"f": {"submittedFrom": "2022-01-01T00:00:00+08:00", "submittedTo": "2021-01-01T00:00:00+08:00"}},
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result["data"] == {"proposals": None}


async def test_malformed_jurisdiction_id_is_bad_user_input(gql: Any) -> None:
    result = await gql(LIST, {"f": {"jurisdictionId": "not-an-id"}})
    assert error_codes(result) == ["BAD_USER_INPUT"]


# ---- the demo proposal and the closed one ------------------------------------------------------


async def test_the_demo_proposal_and_what_came_of_it(gql: Any) -> None:
    p = await _detail(gql, DEMO)
    assert p["number"] == DEMO and (p["congressTerm"], p["session"]) == (16, 7)
    assert "连心桥" in p["title"]
    assert p["author"]["name"] == "示例代表"
    assert p["jurisdiction"]["level"] == "CITY"
    assert p["statusLabel"] == STATUS_LABELS[p["status"]]

    stations = p["stations"]
    assert XIAGANG_STATION in [s["name"] for s in stations]
    assert all(s["proposal"]["id"] == p["id"] for s in stations)
    # the station list filtered by the proposal names the same stations
    d = data(
        await gql(
            "query($p: ID!) { stations(filter: {proposalId: $p}, first: 500) { totalCount nodes { id } } }",
            {"p": p["id"]},
        )
    )
    assert sorted(n["id"] for n in d["stations"]["nodes"]) == sorted(s["id"] for s in stations)

    history = p["history"]
    assert history, "a submitted proposal has a history"
    # drafted, then submitted: the history the proposal services wrote as the deputy
    assert [(e["action"], e["toStatus"]) for e in history] == [("create", "DRAFT"), ("submit", "SUBMITTED")]
    times = [_at(e["at"]) for e in history]
    assert times == sorted(times)
    assert _at(p["submittedAt"]) == times[-1]


async def test_the_closed_proposal_has_units_tasks_and_a_full_history(gql: Any) -> None:
    p = await _detail(gql, CLOSED)
    assert (p["status"], p["statusLabel"]) == ("CLOSED", "已办结")
    roles = {u["role"]: u["department"] for u in p["units"]}
    assert roles["LEAD"]["name"] == "东莞市城市管理和综合执法局" and roles["LEAD"]["kind"] == "BUREAU"
    assert "CO_HANDLING" in roles
    assert [u["role"] for u in p["units"]].count("LEAD") == 1

    assert p["tasks"]
    for task in p["tasks"]:
        assert task["title"] and task["responsibleUnit"]["name"]
        assert 0 <= task["progress"] <= 100
    # a closed proposal's tasks are done
    assert {(t["status"], t["progress"]) for t in p["tasks"]} == {("DONE", 100)}

    history = p["history"]
    actions = [e["action"] for e in history]
    assert actions[:2] == ["create", "submit"] and actions[-1] == "close"
    assert actions.index("assign") < actions.index("reply") < actions.index("close")
    assert history[-1]["toStatus"] == "CLOSED"
    times = [_at(e["at"]) for e in history]
    assert times == sorted(times)
    for before, after in itertools.pairwise(history):
        assert after["fromStatus"] == before["toStatus"], (before, after)
    assert _at(p["submittedAt"]) <= _at(p["repliedAt"]) <= _at(p["closedAt"]) == times[-1]


# ---- internal notes ----------------------------------------------------------------------------

NOTES = """query($id: ID!) { node(id: $id) { ... on Proposal { number title internalNotes } } }"""


@pytest.mark.parametrize("user", ["bureau", "congress", "deputy"])
async def test_internal_notes_for_the_bureau_congress_and_the_author(gql: Any, user: str) -> None:
    result = await gql(NOTES, {"id": await _id(gql, DEMO)}, as_user=user)
    node = data(result)["node"]
    assert node["number"] == DEMO
    assert isinstance(node["internalNotes"], str)


async def test_an_author_reads_the_internal_notes_of_its_own_closed_proposal(gql: Any) -> None:
    node = data(await gql(NOTES, {"id": await _id(gql, CLOSED)}, as_user="deputy2"))["node"]
    assert isinstance(node["internalNotes"], str)


async def test_a_co_signer_sees_the_proposal_but_not_its_internal_notes(gql: Any) -> None:
    result = await gql(NOTES, {"id": await _id(gql, DEMO)}, as_user="deputy2")
    assert result["data"]["node"] is not None, result
    node = result["data"]["node"]
    assert node["number"] == DEMO and node["title"]
    assert node["internalNotes"] is None
    assert error_codes(result) == ["FORBIDDEN"]
    assert result["errors"][0]["path"] == ["node", "internalNotes"]


async def test_a_deputy_sees_other_deputies_proposals_public_data(gql: Any) -> None:
    result = await gql(LIST, {"f": {"search": CLOSED}}, as_user="deputy")
    assert [p["number"] for p in data(result)["proposals"]["nodes"]] == [CLOSED]
    notes = await gql(
        "query($f: ProposalFilter) { proposals(filter: $f) { nodes { number internalNotes } } }",
        {"f": {"search": CLOSED}},
        as_user="deputy",
    )
    assert notes["data"]["proposals"]["nodes"] == [{"number": CLOSED, "internalNotes": None}]
    assert error_codes(notes) == ["FORBIDDEN"]


async def test_a_deputy_always_sees_its_own_proposals(gql: Any) -> None:
    mine = await _list(gql, as_user="deputy")
    assert DEMO in [p["number"] for p in mine["nodes"]]
    theirs = await _list(gql, as_user="deputy2")
    assert CLOSED in [p["number"] for p in theirs["nodes"]]


@pytest.mark.parametrize("user", ["chief-changan", "worker-xiagang", "liaison"])
async def test_station_staff_and_liaisons_read_no_proposals(gql: Any, user: str) -> None:
    result = await gql(LIST, {"f": None}, as_user=user)
    assert error_codes(result) == ["FORBIDDEN"]
    assert result["data"] == {"proposals": None}  # the list is refused at its path, not the whole answer


async def _deputy_id(gql: Any, name: str) -> str:
    found = data(
        await gql("query($s: String) { deputies(filter: {search: $s}) { nodes { id name } } }", {"s": name})
    )
    return next(d["id"] for d in found["deputies"]["nodes"] if d["name"] == name)


async def test_filter_by_author_and_by_cosigner(gql: Any) -> None:
    deputy, deputy2 = await _deputy_id(gql, "示例代表"), await _deputy_id(gql, "示例代表二")
    mine = data(await gql(LIST, {"f": {"authorId": deputy}}, as_user="deputy"))["proposals"]["nodes"]
    assert DEMO in {p["number"] for p in mine}
    cosigned = data(await gql(LIST, {"f": {"cosignerId": deputy2}}, as_user="deputy2"))["proposals"]["nodes"]
    assert DEMO in {p["number"] for p in cosigned}
    assert all(
        p["number"] != DEMO for p in data(await gql(LIST, {"f": {"authorId": deputy2}}))["proposals"]["nodes"]
    )
    # Another deputy's draft stays invisible under the filter too.
    theirs = data(await gql(LIST, {"f": {"authorId": deputy2}}, as_user="deputy"))["proposals"]["nodes"]
    assert "DRAFT" not in {p["status"] for p in theirs}
    own = data(await gql(LIST, {"f": {"authorId": deputy2}}, as_user="deputy2"))["proposals"]["nodes"]
    assert "DRAFT" in {p["status"] for p in own}


async def test_filter_by_author_refuses_a_foreign_id(gql: Any) -> None:
    station = data(await gql("{ stations(first: 1) { nodes { id } } }"))["stations"]["nodes"][0]["id"]
    assert error_codes(await gql(LIST, {"f": {"authorId": station}})) == ["BAD_USER_INPUT"]
