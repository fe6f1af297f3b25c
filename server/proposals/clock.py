"""The proposal workflow's view of the clock: the app's one clock (server/clock.py), as city days.

Deadlines (reply due, opinion due, task due dates) are calendar days in Dongguan; lateness and
"overdue" depend on today's date there. Services ask this module, never datetime.now(), so that a
test or a replay that sets server.clock moves proposals and tickets together.
"""

from __future__ import annotations

from datetime import date, datetime

from server import clock as app_clock
from server.timeutil import CITY_TZ


def now() -> datetime:
    return app_clock.now().astimezone(CITY_TZ)


def today() -> date:
    return now().date()


def local_date(value: datetime) -> date:
    """The city calendar day of an instant (a reply at 23:30 UTC is already the next day here)."""
    return value.astimezone(CITY_TZ).date()
