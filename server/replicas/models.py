"""The read replicas' one table: when each caller last changed data (server.replicas)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class WriteMark(Model):
    """A caller's last write.

    On the primary, where every worker and server sees it: the caller's reads go to the primary for
    LIANXIN_REPLICA_READ_YOUR_WRITES_SECONDS after it. Written only when read replicas are
    configured; old marks are deleted (they mean nothing after the window)."""

    caller = fields.CharField(max_length=128, primary_key=True, description="a user's or a key's name")
    wrote_at = fields.DatetimeField()

    class Meta:
        table = "replica_write_mark"
