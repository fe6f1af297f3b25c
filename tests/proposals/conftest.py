from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest


class Clock:
    """The app's clock (server.clock), moved forward by the test: never back, histories are in
    time order."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def today(self) -> date:
        from server import clock

        return clock.today()

    def now(self) -> datetime:
        from server import clock

        return clock.now()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from server import clock as module

    real_now = module.now
    fake = Clock()
    monkeypatch.setattr(module, "now", lambda: real_now() + fake.offset)
    return fake
