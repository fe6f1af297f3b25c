"""Mr Wang's story (docs/domain.md, "The programme", step 5): walk-in at Xiagang, dispatched, on
site, resolved by service in 30 minutes, closed on his satisfaction; and who may not see or touch
it."""

from __future__ import annotations

from typing import Any

from tests.helpers import data, error_codes
from tests.tickets.workflow_helpers import Clock, at, ids, register, step


async def test_mr_wangs_ticket_end_to_end(gql: Any, monkeypatch: Any) -> None:
    clock = Clock(monkeypatch, at(2026, 3, 2, 9, 0))
    refs = await ids(gql)
    registered = await register(gql, refs)
    assert registered["__typename"] == "RegisterTicketPayload", registered
    ticket = registered["ticket"]
    assert ticket["number"].startswith("DG-20260302-")
    assert ticket["status"] == "REGISTERED" and ticket["station"]["name"] == "长安镇厦岗社区城市服务驿站"
    assert ticket["jurisdiction"]["code"] == "dongguan/changan/xiagang"
    t = {"id": ticket["id"], "version": ticket["version"]}

    clock.set(9, 5)
    dispatched = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": t, "a": refs["chief"], "_types": ", $a: ID!"},
        "chief-changan",
    )
    assert dispatched["ticket"]["status"] == "DISPATCHED", dispatched
    t["version"] = dispatched["ticket"]["version"]

    # worker-shatou can neither see nor change it; chief-humen cannot dispatch it.
    hidden = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": t["id"]}, as_user="worker-shatou")
    assert error_codes(hidden) == ["NOT_FOUND"]
    for user in ("worker-shatou", "chief-humen"):
        refused = await step(gql, "markTicketOnSite", "", {"t": t}, user)
        assert refused["__typename"] == "NotFoundError", (user, refused)
    other_chief = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": t, "a": refs["chief_humen"], "_types": ", $a: ID!"},
        "chief-humen",
    )
    assert other_chief["__typename"] == "NotFoundError"

    clock.set(9, 15)
    on_site = await step(gql, "markTicketOnSite", "", {"t": t}, "chief-changan")
    assert on_site["ticket"]["status"] == "ON_SITE"
    t["version"] = on_site["ticket"]["version"]

    clock.set(9, 30)
    resolved = await step(
        gql,
        "resolveTicket",
        ", method: SERVICE, note: $n",
        {"t": t, "n": "现场劝导，店主自行整改", "_types": ", $n: String!"},
        "chief-changan",
    )
    assert resolved["ticket"]["status"] == "RESOLVED" and resolved["ticket"]["resolutionMethod"] == "SERVICE"
    assert resolved["ticket"]["resolutionMinutes"] == 30.0
    t["version"] = resolved["ticket"]["version"]

    clock.set(9, 40)
    closed = await step(
        gql,
        "recordCitizenFeedback",
        ", satisfied: true, comment: $c",
        {"t": t, "c": "满意", "_types": ", $c: String!"},
        "worker-xiagang",
    )
    assert closed["ticket"]["status"] == "CLOSED", closed

    history = data(
        await gql(
            "query($id: ID!) { node(id: $id) { ... on Ticket { citizenSatisfied latestEvent { action }"
            " history { actor action fromStatus toStatus at } } } }",
            {"id": t["id"]},
            as_user="worker-xiagang",
        )
    )
    events = history["node"]["history"]
    assert [e["action"] for e in events] == ["register", "dispatch", "arrive", "resolve", "close"]
    assert [e["actor"] for e in events] == [
        "worker-xiagang",
        "chief-changan",
        "chief-changan",
        "chief-changan",
        "worker-xiagang",
    ]
    assert events[3]["at"].startswith("2026-03-02T09:30")
    assert history["node"]["citizenSatisfied"] is True and history["node"]["latestEvent"]["action"] == "close"
