"""Documents (server.documents): a reply's contact person for its letter (答复函), the issued
letter's attachments, and room for a DOCX's content type (71 characters) in attachment rows. No
seed data: the letter's layout is code, not a row."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("lianxin", "0017_ticket_category_versions")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Attachment",
            name="content_type",
            field=fields.CharField(description="decided from the bytes, e.g. image/jpeg", max_length=100),
        ),
        ops.AddField(
            model_name="ProposalReply",
            name="contact",
            field=fields.CharField(
                default="",
                db_default="",
                description="联系人: the handling staff member and work phone on the letter",
                max_length=100,
            ),
        ),
        ops.AddField(
            model_name="ProposalReply",
            name="letter_docx_id",
            field=fields.BigIntField(null=True, description="the issued letter's DOCX attachment"),
        ),
        ops.AddField(
            model_name="ProposalReply",
            name="letter_pdf_id",
            field=fields.BigIntField(null=True, description="its PDF, when LibreOffice rendered one"),
        ),
    ]
