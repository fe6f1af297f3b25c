"""The time, in Dongguan: the app's one clock and the city's one time zone.

Every service asks `now()` (or `today()`) here, never datetime.now(), so that a test or a replay
that sets `server.clock.now` moves proposals, tickets and logs together. Deadlines for proposals
(reply due, opinion due, task due dates) are calendar days in the city, so lateness and "overdue"
depend on the date here. SQLite keeps datetimes as text with their offset (+08:00), so a filter
instant must be written in the same offset to compare correctly: `local()` does that, and takes a
time without an offset as Dongguan time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from zoneinfo import ZoneInfo

CITY_TZ = ZoneInfo("Asia/Shanghai")

# Set only while a replay (the demo story) runs its steps at the story's times; per task, so a
# replay never moves the clock of requests served beside it.
_fixed: ContextVar[datetime | None] = ContextVar("lianxin_clock_fixed", default=None)


def now() -> datetime:
    fixed = _fixed.get()
    return fixed if fixed is not None else datetime.now(CITY_TZ)


@contextmanager
def fixed_at(moment: datetime) -> Iterator[datetime]:
    """Within the block, now() is `moment` (timezone-aware): every service called there writes
    its events, due times and deadlines as of that time."""
    if moment.tzinfo is None:
        raise ValueError("the clock is set to a timezone-aware time")
    token = _fixed.set(moment)
    try:
        yield moment
    finally:
        _fixed.reset(token)


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
