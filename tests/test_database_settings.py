"""The database settings: pool sizes and timeouts from the environment reach the PostgreSQL
connection, a database URL's own parameters win, and nonsense is refused at start."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from server.database import tortoise_config
from server.settings import load_settings, settings


def _credentials(url: str, monkeypatch: pytest.MonkeyPatch, *, serving: bool = True, **given: Any) -> Any:
    monkeypatch.setattr("server.database.settings", dataclasses.replace(settings, **given))
    return tortoise_config(url, serving=serving)["connections"]["default"]["credentials"]


def test_pool_and_timeouts_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    given = {
        "database_pool_min": 2,
        "database_pool_max": 12,
        "database_connect_timeout_seconds": 3,
        "database_statement_timeout_seconds": 30,
    }
    served = _credentials("postgresql://u@db/lianxin", monkeypatch, **given)
    assert (str(served["minsize"]), str(served["maxsize"])) == ("2", "12")
    assert (str(served["timeout"]), str(served["command_timeout"])) == ("3", "30")
    admin = _credentials("postgresql://u@db/lianxin", monkeypatch, serving=False, **given)
    assert "command_timeout" not in admin  # migrations and admin commands are not bounded
    own = _credentials("postgresql://u@db/lianxin?maxsize=3&command_timeout=60", monkeypatch, **given)
    assert (str(own["maxsize"]), str(own["command_timeout"])) == ("3", "60")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LIANXIN_DATABASE_POOL_MAX": "0"}, "LIANXIN_DATABASE_POOL_MAX must be at least 1"),
        (
            {"LIANXIN_DATABASE_POOL_MIN": "8", "LIANXIN_DATABASE_POOL_MAX": "4"},
            "more than LIANXIN_DATABASE_POOL_MAX",
        ),
        ({"LIANXIN_DATABASE_STATEMENT_TIMEOUT_SECONDS": "soon"}, "must be an integer"),
        ({"LIANXIN_DATABASE_CONNECT_TIMEOUT_SECONDS": "0"}, "must be at least 1"),
        ({"LIANXIN_METRICS_ALLOW": "10.0.0.0/8,intranet"}, "'intranet' is not an address or network"),
    ],
)
def test_nonsense_is_refused_at_start(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as refused:
        load_settings()
    assert message in str(refused.value)


def test_replica_urls_and_metrics_addresses_are_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANXIN_DATABASE_REPLICA_URLS", "postgresql://r1/db, postgresql://r2/db,")
    monkeypatch.setenv("LIANXIN_METRICS_ALLOW", "10.1.2.3, 192.168.0.0/16")
    loaded = load_settings()
    assert loaded.database_replica_urls == ("postgresql://r1/db", "postgresql://r2/db")
    assert loaded.metrics_allow == ("10.1.2.3", "192.168.0.0/16")
