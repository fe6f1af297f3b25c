"""Issuing reply letters and importing stations from spreadsheets."""

from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from schema.attachments.types import as_attachment
from schema.documents.types import ImportProblem, ImportStationsPayload, ReplyLetterPayload
from schema.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, error_member
from schema.ids import decode_id
from server.documents import imports, letters
from server.errors import DomainError, FieldProblem, ValidationFailed
from server.proposals.service import visible_proposal

IssueReplyLetterResult = Annotated[
    ReplyLetterPayload | ValidationError | NotFoundError | ForbiddenError | ConflictError,
    strawberry.union("IssueReplyLetterResult"),
]
ImportStationsResult = Annotated[
    ImportStationsPayload | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union("ImportStationsResult"),
]


async def _read_file(file: object) -> tuple[bytes, str]:
    if not isinstance(file, UploadFile):
        raise ValidationFailed(
            problems=[
                FieldProblem("file", "send a file, with the GraphQL multipart request spec", "NOT_A_FILE")
            ]
        )
    return await file.read(imports.MAX_BYTES + 1), str(file.filename or "")


@strawberry.type
class DocumentsMutation:
    @strawberry.mutation(
        description="Issue the reply letter (答复函) of the proposal's latest reply: kept as REPLY "
        "attachments (DOCX, and PDF when the server has LibreOffice) that never change. A second "
        "issue of the same reply is refused (ALREADY_ISSUED); a new reply gets a new letter. Needs "
        "proposal:reply, as staff of the lead unit."
    )
    async def issue_reply_letter(
        self, info: strawberry.Info, proposal_id: strawberry.ID
    ) -> IssueReplyLetterResult:
        ctx = info.context
        try:
            pk = decode_id(proposal_id, "Proposal", "proposalId")
            rows = await letters.issue_reply_letter(pk, ctx.caller)
            proposal = await visible_proposal(pk, ctx.authz)
        except DomainError as exc:
            return error_member(exc)
        base = f"/proposals/{proposal.number}/reply-letter"
        return ReplyLetterPayload(
            attachments=[as_attachment(r, ctx.authz, proposal) for r in rows],
            docx_path=base + ".docx",
            pdf_path=base + ".pdf",
        )

    @strawberry.mutation(
        description="Import stations from a spreadsheet (XLSX, or CSV in UTF-8), one station per row, "
        "matched by code (编号): new codes are created, changed rows updated, equal rows left alone. "
        "The same rules as createStation and updateStation; every problem is reported by row and "
        "column in Chinese and English, and any problem writes nothing. dryRun (the default) only "
        "checks. Needs station:create (and station:update for changes). The file is sent as the "
        "GraphQL multipart request spec says; columns are in the README."
    )
    async def import_stations(
        self, info: strawberry.Info, file: Upload, dry_run: bool = True
    ) -> ImportStationsResult:
        ctx = info.context
        try:
            ctx.authz.require_viewer()
            data, name = await _read_file(file)
            result = await imports.import_stations(data, name, ctx.caller, dry_run=dry_run)
        except DomainError as exc:
            return error_member(exc)
        return ImportStationsPayload(
            dry_run=result.dry_run,
            committed=result.committed,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            problems=[
                ImportProblem(
                    row=p.row, column=p.column, code=p.code, message_zh=p.message_zh, message_en=p.message_en
                )
                for p in result.problems
            ],
        )
