"""Attachments: photos and documents on tickets and proposals (server.attachments). The bytes live
in the attachment store, named by their SHA-256; these rows say whose they are. No seed data."""

from server.enums import AttachmentOwner, AttachmentStage
from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0015_return_visits")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Attachment",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "owner_kind",
                    fields.CharEnumField(
                        description="TICKET: TICKET\nPROPOSAL: PROPOSAL",
                        enum_type=AttachmentOwner,
                        max_length=16,
                    ),
                ),
                ("owner_id", fields.BigIntField()),
                (
                    "stage",
                    fields.CharEnumField(
                        description="INTAKE: INTAKE\nON_SITE: ON_SITE\nRESOLUTION: RESOLUTION\nREPLY: REPLY\n"
                        "OTHER: OTHER",
                        enum_type=AttachmentStage,
                        max_length=16,
                    ),
                ),
                (
                    "content_type",
                    fields.CharField(description="decided from the bytes, e.g. image/jpeg", max_length=64),
                ),
                ("size", fields.BigIntField(description="bytes stored (after re-encoding)")),
                (
                    "sha256",
                    fields.CharField(description="the stored bytes' SHA-256: the store's key", max_length=64),
                ),
                (
                    "file_name",
                    fields.CharField(default="", description="the uploaded name, sanitised", max_length=120),
                ),
                ("width", fields.IntField(null=True)),
                ("height", fields.IntField(null=True)),
                (
                    "captured_at",
                    fields.DatetimeField(
                        null=True,
                        description="EXIF DateTimeOriginal, when a photo has it",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "thumbnail_key",
                    fields.CharField(null=True, description="a 320 px JPEG, for images", max_length=64),
                ),
                (
                    "uploaded_by",
                    fields.CharField(description="the actor, as in history and audit", max_length=100),
                ),
                ("uploaded_by_user_id", fields.IntField(null=True)),
                ("uploaded_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "attachment",
                "app": "lianxin",
                "indexes": [
                    Index(fields=["owner_kind", "owner_id"]),
                    Index(fields=["sha256"]),
                    Index(fields=["thumbnail_key"]),
                ],
                "pk_attr": "id",
                "table_description": (
                    "A photo or document on a ticket or a proposal. The bytes live in the attachment store"
                ),
            },
            bases=["Model"],
        ),
    ]
