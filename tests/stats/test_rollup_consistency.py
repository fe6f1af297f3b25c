"""The rollup rows kept in step with the tickets equal a from-scratch recomputation, after a random
mix of intakes, transitions, return visits (reached or not, every rating), reopenings, rejections and
failed (rolled back) steps, with the clock moving on so that some responses are late."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from tests.tickets.workflow_helpers import Clock, at, ids, register, step


async def test_rollups_equal_a_recomputation_after_a_random_mix(gql: Any, monkeypatch: Any) -> None:
    from server.stats import rollup

    refs = await ids(gql)
    rng = random.Random(721)
    clock = Clock(monkeypatch, at(2026, 6, 1, 9, 0))
    tickets: list[dict[str, Any]] = []
    for _ in range(12):
        t = (await register(gql, refs))["ticket"]
        tickets.append({"id": t["id"], "version": t["version"], "status": "REGISTERED"})
    moves = {
        "REGISTERED": [
            ("dispatchTicket", ", assigneeId: $a", {"a": (refs["chief"], "ID!")}, "chief-changan"),
            ("rejectTicket", ", reason: $r", {"r": ("重复登记", "String!")}, "chief-changan"),
        ],
        "DISPATCHED": [("markTicketOnSite", "", {}, "chief-changan")],
        "ON_SITE": [
            (
                "resolveTicket",
                ", method: $m, note: $n",
                {"m": (None, "ResolutionMethod"), "n": ("处理完毕", "String!")},
                "chief-changan",
            )
        ],
        "RESOLVED": [
            ("recordCitizenFeedback", ", satisfied: true", {}, "worker-xiagang"),
            (
                "recordCitizenFeedback",
                ", satisfied: false, comment: $c",
                {"c": ("不满意", "String!")},
                "worker-xiagang",
            ),
            *[
                (
                    "recordReturnVisit",
                    ", channel: PHONE, reached: true, rating: $g, comment: $c",
                    {"g": (rating, "Rating"), "c": ("回访记录", "String!")},
                    "worker-xiagang",
                )
                for rating in ("SATISFIED", "BASICALLY_SATISFIED", "DISSATISFIED")
            ],
            ("recordReturnVisit", ", channel: SMS, reached: false", {}, "worker-xiagang"),
            ("recordReturnVisit", ", channel: ON_SITE, reached: false", {}, "worker-xiagang"),
        ],
    }
    for _ in range(90):
        # occupying the road is due for a response in 30 minutes: some dispatches come late
        clock.value += timedelta(minutes=rng.randint(0, 20))
        t = rng.choice(tickets)
        options = moves.get(t["status"])
        if not options:
            continue
        mutation, args, extra, user = rng.choice(options)
        values = {
            k: (rng.choice(["SERVICE", "MANAGEMENT", "ENFORCEMENT"]) if v[0] is None else v[0])
            for k, v in extra.items()
        }
        types = "".join(f", ${k}: {v[1]}" for k, v in extra.items())
        stale = rng.random() < 0.1  # now and then a stale version: refused, rolled back, no figures
        variables = {
            "t": {"id": t["id"], "version": t["version"] - (1 if stale else 0)},
            **values,
            "_types": types,
        }
        result = await step(gql, mutation, args, variables, user)
        if result["__typename"] in ("TicketPayload", "ReturnVisitPayload"):
            t["version"], t["status"] = result["ticket"]["version"], result["ticket"]["status"]
        else:
            assert stale and result["__typename"] == "ConflictError", result
    stored = await rollup.stored()
    assert stored == await rollup.recompute()
    metrics = {metric for (_, _, metric) in stored}
    # the mix reached every figure the three rates are made of
    assert {"resp_on_time", "resp_late", "visit:satisfied", "visit:basic", "visit:dissatisfied"} <= metrics
    assert "visit:unreached" in metrics


async def test_the_demo_load_computes_the_rollups(gql: Any) -> None:
    from server.stats.models import TicketRollup

    assert await TicketRollup.filter(metric="received").count() > 0
    assert "errors" not in await gql("{ stations(first: 1) { totalCount } }")
