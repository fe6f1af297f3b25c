"""The time, in Dongguan. One place to ask, so tests (and replays) can set the clock."""

from __future__ import annotations

from datetime import datetime

from server.timeutil import CITY_TZ


def now() -> datetime:
    return datetime.now(CITY_TZ)
