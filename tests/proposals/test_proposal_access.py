"""Who reads what of a proposal in handling: internal notes as before; replies, ratings and the
contact log for staff, the author and co-signers only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import data, error_codes
from tests.proposals import flow
from tests.proposals.flow import deputy_id, step

CORRESPONDENCE = """query($id: ID!) { node(id: $id) { ... on Proposal {
  number status replies { body ratings { rating } } contacts { summary }
  tasks { title } history { action } handlingPlan { text } units { role }
} } }"""


async def _in_correspondence(gql: Any, *, cosigned: bool) -> dict[str, Any]:
    cosigners = [await deputy_id(gql, "示例代表二")] if cosigned else []
    proposal = await flow.replied(gql, cosignerIds=cosigners)
    proposal = await step(
        gql, "recordProposalContact", proposal, "bureau", phase="AFTER", channel="电话", summary="回访"
    )
    return await step(gql, "rateProposalReply", proposal, "deputy", rating="SATISFIED")


@pytest.mark.parametrize("user", ["deputy", "bureau", "congress"])
async def test_the_author_and_staff_read_reply_ratings_and_contacts(gql: Any, user: str) -> None:
    proposal = await _in_correspondence(gql, cosigned=False)
    node = data(await gql(CORRESPONDENCE, {"id": proposal["id"]}, as_user=user))["node"]
    assert [r["body"] for r in node["replies"]] == ["已按计划办理完毕。"]
    assert node["replies"][0]["ratings"] == [{"rating": "SATISFIED"}]
    assert [c["summary"] for c in node["contacts"]] == ["回访"]


async def test_a_co_signer_reads_them_too(gql: Any) -> None:
    proposal = await _in_correspondence(gql, cosigned=True)
    node = data(await gql(CORRESPONDENCE, {"id": proposal["id"]}, as_user="deputy2"))["node"]
    assert node["replies"] and node["replies"][0]["ratings"] and node["contacts"]


async def test_another_deputy_sees_the_public_part_only(gql: Any) -> None:
    proposal = await _in_correspondence(gql, cosigned=False)
    node = data(await gql(CORRESPONDENCE, {"id": proposal["id"]}, as_user="deputy2"))["node"]
    assert node["status"] == "REPLIED"
    assert node["replies"] == [] and node["contacts"] == []
    # the handling itself is public: plan, units, tasks, history
    assert node["handlingPlan"]["text"] and node["units"] and node["history"]


async def test_a_deputy_cannot_read_another_deputys_internal_notes(gql: Any) -> None:
    from server.proposals.models import Proposal

    proposal = await flow.submitted(gql, author="deputy2")
    # no mutation writes internal notes yet: set them as the handling office would
    await Proposal.filter(id=flow.pk(proposal["id"])).update(internal_notes="内部意见：需协调用地。")
    query = "query($id: ID!) { node(id: $id) { ... on Proposal { number internalNotes } } }"
    theirs = await gql(query, {"id": proposal["id"]}, as_user="deputy")
    assert theirs["data"]["node"] == {"number": proposal["number"], "internalNotes": None}
    assert error_codes(theirs) == ["FORBIDDEN"] and theirs["errors"][0]["path"] == ["node", "internalNotes"]
    own = data(await gql(query, {"id": proposal["id"]}, as_user="deputy2"))["node"]
    assert own["internalNotes"] == "内部意见：需协调用地。"
    # and acting on it is refused
    result = await flow.mutate(
        gql, "withdrawProposal", {"id": proposal["id"], "version": proposal["version"]}, "deputy"
    )
    assert result["__typename"] == "ForbiddenError"


@pytest.mark.parametrize("user", ["worker-xiagang", "chief-changan", "liaison"])
async def test_station_staff_read_no_proposal_handling(gql: Any, user: str) -> None:
    proposal = await _in_correspondence(gql, cosigned=False)
    result = await gql(CORRESPONDENCE, {"id": proposal["id"]}, as_user=user)
    assert result["data"]["node"] is None and error_codes(result) == ["NOT_FOUND"]


CREDITED = """{ proposals(first: 20) { nodes { number
  stations { name } outcomes { station { name } }
} } }"""
POLICY_LINE = """mutation($i: PolicyLineInput!) { addPolicyLine(input: $i) { __typename } }"""


async def test_credited_stations_are_refused_at_their_path_where_stations_are_read_nowhere(gql: Any) -> None:
    """Congress staff read proposals; without station:read, a proposal's credited stations are null
    with FORBIDDEN at their paths (as every list read nowhere is), not an empty list claiming the
    proposal delivered nothing, and the rest of the answer stands."""
    line = {"role": "congress-staff", "object": "station", "action": "read"}
    before = data(await gql(CREDITED, as_user="congress"))["proposals"]["nodes"]
    assert any(node["stations"] for node in before)  # the demo credits stations to 16-7-0001
    remove = POLICY_LINE.replace("addPolicyLine", "removePolicyLine")
    removed = await gql(remove, {"i": line}, as_user="admin")
    assert data(removed)["removePolicyLine"]["__typename"] == "PolicyLinePayload"
    try:
        refused = await gql(CREDITED, as_user="congress")
    finally:
        added = data(await gql(POLICY_LINE, {"i": line}, as_user="admin"))["addPolicyLine"]
        assert added["__typename"] == "PolicyLinePayload"
    nodes = refused["data"]["proposals"]["nodes"]
    assert [n["number"] for n in nodes] == [n["number"] for n in before]
    assert all(n["stations"] is None and n["outcomes"] is None for n in nodes), nodes
    paths = {tuple(e["path"]) for e in refused["errors"]}
    assert paths == {
        ("proposals", "nodes", i, field) for i in range(len(nodes)) for field in ("stations", "outcomes")
    }
    assert set(error_codes(refused)) == {"FORBIDDEN"}
    # with the line back, the same caller reads them again
    assert data(await gql(CREDITED, as_user="congress"))["proposals"]["nodes"] == before
