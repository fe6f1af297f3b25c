"""What the admin sees of scheduled jobs, `lianxin jobs`, a job a killed worker left behind, and
retries with backoff."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from server.clock import CITY_TZ
from server.jobs.models import ScheduledJob
from server.settings import load_settings
from server.stats.models import TicketRollup
from tests.helpers import data
from tests.jobs.helpers import cli

JOBS = """{ jobs { name everySeconds lastOutcome lastError attempts failures runningOn
  lastStartedAt lastFinishedAt nextRunAt } }"""


async def _jobs(gql: Any) -> dict[str, dict[str, Any]]:
    return {j["name"]: j for j in data(await gql(JOBS, as_user="admin"))["jobs"]}


def _gap(job: dict[str, Any]) -> timedelta:
    return datetime.fromisoformat(job["nextRunAt"]) - datetime.fromisoformat(job["lastFinishedAt"])


async def test_the_admin_sees_every_job_and_no_one_else_does(gql: Any) -> None:
    jobs = await _jobs(gql)
    assert set(jobs) == {
        "escalation_sweep",
        "return_visit_sweep",
        "attachment_cleanup",
        "retention_run",
        "rollup_check",
        "overdue_proposal_notice",
    }
    assert all(j["lastOutcome"] == "NEVER_RUN" and j["nextRunAt"] is None for j in jobs.values())
    refused = await gql(JOBS, as_user="bureau")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_job_left_by_a_killed_worker_is_taken_again(gql: Any, database_url: str) -> None:
    assert cli(database_url, "jobs", "list").returncode == 0  # every job has its row now
    now = datetime.now(CITY_TZ)  # SQLite compares the text: written in the offset the server writes
    # What a worker killed in the middle of the sweep leaves: its lease, no longer renewed.
    await ScheduledJob.filter(name="escalation_sweep").update(
        locked_by="gone:1234:abcdef",
        lease_until=now - timedelta(seconds=1),
        last_started_at=now - timedelta(seconds=61),
        last_outcome="RUNNING",
        attempts=1,
        next_run_at=now - timedelta(minutes=5),
    )
    assert (await _jobs(gql))["escalation_sweep"]["lastOutcome"] == "ABANDONED"
    once = cli(database_url, "worker", "--once")
    assert once.returncode == 0, once.stderr
    assert "escalation_sweep: ok" in once.stdout
    sweep = (await _jobs(gql))["escalation_sweep"]
    assert (sweep["lastOutcome"], sweep["attempts"], sweep["runningOn"]) == ("SUCCEEDED", 2, None)


async def test_a_job_whose_worker_still_holds_it_is_not_run_twice(gql: Any, database_url: str) -> None:
    assert cli(database_url, "jobs", "list").returncode == 0
    now = datetime.now(CITY_TZ)  # SQLite compares the text: written in the offset the server writes
    await ScheduledJob.filter(name="escalation_sweep").update(
        locked_by="busy:1:abcdef",
        lease_until=now + timedelta(minutes=10),
        last_outcome="RUNNING",
        next_run_at=now - timedelta(minutes=5),
    )
    once = cli(database_url, "worker", "--once")
    assert once.returncode == 0 and "escalation_sweep" not in once.stdout, once.stdout
    forced = cli(database_url, "jobs", "run", "escalation_sweep")
    assert forced.returncode == 1 and "running on another runner" in forced.stderr
    sweep = (await _jobs(gql))["escalation_sweep"]
    assert (sweep["lastOutcome"], sweep["runningOn"]) == ("RUNNING", "busy:1:abcdef")


async def test_a_failing_job_is_retried_later_each_time_then_recovers(gql: Any, database_url: str) -> None:
    row = await TicketRollup.filter(count__gt=0).order_by("id").first()
    assert row is not None
    await TicketRollup.filter(id=row.id).update(count=row.count + 1)  # the figures drift

    first = cli(database_url, "jobs", "run", "rollup_check")
    assert first.returncode == 1 and "FAILED" in first.stdout
    check = (await _jobs(gql))["rollup_check"]
    assert (check["lastOutcome"], check["failures"], _gap(check)) == ("FAILED", 1, timedelta(seconds=30))
    assert "lianxin rollup rebuild" in check["lastError"]
    cli(database_url, "jobs", "run", "rollup_check")
    check = (await _jobs(gql))["rollup_check"]
    assert (check["failures"], check["attempts"], _gap(check)) == (2, 2, timedelta(seconds=60))

    assert cli(database_url, "rollup", "rebuild").returncode == 0
    fixed = cli(database_url, "jobs", "run", "rollup_check")
    assert fixed.returncode == 0, fixed.stdout
    check = (await _jobs(gql))["rollup_check"]
    assert (check["lastOutcome"], check["failures"], check["lastError"]) == ("SUCCEEDED", 0, "")
    assert _gap(check) == timedelta(seconds=check["everySeconds"])
    listed = cli(database_url, "jobs", "list").stdout
    assert "rollup_check" in listed and "SUCCEEDED" in listed


def test_an_unknown_job_is_named_as_such(database_url: str) -> None:
    unknown = cli(database_url, "jobs", "run", "nonesuch")
    assert unknown.returncode == 1 and "escalation_sweep" in unknown.stderr


@pytest.mark.parametrize(
    ("url", "runs"), [("sqlite:///tmp/x.sqlite3", True), ("postgres://u@localhost/lianxin", False)]
)
def test_the_server_runs_jobs_by_default_on_sqlite_only(url: str, runs: bool, monkeypatch: Any) -> None:
    monkeypatch.setenv("LIANXIN_DATABASE_URL", url)
    monkeypatch.delenv("LIANXIN_RUN_JOBS_IN_SERVER", raising=False)
    assert load_settings().run_jobs_in_server is runs
    monkeypatch.setenv("LIANXIN_RUN_JOBS_IN_SERVER", "no" if runs else "yes")
    assert load_settings().run_jobs_in_server is not runs
