"""When a rule's offset after a due time ends.

MERGE: the work calendar (server/calendar/) counts working hours and days on the Chinese work
calendar, holidays and make-up days included, per jurisdiction. Until it is in this branch this is
the one place that counts: weekdays only (Saturday and Sunday off, every weekday a working day, all
24 hours of it). Point the body at `server.calendar.add_work_time(start, amount, unit,
jurisdiction_id=jurisdiction_id)` at the merge; nothing else counts working time here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from server.clock import CITY_TZ
from server.escalation.vocabulary import TimeUnit

WEEKEND = (5, 6)


async def add_work_time(
    start: datetime, amount: int, unit: TimeUnit, *, jurisdiction_id: int | None = None
) -> datetime:
    del jurisdiction_id  # the calendar's office hours per jurisdiction, after the merge
    if unit is TimeUnit.NATURAL_HOURS:
        return start + timedelta(hours=amount)
    at = start.astimezone(CITY_TZ)
    if unit is TimeUnit.WORKING_DAYS:
        added = 0
        while added < amount:
            at += timedelta(days=1)
            if at.weekday() not in WEEKEND:
                added += 1
        return at
    remaining = timedelta(hours=amount)
    while remaining > timedelta(0):
        midnight = datetime.combine(at.date() + timedelta(days=1), datetime.min.time(), tzinfo=CITY_TZ)
        if at.weekday() in WEEKEND:
            at = midnight
            continue
        step = min(remaining, midnight - at)
        at += step
        remaining -= step
    return at
