"""Jurisdiction tree: 'this jurisdiction and everything beneath it' as one SQL condition."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from server.geo.models import Jurisdiction


def subtree_ids(jurisdiction_id: int) -> frozenset[int]:
    """Ids at or beneath a jurisdiction, from the tree the policy engine keeps in memory."""
    from server.authz.engine import engine

    code = engine.tree.code(jurisdiction_id)
    return engine.tree.ids_within((code,)) if code else frozenset()


def within(field: str, jurisdiction_id: int) -> Q:
    """Rows whose `field` (a jurisdiction foreign key) lies at or beneath the jurisdiction."""
    condition: dict[str, Any] = {f"{field}_id__in": sorted(subtree_ids(jurisdiction_id))}
    return Q(**condition)


def list_jurisdictions(
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
        query = query.filter(id__in=sorted(subtree_ids(within_id)))
    if search:
        query = query.filter(Q(name__icontains=search) | Q(name_en__icontains=search))
    return query
