from __future__ import annotations

from typing import ClassVar

from tortoise import fields
from tortoise.models import Model

from server.enums import AttachmentOwner, AttachmentStage


class Attachment(Model):
    """A photo or document on a ticket or a proposal. The bytes live in the attachment store
    (server.attachments.storage), named by their SHA-256; this row says whose they are.

    One table for every owner (owner_kind + owner_id, no foreign key): the owner's own access rule
    decides who reads it. A citizen's photo at intake may show people: downloading it is logged
    like a read of personal data, and retention removes it with the rest."""

    id = fields.BigIntField(primary_key=True)
    owner_kind = fields.CharEnumField(AttachmentOwner, max_length=16)
    owner_id = fields.BigIntField()
    stage = fields.CharEnumField(AttachmentStage, max_length=16)
    # 100: a DOCX's type (a reply letter) is 71 characters long.
    content_type = fields.CharField(max_length=100, description="decided from the bytes, e.g. image/jpeg")
    size = fields.BigIntField(description="bytes stored (after re-encoding)")
    sha256 = fields.CharField(max_length=64, description="the stored bytes' SHA-256: the store's key")
    file_name = fields.CharField(max_length=120, default="", description="the uploaded name, sanitised")
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    captured_at = fields.DatetimeField(null=True, description="EXIF DateTimeOriginal, when a photo has it")
    thumbnail_key = fields.CharField(max_length=64, null=True, description="a 320 px JPEG, for images")
    uploaded_by = fields.CharField(max_length=100, description="the actor, as in history and audit")
    uploaded_by_user_id = fields.IntField(null=True)
    uploaded_at = fields.DatetimeField()

    # A file's name may be a person's (王小明.jpg): kept out of the append-only audit trail, so that
    # retention, which deletes the row, takes the name with it.
    audit_hidden: ClassVar[frozenset[str]] = frozenset({"file_name"})

    class Meta:
        table = "attachment"
        ordering = ("id",)
        indexes = (("owner_kind", "owner_id"), ("sha256",), ("thumbnail_key",))
