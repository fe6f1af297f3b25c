"""bench/generate.py writes histories that are walks through the workflow tables.

A small dataset on a fresh database of the kind under test: every ticket's and proposal's
history (the demo's, told through the services, and the generated ones, written in bulk) starts
where the workflow starts, each event is a row of its table taken from the state the one before
left, the last one leaves the state the row holds, and the figures agree with a recomputation.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from typing import Any

from bench.generate import HISTORY_ONLY_TICKET_ACTIONS, open_writer
from server.proposals.workflow import TRANSITIONS as PROPOSAL_TRANSITIONS
from server.settings import ROOT
from server.tickets.workflow import TRANSITIONS as TICKET_TRANSITIONS
from tests.conftest import create_empty_database, drop_database

TICKET_ROWS = {(f.value, a, t.value) for f, a, t in TICKET_TRANSITIONS}
PROPOSAL_ROWS = {(f.value, a, t.value) for f, a, t in PROPOSAL_TRANSITIONS}


def _walk_problems(
    histories: dict[int, list[tuple[Any, ...]]],
    statuses: dict[int, str],
    rows: set[tuple[str, str, str]],
    start: str,
    outside_table: frozenset[str],
) -> list[str]:
    """What is wrong with each history: (action, from, to) events in order, against `rows`."""
    problems = []
    for object_id, status in statuses.items():
        current = start
        for action, frm, to in histories.get(object_id, []):
            if action in outside_table:
                ok = frm == to == current
            else:
                ok = frm == current and (frm, action, to) in rows
            if not ok:
                problems.append(f"{object_id}: {action} {frm}->{to} after {current}")
                break
            current = to
        else:
            if current != status:
                problems.append(f"{object_id}: history ends at {current}, the row says {status}")
    return problems


async def test_generated_histories_follow_the_workflow_tables_and_the_figures_agree() -> None:
    url = await create_empty_database("bench")
    try:
        result = subprocess.run(
            [
                sys.executable,
                "bench/generate.py",
                *("--database-url", url, "--tickets", "300", "--days", "20", "--staff", "450"),
                *("--proposals", "30", "--deputies", "20", "--until", "2026-01-10", "--verify-rollup"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ticket_rollup matches a recomputation" in result.stdout

        db = await open_writer(url)
        try:
            tickets = dict(await db.rows("SELECT id, status FROM ticket"))
            ticket_events = await db.rows(
                "SELECT ticket_id, action, from_status, to_status FROM ticket_event ORDER BY at, id"
            )
            proposals = dict(await db.rows("SELECT id, status FROM proposal"))
            proposal_events = await db.rows(
                "SELECT proposal_id, action, from_status, to_status FROM proposal_event "
                "WHERE task_id IS NULL ORDER BY at, id"
            )
        finally:
            await db.close()
    finally:
        await drop_database(url)

    assert len(tickets) > 300 and len(proposals) >= 30
    ticket_histories: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for ticket_id, action, frm, to in ticket_events:
        ticket_histories[ticket_id].append((action, frm, to))
    for ticket_id, history in ticket_histories.items():
        assert history[0] == ("register", None, "REGISTERED"), (ticket_id, history)
        ticket_histories[ticket_id] = history[1:]
    assert not _walk_problems(
        ticket_histories, tickets, TICKET_ROWS, "REGISTERED", HISTORY_ONLY_TICKET_ACTIONS
    )
    # the generated tickets take more than the shortest way: reopened, transferred, escalated
    actions = {action for _t, action, _f, _to in ticket_events}
    assert {"reopen", "transfer", "department_update", "close", "reject"} <= actions

    proposal_histories: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for proposal_id, action, frm, to in proposal_events:
        proposal_histories[proposal_id].append((action, frm, to))
    for proposal_id, history in proposal_histories.items():
        if history[0][0] == "create":  # drafted through the service (the demo's proposals)
            assert history[0][1:] == (None, "DRAFT"), (proposal_id, history)
            proposal_histories[proposal_id] = history[1:]
    assert not _walk_problems(proposal_histories, proposals, PROPOSAL_ROWS, "DRAFT", frozenset())
