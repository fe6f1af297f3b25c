"""The time, in Dongguan: the app's one clock and the city's one time zone.

Every service asks `now()` (or `today()`) here, never datetime.now(), so that a test or a replay
that sets `server.clock.now` moves proposals, tickets and logs together. Deadlines for proposals
(reply due, opinion due, task due dates) are calendar days in the city, so lateness and "overdue"
depend on the date here. SQLite keeps datetimes as text with their offset (+08:00), so a filter
instant must be written in the same offset to compare correctly: `local()` does that, and takes a
time without an offset as Dongguan time.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CITY_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(CITY_TZ)


def today() -> date:
    """The city's calendar day now."""
    return local_date(now())


def local_date(value: datetime) -> date:
    """The city calendar day of an instant (a reply at 23:30 UTC is already the next day here)."""
    return value.astimezone(CITY_TZ).date()


def local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=CITY_TZ)
    return value.astimezone(CITY_TZ)
