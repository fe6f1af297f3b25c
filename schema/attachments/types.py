"""Attachments as the API shows them: what the file is, and short-lived links to fetch it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from schema.enums import AttachmentStage
from schema.ids import to_global_id
from server.attachments import service
from server.authz.authorizer import Authorizer
from server.enums import label_zh
from server.settings import settings

LINK_NOTE = (
    f"A link valid for {settings.attachment_link_seconds} seconds, for you alone (your session or key), "
    "usable without an Authorization header (an <img src>); read it again for a fresh one. Null when you "
    "may read the ticket but not this file: a citizen's photo at intake needs ticket_personal:read."
)


@strawberry.type(description="A photo or document on a ticket or a proposal.")
class Attachment:
    id: strawberry.ID
    stage: AttachmentStage
    content_type: str = strawberry.field(
        description="Decided from the bytes: image/jpeg, image/png, "
        "image/webp or application/pdf (HEIC is kept as JPEG)."
    )
    size: int = strawberry.field(description="Bytes, as stored (images are re-encoded).")
    file_name: str = strawberry.field(
        description="The uploaded name, made safe, with the real type's extension."
    )
    width: int | None
    height: int | None
    captured_at: datetime | None = strawberry.field(
        description="When the photo was taken (EXIF), when it says."
    )
    uploaded_by: str
    uploaded_at: datetime
    url: str | None = strawberry.field(description="The file. " + LINK_NOTE)
    thumbnail_url: str | None = strawberry.field(
        description="A JPEG at most 320 px wide and high, for lists; null for documents. " + LINK_NOTE
    )

    @strawberry.field(description="Chinese label of the stage, e.g. 现场.")
    def stage_label(self) -> str | None:
        return label_zh(self.stage)


def as_attachment(row: Any, authz: Authorizer, owner: Any) -> Attachment:
    """`row` (an attachment of `owner`, which the caller may read) with links for this caller."""
    may = service.may_download(authz, row, owner)
    url = service.signed_path(row.id, "file", authz) if may else None
    thumbnail = service.signed_path(row.id, "thumbnail", authz) if may and row.thumbnail_key else None
    return Attachment(
        id=strawberry.ID(to_global_id("Attachment", row.id)),
        stage=row.stage,
        content_type=row.content_type,
        size=row.size,
        file_name=row.file_name,
        width=row.width,
        height=row.height,
        captured_at=row.captured_at,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
        url=url,
        thumbnail_url=thumbnail,
    )


def visible_attachments(rows: list[Any], authz: Authorizer, owner: Any) -> list[Attachment]:
    """An owner's attachments the caller sees in its list: a proposal's reply letters are
    correspondence, listed only for those who read the replies."""
    return [as_attachment(row, authz, owner) for row in rows if service.listed(authz, row, owner)]
