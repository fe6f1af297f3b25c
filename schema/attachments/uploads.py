"""Files sent with the GraphQL multipart request spec (strawberry's Upload), read for the service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.attachments import service
from server.caller import Caller
from server.enums import AttachmentStage
from server.settings import settings


async def read_uploads(files: Sequence[Any]) -> list[service.Upload]:
    """Each file's name, declared type and bytes: at most the size limit and one byte more, so a
    file over it is refused without being held whole."""
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
    return await service.check(await read_uploads(files), stage, caller, field_name="photos")
