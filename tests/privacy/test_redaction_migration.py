"""Migration 0008 redacts the personal data earlier code copied into the append-only tables, keeps
them append-only, and records itself in the audit trail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.conftest import create_empty_database, drop_database
from tests.privacy import at_0006


def _run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIANXIN_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=180)


async def test_0008_redacts_audit_and_history_rows_and_keeps_them_append_only() -> None:
    url = await create_empty_database("redact")
    try:
        setup = _run("-m", "tests.privacy.at_0006", "setup", url, database_url=url)
        assert setup.returncode == 0, setup.stderr
        migrate = _run("-m", "lianxin.cli", "migrate", database_url=url)
        assert migrate.returncode == 0, migrate.stderr
        assert "applied lianxin.0008_redact_personal_data" in migrate.stdout
        look = _run("-m", "tests.privacy.at_0006", "inspect", url, database_url=url)
        assert look.returncode == 0, look.stderr
        db: dict[str, Any] = json.loads(look.stdout)
    finally:
        await drop_database(url)

    tickets = [r for r in db["audit_entry"] if r["object_type"] == "Ticket"]
    events = db["ticket_event"]
    text = json.dumps([tickets, events], ensure_ascii=False)
    for value in (at_0006.NAME, at_0006.PHONE, at_0006.NEW_PHONE, at_0006.ID_NUMBER):
        assert value not in text
    register, update = tickets
    assert register["before"] is None and register["after"]["reporter_phone"] == "[set]"
    assert update["before"]["reporter_phone"] == "[set]" and update["after"]["reporter_phone"] == "[changed]"
    assert update["after"]["reporter_name"] == "[set]"  # unchanged by that update
    assert update["after"]["description"] == "占道经营，回电139****0002，身份证441900********234X，欧阳**"
    assert events[1]["comment"] == "已处理，欧阳**满意，回访139****0001"
    assert events[1]["data"] == {"method": "SERVICE", "note": "电话139****0002"}
    # everything else as it was
    assert update["after"]["number"] == "DG-20260101-000001" and update["after"]["status"] == "REGISTERED"
    station = next(r for r in db["audit_entry"] if r["object_type"] == "Station")
    assert station["after"] == {"phone": at_0006.STAFF_PHONE}
    assert [e["action"] for e in events] == ["register", "resolve", "update"]
    assert [e["comment"] for e in db["proposal_event"]] == ["群众来电139****0001反映"]

    assert all(db["refused"].values()), db["refused"]  # still append-only, UPDATE and DELETE alike

    [entry] = [r for r in db["audit_entry"] if r["operation"] == "redactPersonalData"]
    assert entry["actor"] == "migration" and entry["before"] is None
    assert entry["after"] == {"rowsRedacted": {"audit_entry": 2, "ticket_event": 1, "proposal_event": 1}}
