from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from server.geo.models import Jurisdiction


class TicketRollup(Model):
    """Ticket figures kept up to date as tickets change, so that a scorecard over a million tickets
    sums a few thousand rows instead of scanning them.

    One row per (registration day, jurisdiction, metric): the ticket's community, its town and the
    city each get a row, so a scorecard at any level reads only its own level. Metrics:
    received, resolved, SERVICE / MANAGEMENT / ENFORCEMENT, resp:<bucket>, reso:<bucket> (time to
    first response / to resolution, in the buckets of server.stats.rollup.BUCKETS), resp_on_time /
    resp_late (first dispatch within the response due time or not), visit:satisfied / visit:basic /
    visit:dissatisfied / visit:unreached (return visits by outcome).
    """

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="ticket_rollups", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    metric = fields.CharField(max_length=24)
    count = fields.IntField(default=0)

    class Meta:
        table = "ticket_rollup"
        unique_together = (("day", "jurisdiction", "metric"),)
        indexes = (("jurisdiction_id", "day"),)


class RequestRate(Model):
    """Requests per rate-limited caller (e.g. "key:<prefix>") per fixed one-minute window, counted
    in the database so that every worker and every server shares one limit. A window's row is
    created by the first request in it (an atomic upsert, server.pipeline); rows of windows that
    have ended are deleted then, so the table holds about one row per active caller."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=64)
    window_start = fields.BigIntField()  # Unix seconds, a multiple of the window length
    count = fields.IntField(default=0)

    class Meta:
        table = "request_rate"
        unique_together = (("key", "window_start"),)
        indexes = (("window_start",),)
