"""Audit entries: written inside the caller's transaction so that a change and its record
commit or vanish together."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from server.audit.models import AuditEntry

if TYPE_CHECKING:
    from server.caller import Caller


def snapshot(obj: Model | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a row's own columns, without those its model keeps out of the audit
    trail (`audit_hidden`, e.g. an account's password hash)."""
    if obj is None:
        return None
    hidden: frozenset[str] = getattr(type(obj), "audit_hidden", frozenset())
    out: dict[str, Any] = {}
    for name in obj._meta.db_fields:
        field_name = obj._meta.fields_db_projection_reverse.get(name, name)
        if field_name in hidden:
            continue
        value = getattr(obj, field_name, None)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, (dt.datetime, dt.date)):
            value = value.isoformat()
        elif isinstance(value, decimal.Decimal):
            value = str(value)
        out[field_name] = value
    return out


async def record(
    caller: Caller,
    operation: str,
    obj: Model,
    *,
    before: dict[str, Any] | None = None,
    using: BaseDBAsyncClient | None = None,
) -> None:
    """The audit entry of one change by `caller`: the row after it (and before it, when it existed
    already), under the caller's name and request id."""
    await AuditEntry.create(
        actor=caller.actor,
        operation=operation,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        before=before,
        after=snapshot(obj),
        request_id=caller.request_id,
        using_db=using,
    )
