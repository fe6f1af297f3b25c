"""Files sent with the GraphQL multipart request spec (strawberry's Upload), read for the service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.datastructures import UploadFile

from server.attachments import service
from server.caller import Caller
from server.enums import AttachmentStage
from server.errors import FieldProblem, ValidationFailed
from server.settings import settings


async def read_uploads(files: Sequence[Any], field_name: str) -> list[service.Upload]:
    """Each file's name, declared type and bytes: at most the size limit and one byte more, so a
    file over it is refused without being held whole. A value that is not a file (a string in JSON
    variables or in the document) is refused on its own field."""
    not_files = [
        FieldProblem(
            f"{field_name}[{i}]", "send a file, with the GraphQL multipart request spec", "NOT_A_FILE"
        )
        for i, upload in enumerate(files)
        if not isinstance(upload, UploadFile)
    ]
    if not_files:
        raise ValidationFailed(problems=not_files)
    read = []
    for upload in files:
        data = await upload.read(settings.attachment_max_bytes + 1)
        read.append(
            service.Upload(
                name=str(getattr(upload, "filename", "") or ""),
                content_type=str(getattr(upload, "content_type", "") or ""),
                data=data,
            )
        )
    return read


async def checked(
    files: Sequence[Any] | None, stage: AttachmentStage, caller: Caller
) -> service.Pending | None:
    """Photos sent with a workflow step, checked whole (ValidationFailed on `photos[i]`); None
    when none were sent."""
    if not files:
        return None
    caller.authz.require_viewer()  # nobody's files are decoded before we know who sent them
    uploads = await read_uploads(files, "photos")
    return await service.check(uploads, stage, caller, field_name="photos")
