"""Optimistic concurrency: a change applies only to the version the caller saw."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from server import clock
from server.errors import Conflict

M = TypeVar("M", bound=Model)


async def update_at_version(
    model: type[M],
    pk: int,
    version: int,
    values: dict[str, Any],
    *,
    using: BaseDBAsyncClient | None = None,
    now: datetime | None = None,
) -> M:
    """Write `values` if the row is still at `version`, moving it to the next version, and return
    the row as written. Zero rows updated means someone else changed it first: CONFLICT carrying
    the current version (call inside the change's transaction, so it all rolls back)."""

    def rows() -> Any:
        return model.filter(id=pk) if using is None else model.filter(id=pk).using_db(using)

    updated = (
        await rows()
        .filter(version=version)
        .update(**values, version=version + 1, updated_at=now or clock.now())
    )
    if updated == 0:
        current = await rows().values_list("version", flat=True)
        raise Conflict(model.__name__, pk, int(current[0]) if current else 0)
    return await rows().get()
