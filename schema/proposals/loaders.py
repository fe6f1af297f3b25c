from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q

from schema.loaders import ByIdLoader, ManyByLoader, reference_q, scope_q
from server.proposals import access
from server.proposals.models import (
    ContactLog,
    Deputy,
    HandlingTask,
    Proposal,
    ProposalCosigner,
    ProposalEvent,
    ProposalRating,
    ProposalReply,
    ProposalUnit,
)
from server.proposals.outcomes import TicketFigures, ticket_figures

if TYPE_CHECKING:
    from schema.context import Context


def visible_proposals(ctx) -> Q | None:
    """Proposals in the caller's proposal-read scope, plus a deputy's own (drafts are their
    author's alone). The rule lives in server/proposals/access.py, shared with the services."""
    return access.visible_proposals(ctx.authz)


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
    """History of proposals the caller can already see: the proposal's own events (its tasks
    keep theirs, see EventsByTaskLoader)."""

    model = ProposalEvent
    key_field = "proposal_id"

    def visible(self) -> Q | None:
        return Q(task_id__isnull=True)


class EventsByTaskLoader(ManyByLoader):
    model = ProposalEvent
    key_field = "task_id"

    def visible(self) -> Q | None:
        return scope_q(self.ctx, "handling_task", "proposal__jurisdiction")


class UnitsByProposalLoader(ManyByLoader):
    model = ProposalUnit
    key_field = "proposal_id"


class CosignersByProposalLoader(ManyByLoader):
    """Co-signatures of proposals the caller can already see (public, like the author)."""

    model = ProposalCosigner
    key_field = "proposal_id"


class RepliesByProposalLoader(ManyByLoader):
    model = ProposalReply
    key_field = "proposal_id"

    def visible(self) -> Q | None:
        return access.correspondence_q(self.ctx.authz)


class RatingsByReplyLoader(ManyByLoader):
    model = ProposalRating
    key_field = "reply_id"

    def visible(self) -> Q | None:
        return access.correspondence_q(self.ctx.authz)


class RatingsByProposalLoader(ManyByLoader):
    """Ratings of each proposal, oldest first, read like its replies."""

    model = ProposalRating
    key_field = "proposal_id"

    def visible(self) -> Q | None:
        return access.correspondence_q(self.ctx.authz)


class RatersOfLatestReplyByProposalLoader(DataLoader[int, "frozenset[int] | None"]):
    """Who rated each proposal's latest reply (None when it has no reply yet): what rating and
    closing depend on (access.Facts). Not filtered: it only feeds availableActions of proposals
    the caller already sees, never shown as such. Two statements for any number of proposals."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[int]) -> list[Any]:
        raters = await access.raters_of_latest_replies(keys)
        return [raters.get(key) for key in keys]


class ContactsByProposalLoader(ManyByLoader):
    model = ContactLog
    key_field = "proposal_id"

    def visible(self) -> Q | None:
        return access.correspondence_q(self.ctx.authz)


class TicketFiguresByStationLoader(DataLoader[int, TicketFigures | None]):
    """Ticket figures of stations, over the tickets in the caller's statistics scope: one GROUP BY
    station_id IN (…) and one median statement for however many stations. None when the caller
    reads no statistics."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[int]) -> list[Any]:
        scope = self.ctx.authz.scope("stats", "read")
        if scope.empty:
            return [None] * len(keys)
        figures = await ticket_figures(keys, visible=scope.where())
        return [figures.get(key, TicketFigures()) for key in keys]
