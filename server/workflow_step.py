"""One step of a workflow on one versioned row, the same way in every domain.

A step on a ticket, a proposal, a station or a posting goes through the same stages:

1. load the row the caller may see (`load_visible`: NOT_FOUND otherwise, whether or not it exists);
2. the domain checks its policy line and its transition table (FORBIDDEN, TRANSITION_REFUSED or a
   validation problem, in the domain's own words);
3. one transaction writes the change under the version guard (a race loses with CONFLICT and
   rolls everything back), the step's history event(s) through the domain's hook, any further
   rows the domain writes with it, and the audit entry (`write_step`, or `take_step` which opens
   the transaction);
4. after the commit, live delivery (`after_commit`): best effort, the change stands whatever
   happens there.

The domains differ only in their hooks: which history table, which audit operation, what to
publish.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from server.audit.service import record, snapshot
from server.caller import Caller
from server.errors import NotFound
from server.versioning import update_at_version

log = logging.getLogger("lianxin.workflow")

M = TypeVar("M", bound=Model)

# Writes the step's history (and anything derived from it) inside the step's transaction, given
# the connection and the row as written.
HistoryHook = Callable[[BaseDBAsyncClient, M], Awaitable[None]]


async def load_visible(model: type[M], pk: int, may_read: Callable[[M], bool], name: str | None = None) -> M:
    """The row if the caller may read it; NOT_FOUND otherwise, so that a refusal never confirms
    that a row outside the caller's scope exists."""
    obj = await model.get_or_none(id=pk)
    if obj is None or not may_read(obj):
        raise NotFound(name or model.__name__, pk)
    return obj


async def write_step(
    conn: BaseDBAsyncClient,
    obj: M,
    version: int,
    caller: Caller,
    *,
    operation: str,
    changes: dict[str, Any],
    history: HistoryHook[M] | None = None,
    now: datetime | None = None,
) -> M:
    """Inside `conn`'s transaction: the change if the row is still at `version`, its history, its
    audit entry (before: `obj` as read). Returns the row as written."""
    before = snapshot(obj)
    fresh = await update_at_version(type(obj), obj.pk, version, changes, using=conn, now=now)
    if history is not None:
        await history(conn, fresh)
    await record(caller, operation, fresh, before=before, using=conn)
    return fresh


async def take_step(
    obj: M,
    version: int,
    caller: Caller,
    *,
    operation: str,
    changes: dict[str, Any],
    history: HistoryHook[M] | None = None,
    also: HistoryHook[M] | None = None,
    publish: Callable[[M], Awaitable[None]] | None = None,
    now: datetime | None = None,
) -> M:
    """`write_step` in its own transaction, then `also` (further rows the change writes, in the
    same transaction), then `publish` once it has committed."""
    async with in_transaction() as conn:
        fresh = await write_step(
            conn, obj, version, caller, operation=operation, changes=changes, history=history, now=now
        )
        if also is not None:
            await also(conn, fresh)
    if publish is not None:
        await after_commit(publish, fresh, operation)
    return fresh


async def after_commit(publish: Callable[[M], Awaitable[None]], obj: M, operation: str) -> None:
    """Live delivery of a committed change: whatever goes wrong here, the change stands and its
    caller hears of its success."""
    try:
        await publish(obj)
    except Exception:
        log.exception("could not publish %s of %s %s", operation, type(obj).__name__, obj.pk)
