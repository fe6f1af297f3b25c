"""The time, in Dongguan. One place to ask, so tests (and replays) can set the clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from server.timeutil import CITY_TZ

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
