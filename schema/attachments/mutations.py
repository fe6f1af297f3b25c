"""Adding and removing attachments outside the workflow steps (registerTicket and resolveTicket
take photos themselves)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from schema.attachments.types import Attachment, as_attachment
from schema.attachments.uploads import read_uploads
from schema.enums import AttachmentStage
from schema.errors import ForbiddenError, NotFoundError, ValidationError, error_member
from schema.ids import decode_id
from server.attachments import service
from server.errors import DomainError

Errors = ValidationError | NotFoundError | ForbiddenError


@strawberry.type
class AttachmentsPayload:
    attachments: list[Attachment]


@strawberry.type
class RemoveAttachmentPayload:
    removed_id: strawberry.ID


AttachmentsResult = Annotated[AttachmentsPayload | Errors, strawberry.union("AttachmentsResult")]
RemoveAttachmentResult = Annotated[
    RemoveAttachmentPayload | Errors, strawberry.union("RemoveAttachmentResult")
]

FILES = (
    "Sent as the GraphQL multipart request spec says (multipart/form-data with operations, map and the "
    "files). Limits: per file, per ticket or proposal, and how many (see the README); the type is "
    "decided from the bytes (JPEG, PNG, WebP, HEIC, PDF); images are re-encoded without their location."
)


@strawberry.type
class AttachmentsMutation:
    @strawberry.mutation(
        description="Attach photos or documents to a ticket. INTAKE needs ticket:register or "
        "ticket:update, ON_SITE ticket:arrive, RESOLUTION ticket:resolve, OTHER any of them, in the "
        "ticket's jurisdiction. " + FILES
    )
    async def add_ticket_attachment(
        self, info: strawberry.Info, ticket_id: strawberry.ID, stage: AttachmentStage, files: list[Upload]
    ) -> AttachmentsResult:
        ctx = info.context
        try:
            pk = decode_id(ticket_id, "Ticket", "ticketId")
            rows = await service.add_to_ticket(pk, stage, await read_uploads(files, "files"), ctx.caller)
            ticket = await service.owner_of(rows[0], ctx.authz)
        except DomainError as exc:
            return error_member(exc)
        return AttachmentsPayload(attachments=[as_attachment(r, ctx.authz, ticket) for r in rows])

    @strawberry.mutation(
        description="Attach documents to a proposal: REPLY (the reply letter) needs proposal:reply; "
        "OTHER needs proposal:plan, or, for its author, own_proposal:update. " + FILES
    )
    async def add_proposal_attachment(
        self, info: strawberry.Info, proposal_id: strawberry.ID, stage: AttachmentStage, files: list[Upload]
    ) -> AttachmentsResult:
        ctx = info.context
        try:
            pk = decode_id(proposal_id, "Proposal", "proposalId")
            rows = await service.add_to_proposal(pk, stage, await read_uploads(files, "files"), ctx.caller)
            proposal = await service.owner_of(rows[0], ctx.authz)
        except DomainError as exc:
            return error_member(exc)
        return AttachmentsPayload(attachments=[as_attachment(r, ctx.authz, proposal) for r in rows])

    @strawberry.mutation(
        description="Remove an attachment: its uploader, or an administrator (user:update across the "
        "city). The audit trail keeps what it was."
    )
    async def remove_attachment(self, info: strawberry.Info, id: strawberry.ID) -> RemoveAttachmentResult:
        try:
            await service.remove(decode_id(id, "Attachment", "id"), info.context.caller)
        except DomainError as exc:
            return error_member(exc)
        return RemoveAttachmentPayload(removed_id=id)
