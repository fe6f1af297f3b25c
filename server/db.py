"""Tortoise configuration: one app, every domain's models, native migrations."""

from __future__ import annotations

from typing import Any

from server.settings import settings

MODEL_MODULES = [
    "server.geo.models",
    "server.staff.models",
    "server.stations.models",
    "server.proposals.models",
    "server.tickets.models",
    "server.audit.models",
    "server.auth.models",
]


def _tortoise_url(url: str) -> str:
    # asyncpg is the production driver; accept the usual postgres:// spellings.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "asyncpg://" + url[len(prefix) :]
    return url


def tortoise_config(database_url: str | None = None) -> dict[str, Any]:
    url = _tortoise_url(database_url or settings.database_url)
    if url.startswith("sqlite://"):
        from pathlib import Path

        path = url[len("sqlite://") :]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": url},
        "apps": {
            "lianxin": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "Asia/Shanghai",
    }


# The `tortoise` CLI reads this: `tortoise -c server.db.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config()
