from __future__ import annotations

from tortoise.expressions import Q

from schema.loaders import ByIdLoader, ManyByLoader, reference_q, scope_q
from server.authz.authorizer import any_of
from server.enums import ProposalStatus
from server.proposals.models import Deputy, HandlingTask, Proposal, ProposalEvent, ProposalUnit


def visible_proposals(ctx) -> Q | None:  # type: ignore[no-untyped-def]
    """Proposals in the caller's proposal-read scope, plus a deputy's own. A draft is its
    author's alone until submitted: it is not yet anyone else's business."""
    q = scope_q(ctx, "proposal")
    if q is not None:
        q = q & ~Q(status=ProposalStatus.DRAFT)
    viewer = ctx.authz.require_viewer()
    if viewer.deputy_id is not None and not ctx.authz.scope("own_proposal", "create").empty:
        own = Q(author_id=viewer.deputy_id)
        q = own if q is None else any_of(q, own)
    return q


class ProposalByIdLoader(ByIdLoader):
    model = Proposal

    def visible(self) -> Q | None:
        return visible_proposals(self.ctx)


class DeputyByIdLoader(ByIdLoader):
    model = Deputy

    def visible(self) -> Q | None:
        return reference_q(self.ctx)


class HandlingTaskByIdLoader(ByIdLoader):
    model = HandlingTask

    def visible(self) -> Q | None:
        return scope_q(self.ctx, "handling_task", "proposal__jurisdiction")


class TasksByProposalLoader(ManyByLoader):
    model = HandlingTask
    key_field = "proposal_id"

    def visible(self) -> Q | None:
        return scope_q(self.ctx, "handling_task", "proposal__jurisdiction")


class EventsByProposalLoader(ManyByLoader):
    """History of proposals the caller can already see."""

    model = ProposalEvent
    key_field = "proposal_id"


class UnitsByProposalLoader(ManyByLoader):
    model = ProposalUnit
    key_field = "proposal_id"
