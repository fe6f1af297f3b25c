"""Retention takes a ticket's photos with the rest of its personal data: the rows, and the files
no other row uses."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from typing import Any

from server.clock import today as city_today
from server.settings import settings
from tests.attachments.helpers import jpeg, multipart, stored_files
from tests.attachments.test_attachments import REGISTER, TICKET
from tests.helpers import data
from tests.tickets.workflow_helpers import Clock, at, ids, step

CUTOFF = date(2016, 1, 1)


async def test_retention_removes_the_photos_of_the_tickets_it_anonymises(
    client: Any, gql: Any, monkeypatch: Any, database_url: str
) -> None:
    refs = await ids(gql)
    days = (city_today() - CUTOFF).days  # counted in the city's days, as the command counts them
    clock = Clock(monkeypatch, at(2015, 3, 2, 9, 0))
    before = stored_files()
    variables = {
        "i": {
            "source": "WALK_IN",
            "categoryId": refs["category"],
            "description": "占道经营",
            "reporterName": "欧阳明华",
            "reporterPhone": "13920150302",
            "stationId": refs["station"],
        },
        "photos": [None],
    }
    files = {"variables.photos.0": ("old.jpg", jpeg((9, 9, 9)), "image/jpeg")}
    registered = data(await multipart(client, REGISTER, variables, files, await gql.token("worker-xiagang")))
    ticket = registered["registerTicket"]["ticket"]
    clock.set(9, 30)
    rejected = await step(
        gql,
        "rejectTicket",
        ", reason: $r",
        {
            "t": {"id": ticket["id"], "version": ticket["version"]},
            "r": "不属于城管职责",
            "_types": ", $r: String!",
        },
        "chief-changan",
    )
    assert rejected["__typename"] == "TicketPayload", rejected
    photo_files = stored_files() - before
    assert len(photo_files) == 2
    taken = at(2015, 3, 2, 9, 0).timestamp()
    for path in photo_files:  # written when the ticket was registered, years ago
        os.utime(path, (taken, taken))

    env = {
        **os.environ,
        "LIANXIN_DATABASE_URL": database_url,
        "LIANXIN_SECRET_KEY": settings.secret_key,
        "LIANXIN_PERSONAL_DATA_RETENTION_DAYS": str(days),
    }
    done = subprocess.run(
        [sys.executable, "-m", "lianxin.cli", "retention", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert data(await gql(TICKET, {"id": ticket["id"]}))["node"]["attachments"] == []
    assert not stored_files() & photo_files
