"""Times in filters: compared in the city's time zone.

SQLite keeps datetimes as text with their offset (+08:00), so a filter instant must be written in
the same offset to compare correctly; a time without an offset is taken as Dongguan time.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

CITY_TZ = ZoneInfo("Asia/Shanghai")


def local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=CITY_TZ)
    return value.astimezone(CITY_TZ)
