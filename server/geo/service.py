"""Jurisdiction tree: 'this jurisdiction and everything beneath it' as one SQL condition."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from server.geo.models import Jurisdiction


def subtree_q(codes: Iterable[str]) -> Q:
    """Jurisdictions at or beneath any of `codes` (codes are slash-separated paths)."""
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(code=code) | Q(code__startswith=code + "/")
    return q


def within(field: str, codes: Iterable[str]) -> Q:
    """Rows whose `field` (a jurisdiction foreign key) lies at or beneath any of `codes`.

    Uses a sub-select on the small jurisdiction table, so the big table is filtered by
    an indexed `<field>_id IN (…)` in the same statement.
    """
    codes = list(codes)
    if not codes:
        return Q(pk__in=[])
    ids = Subquery(Jurisdiction.filter(subtree_q(codes)).values("id"))
    return Q(**{f"{field}_id__in": ids})


async def jurisdiction_code(jurisdiction_id: int) -> str | None:
    row = await Jurisdiction.filter(id=jurisdiction_id).first().values_list("code", flat=True)
    return row  # type: ignore[return-value]


async def list_jurisdictions(
    *,
    level: str | None = None,
    parent_id: int | None = None,
    within_id: int | None = None,
    search: str | None = None,
) -> QuerySet[Jurisdiction]:
    query = Jurisdiction.all()
    if level is not None:
        query = query.filter(level=level)
    if parent_id is not None:
        query = query.filter(parent_id=parent_id)
    if within_id is not None:
        code = await jurisdiction_code(within_id)
        query = query.filter(subtree_q([code])) if code else query.none()
    if search:
        query = query.filter(Q(name__icontains=search) | Q(name_en__icontains=search))
    return query
