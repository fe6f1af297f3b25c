"""Proposals: listing now; the handling workflow builds on this."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from server.errors import FieldProblem, ValidationFailed
from server.geo.service import within
from server.proposals.models import Proposal
from server.timeutil import local


def list_proposals(
    *,
    visible: Q,
    status: str | None = None,
    within_id: int | None = None,
    key_supervision: bool | None = None,
    search: str | None = None,
    submitted_from: datetime | None = None,
    submitted_to: datetime | None = None,
) -> QuerySet[Proposal]:
    submitted_from, submitted_to = local(submitted_from), local(submitted_to)
    if submitted_from and submitted_to and submitted_from > submitted_to:
        raise ValidationFailed(problems=[FieldProblem("submittedTo", "is before submittedFrom", "BAD_RANGE")])
    query = Proposal.filter(visible)
    if status is not None:
        query = query.filter(status=status)
    if within_id is not None:
        query = query.filter(within("jurisdiction", within_id))
    if key_supervision is not None:
        query = query.filter(key_supervision=key_supervision)
    if search:
        query = query.filter(Q(number__icontains=search) | Q(title__icontains=search))
    if submitted_from is not None:
        query = query.filter(submitted_at__gte=submitted_from)
    if submitted_to is not None:
        query = query.filter(submitted_at__lt=submitted_to)
    return query
