"""Retention: `lianxin retention run` anonymises tickets final for longer than the retention period,
in batches, idempotently, with one audit entry per run, and every statistic stays the same."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from typing import Any

from server.clock import today as city_today
from tests.helpers import data
from tests.privacy.helpers import statistics, ticket
from tests.tickets.workflow_helpers import Clock, at, ids, register, step

# Tickets of 2015: older than anything the demo or other tests register, so that a retention
# period reaching back to the start of 2016 takes exactly these.
CUTOFF = date(2016, 1, 1)


def _retention(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    days = (city_today() - CUTOFF).days  # the command counts days in the city, as the server does
    env = {
        **os.environ,
        "LIANXIN_DATABASE_URL": database_url,
        "LIANXIN_PERSONAL_DATA_RETENTION_DAYS": str(days),
    }
    return subprocess.run(
        [sys.executable, "-m", "lianxin.cli", "retention", "run", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_retention_anonymises_old_tickets_in_batches_and_keeps_every_statistic(
    gql: Any, monkeypatch: Any, database_url: str
) -> None:
    refs = await ids(gql)
    clock = Clock(monkeypatch, at(2015, 3, 2, 9, 0))
    v = {"a": refs["chief"]}

    def tv(t: dict[str, Any]) -> dict[str, Any]:
        return {"id": t["id"], "version": t["version"]}

    # closed after the citizen's feedback; the note and feedback mention the reporter
    closed = (
        await register(
            gql,
            refs,
            reporterName="欧阳明华",
            reporterPhone="139 2015 0301",
            description="欧阳明华反映商铺占道，回电 139-2015-0301",
        )
    )["ticket"]
    t = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": tv(closed), **v, "_types": ", $a: ID!"},
        "chief-changan",
    )
    clock.set(9, 20)
    t = await step(gql, "markTicketOnSite", "", {"t": tv(t["ticket"])}, "chief-changan")
    clock.set(9, 40)
    t = await step(
        gql,
        "resolveTicket",
        ", method: SERVICE, note: $n",
        {"t": tv(t["ticket"]), "n": "已电话13920150301告知欧阳明华", "_types": ", $n: String!"},
        "chief-changan",
    )
    clock.set(10, 0)
    t = await step(
        gql,
        "recordCitizenFeedback",
        ", satisfied: true, comment: $c",
        {"t": tv(t["ticket"]), "c": "满意，欧阳明华", "_types": ", $c: String!"},
        "worker-xiagang",
    )
    assert t["ticket"]["status"] == "CLOSED"
    # rejected, the reason quoting the phone
    rejected = (await register(gql, refs, reporterName="林女士", reporterPhone="+86 139-2015-0302"))["ticket"]
    r = await step(
        gql,
        "rejectTicket",
        ", reason: $r",
        {"t": tv(rejected), "r": "林女士(13920150302)重复登记", "_types": ", $r: String!"},
        "chief-changan",
    )
    assert r["ticket"]["status"] == "REJECTED"
    # resolved without feedback: final since its resolution
    resolved = (await register(gql, refs, reporterName="陈先生", reporterPhone="13920150303"))["ticket"]
    t = await step(
        gql,
        "dispatchTicket",
        ", assigneeId: $a",
        {"t": tv(resolved), **v, "_types": ", $a: ID!"},
        "chief-changan",
    )
    t = await step(gql, "markTicketOnSite", "", {"t": tv(t["ticket"])}, "chief-changan")
    t = await step(
        gql,
        "resolveTicket",
        ", method: ENFORCEMENT, note: $n",
        {"t": tv(t["ticket"]), "n": "依法查处", "_types": ", $n: String!"},
        "chief-changan",
    )
    assert t["ticket"]["status"] == "RESOLVED"
    # still open in 2015: not past any retention period
    still_open = (await register(gql, refs, reporterName="黄先生", reporterPhone="13920150304"))["ticket"]
    monkeypatch.undo()

    before = await statistics(gql, "2015-01-01", "2015-12-31")
    assert before["scorecard"]["ticketsReceived"] == 4 and before["scorecard"]["ticketsResolved"] == 2
    assert (await ticket(gql, closed["number"]))["reporterName"] == "欧阳明华"

    dry = _retention(database_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "3 tickets reached their final state before 2016-01-01" in dry.stdout
    assert "nothing was changed" in dry.stdout
    assert (await ticket(gql, closed["number"]))["reporterPhone"] == "139 2015 0301"

    ran = _retention(database_url, "--batch-size", "2")
    assert ran.returncode == 0, ran.stderr
    assert "3 tickets anonymised in 2 batches" in ran.stdout
    assert "欧阳" not in ran.stdout + ran.stderr and "0301" not in ran.stdout + ran.stderr  # counts, not whom

    c = await ticket(gql, closed["number"])
    assert (c["reporterName"], c["reporterPhone"]) == ("", "")
    assert c["description"] == "欧阳**反映商铺占道，回电 139****0301"
    assert c["resolutionNote"] == "已电话139****0301告知欧阳**"
    assert c["citizenFeedback"] == "满意，欧阳**"
    assert (c["status"], c["resolutionMethod"]) == ("CLOSED", "SERVICE")
    rj = await ticket(gql, rejected["number"])
    assert (rj["reporterName"], rj["reporterPhone"], rj["rejectReason"]) == (
        "",
        "",
        "林**(139****0302)重复登记",
    )
    assert (await ticket(gql, resolved["number"]))["reporterPhone"] == ""
    assert (await ticket(gql, still_open["number"]))["reporterPhone"] == "13920150304"

    # every statistic is the same: the scorecard of the period and the 721 figures at every level
    assert await statistics(gql, "2015-01-01", "2015-12-31") == before

    # idempotent: nothing left to do
    again = _retention(database_url)
    assert again.returncode == 0, again.stderr
    assert "0 tickets anonymised" in again.stdout

    # one audit entry per run, with the count and the cutoff, and no personal data
    trail = data(
        await gql(
            '{ auditTrail(actor: "retention", first: 10) { nodes { actor operation objectType after } } }',
            as_user="admin",
        )
    )["auditTrail"]["nodes"]
    assert [(e["operation"], e["after"]["count"]) for e in trail] == [
        ("anonymisePersonalData", 0),
        ("anonymisePersonalData", 3),
    ]
    assert trail[1]["after"]["cutoff"].startswith("2016-01-01")
    text = json.dumps(trail, ensure_ascii=False)
    assert not re.search(r"欧阳|林女士|陈先生|2015 ?-?0", text)


def test_retention_refuses_a_bad_batch_size(database_url: str) -> None:
    bad = _retention(database_url, "--batch-size", "0")
    assert bad.returncode == 1 and "--batch-size" in bad.stderr
