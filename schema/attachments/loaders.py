from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from server.attachments import service
from server.enums import AttachmentOwner

if TYPE_CHECKING:
    from schema.context import Context


class _AttachmentsByOwnerLoader(DataLoader[int, list[Any]]):
    """An owner's attachments, for owners the caller has read already (their visibility is
    checked there), in one statement per batch."""

    owner: AttachmentOwner

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[int]) -> list[list[Any]]:
        return await service.by_owner(self.owner, keys)


class AttachmentsByTicketLoader(_AttachmentsByOwnerLoader):
    owner = AttachmentOwner.TICKET


class AttachmentsByProposalLoader(_AttachmentsByOwnerLoader):
    owner = AttachmentOwner.PROPOSAL
