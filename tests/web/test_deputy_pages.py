"""A deputy's pages, in process: their own proposal listed as theirs, and rating its reply."""

from __future__ import annotations

from typing import Any

from tests.proposals import flow
from tests.web.test_sign_in import _csrf, _sign_in


async def test_the_deputy_rates_the_reply_to_their_proposal(client: Any, gql: Any) -> None:
    proposal = await flow.replied(gql)
    await _sign_in(client, "deputy")
    listing = await client.get("/app/proposals")
    mine = listing.text.split('id="mine"')[1].split('id="cosigned"')[0]
    assert f"/app/proposals/{proposal['id']}" in mine
    page = await client.get(f"/app/proposals/{proposal['id']}")
    assert page.status_code == 200 and "评价答复" in page.text
    rated = await client.post(
        f"/app/proposals/{proposal['id']}/rate",
        data={
            "csrf_token": _csrf(page.text),
            "version": str(proposal["version"]),
            "rating": "SATISFIED",
            "comment": "满意",
        },
    )
    assert rated.status_code == 303, rated.text[:500]
    history = (await flow.read(gql, proposal["id"], as_user="deputy"))["history"]
    assert history[-1]["action"] in {"rate", "close"} and "rate" in [e["action"] for e in history]


async def test_a_stale_rating_form_says_someone_changed_it(client: Any, gql: Any) -> None:
    proposal = await flow.replied(gql)
    await _sign_in(client, "deputy")
    page = await client.get(f"/app/proposals/{proposal['id']}")
    answer = await client.post(
        f"/app/proposals/{proposal['id']}/rate",
        data={"csrf_token": _csrf(page.text), "version": str(proposal["version"] - 1), "rating": "SATISFIED"},
    )
    assert answer.status_code == 400 and "已被他人修改" in answer.text
