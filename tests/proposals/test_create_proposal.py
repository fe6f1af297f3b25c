"""A deputy drafts a proposal, edits it, names co-signers, submits or withdraws it."""

from __future__ import annotations

from typing import Any

from tests.helpers import data, gid
from tests.proposals import flow
from tests.proposals.flow import deputy_id, mutate, row_counts


async def test_a_draft_gets_the_next_number_of_its_session_and_stays_private(gql: Any) -> None:
    # Drafts left behind are deputy2's: other tests count on `deputy` having none.
    first = await flow.draft(gql, as_user="deputy2", session=9)
    second = await flow.draft(gql, as_user="deputy2", session=9)
    a, b = (int(p["number"].rsplit("-", 1)[1]) for p in (first, second))
    assert first["number"].startswith("16-9-") and b == a + 1
    assert (first["status"], first["version"], first["keySupervision"]) == ("DRAFT", 1, False)
    # drafts are their author's alone
    for user in ("deputy", "bureau", "congress"):
        result = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": first["id"]}, as_user=user)
        assert result["data"]["node"] is None, user


async def test_a_draft_is_edited_with_its_co_signers_then_submitted(gql: Any) -> None:
    proposal = await flow.draft(gql, summary="")
    # a proposal needs a summary or body before it goes
    before = await row_counts()
    empty = await mutate(
        gql, "submitProposal", {"id": proposal["id"], "version": proposal["version"]}, "deputy"
    )
    assert empty["__typename"] == "ValidationError" and empty["fields"][0]["field"] == "summary"
    assert await row_counts() == before

    second = await deputy_id(gql, "示例代表二")
    proposal = await flow.step(
        gql, "updateProposal", proposal, "deputy", summary="补充摘要。", body="正文。", cosignerIds=[second]
    )
    seen = await flow.read(gql, proposal["id"], as_user="deputy")
    assert [c["name"] for c in seen["cosigners"]] == ["示例代表二"]
    assert seen["history"][-1]["action"] == "update"
    proposal = await flow.step(gql, "updateProposal", proposal, "deputy", cosignerIds=[])
    assert (await flow.read(gql, proposal["id"], as_user="deputy"))["cosigners"] == []
    proposal = await flow.step(gql, "submitProposal", proposal, "deputy")
    assert proposal["status"] == "SUBMITTED"
    # now the committee and other deputies see it
    node = data(
        await gql("query($id: ID!) { node(id: $id) { id } }", {"id": proposal["id"]}, as_user="deputy2")
    )
    assert node["node"]["id"] == proposal["id"]


async def test_bad_drafts_change_nothing(gql: Any) -> None:
    me = await deputy_id(gql, "示例代表")
    before = await row_counts()
    cases = [
        ({"congressTerm": 0, "session": 7, "title": "标题"}, ("congressTerm", "OUT_OF_RANGE")),
        ({"congressTerm": 16, "session": 7, "title": "  "}, ("title", "REQUIRED")),
        ({"congressTerm": 16, "session": 7, "title": "长" * 301}, ("title", "TOO_LONG")),
        (
            {"congressTerm": 16, "session": 7, "title": "标题", "cosignerIds": [me]},
            ("cosignerIds", "INVALID"),
        ),
    ]
    for input, expected in cases:
        result = await mutate(gql, "createProposal", input, "deputy")
        assert result["__typename"] == "ValidationError", input
        assert expected in [(f["field"], f["code"]) for f in result["fields"]], result
    unknown = await mutate(
        gql,
        "createProposal",
        {"congressTerm": 16, "session": 7, "title": "标题", "cosignerIds": [gid("Deputy", 999_999)]},
        "deputy",
    )
    assert unknown["__typename"] == "NotFoundError" and unknown["objectType"] == "Deputy"
    for user in ("bureau", "congress"):
        staff = await mutate(gql, "createProposal", {"congressTerm": 16, "session": 7, "title": "x"}, user)
        assert staff["__typename"] == "ForbiddenError", user
    assert await row_counts() == before

    draft = await flow.draft(gql, as_user="deputy2")
    before = await row_counts()
    nothing = await mutate(gql, "updateProposal", {"id": draft["id"], "version": draft["version"]}, "deputy2")
    assert [f["code"] for f in nothing["fields"]] == ["NO_CHANGES"]
    assert await row_counts() == before
