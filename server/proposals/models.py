from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from server.enums import HandlingUnitRole, ProposalStatus, Rating, ReplyResult, TaskStatus
from server.privacy.redaction import redact_json, redact_text

if TYPE_CHECKING:
    from server.geo.models import Jurisdiction
    from server.staff.models import Department


class Deputy(Model):
    """A people's congress deputy (人大代表)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    delegation = fields.CharField(max_length=100, default="", description="代表团, e.g. 长安镇代表团")
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="deputies", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int

    class Meta:
        table = "deputy"
        ordering = ("id",)


class Proposal(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True, description="e.g. 16-7-0001")
    congress_term = fields.IntField(description="e.g. 16 for the 16th congress")
    session = fields.IntField(description="e.g. 7 for the 7th session")
    title = fields.CharField(max_length=300)
    summary = fields.TextField(default="")
    body = fields.TextField(default="")
    internal_notes = fields.TextField(default="")
    status = fields.CharEnumField(ProposalStatus, max_length=16, db_index=True)
    jurisdiction: fields.ForeignKeyRelation[Jurisdiction] = fields.ForeignKeyField(
        "lianxin.Jurisdiction", related_name="proposals", on_delete=fields.RESTRICT
    )
    jurisdiction_id: int
    author: fields.ForeignKeyRelation[Deputy] = fields.ForeignKeyField(
        "lianxin.Deputy", related_name="proposals", on_delete=fields.RESTRICT
    )
    author_id: int
    category = fields.CharField(max_length=64, default="")
    key_supervision = fields.BooleanField(default=False)
    submitted_at = fields.DatetimeField(null=True)
    registered_at = fields.DatetimeField(null=True)
    assigned_at = fields.DatetimeField(null=True)
    reply_due = fields.DateField(null=True)
    replied_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    rehandling_count = fields.IntField(default=0)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "proposal"
        ordering = ("id",)


class ProposalCosigner(Model):
    id = fields.IntField(primary_key=True)
    proposal: fields.ForeignKeyRelation[Proposal] = fields.ForeignKeyField(
        "lianxin.Proposal", related_name="cosigners", on_delete=fields.RESTRICT
    )
    deputy: fields.ForeignKeyRelation[Deputy] = fields.ForeignKeyField(
        "lianxin.Deputy", related_name="cosigned", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "proposal_cosigner"
        unique_together = (("proposal", "deputy"),)


class ProposalUnit(Model):
    """Lead unit (牵头单位) or co-handling unit (协办单位) of a proposal."""

    id = fields.IntField(primary_key=True)
    proposal: fields.ForeignKeyRelation[Proposal] = fields.ForeignKeyField(
        "lianxin.Proposal", related_name="units", on_delete=fields.RESTRICT
    )
    proposal_id: int
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "lianxin.Department", related_name="proposal_units", on_delete=fields.RESTRICT
    )
    department_id: int
    role = fields.CharEnumField(HandlingUnitRole, max_length=16)
    opinion_due = fields.DateField(null=True)
    opinion_at = fields.DatetimeField(null=True)
    opinion = fields.TextField(default="")

    class Meta:
        table = "proposal_unit"
        unique_together = (("proposal", "department"),)


class HandlingTask(Model):
    """A row of the task breakdown table (任务分解表)."""

    id = fields.IntField(primary_key=True)
    proposal: fields.ForeignKeyRelation[Proposal] = fields.ForeignKeyField(
        "lianxin.Proposal", related_name="tasks", on_delete=fields.RESTRICT
    )
    proposal_id: int
    title = fields.CharField(max_length=300)
    responsible_unit: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "lianxin.Department", related_name="tasks", on_delete=fields.RESTRICT
    )
    responsible_unit_id: int
    due_on = fields.DateField()
    progress = fields.IntField(default=0, description="0–100")
    status = fields.CharEnumField(TaskStatus, max_length=16, default=TaskStatus.NOT_STARTED)
    notes = fields.TextField(default="")
    completed_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "handling_task"
        ordering = ("id",)


class ProposalReply(Model):
    id = fields.IntField(primary_key=True)
    proposal: fields.ForeignKeyRelation[Proposal] = fields.ForeignKeyField(
        "lianxin.Proposal", related_name="replies", on_delete=fields.RESTRICT
    )
    proposal_id: int
    result = fields.CharEnumField(ReplyResult, max_length=24)
    body = fields.TextField()
    reason = fields.TextField(default="")
    replied_by = fields.CharField(max_length=64)
    replied_at = fields.DatetimeField()
    late = fields.BooleanField(default=False)
    contact = fields.CharField(
        max_length=100,
        default="",
        db_default="",  # replies that exist get none (PostgreSQL needs it for them)
        description="联系人: the handling staff member and work phone on the letter",
    )
    # The issued reply letter (答复函), kept as attachments of the proposal: set once, never changed.
    letter_docx_id = fields.BigIntField(null=True, description="the issued letter's DOCX attachment")
    letter_pdf_id = fields.BigIntField(null=True, description="its PDF, when LibreOffice rendered one")

    class Meta:
        table = "proposal_reply"
        ordering = ("id",)


class ProposalRating(Model):
    id = fields.IntField(primary_key=True)
    proposal: fields.ForeignKeyRelation[Proposal] = fields.ForeignKeyField(
        "lianxin.Proposal", related_name="ratings", on_delete=fields.RESTRICT
    )
    proposal_id: int
    reply: fields.ForeignKeyRelation[ProposalReply] = fields.ForeignKeyField(
        "lianxin.ProposalReply", related_name="ratings", on_delete=fields.RESTRICT
    )
    deputy: fields.ForeignKeyRelation[Deputy] = fields.ForeignKeyField(
        "lianxin.Deputy", related_name="ratings", on_delete=fields.RESTRICT
    )
    deputy_id: int
    rating = fields.CharEnumField(Rating, max_length=24)
    comment = fields.TextField(default="")
    rated_at = fields.DatetimeField()

    class Meta:
        table = "proposal_rating"
        ordering = ("id",)


class ContactLog(Model):
    """Contacts with the deputy before, during and after handling."""

    id = fields.IntField(primary_key=True)
    proposal: fields.ForeignKeyRelation[Proposal] = fields.ForeignKeyField(
        "lianxin.Proposal", related_name="contacts", on_delete=fields.RESTRICT
    )
    proposal_id: int
    phase = fields.CharField(max_length=16, description="BEFORE, DURING or AFTER")
    channel = fields.CharField(max_length=32)
    summary = fields.TextField()
    contacted_by = fields.CharField(max_length=64)
    contacted_at = fields.DatetimeField()

    class Meta:
        table = "proposal_contact"
        ordering = ("id",)


class ProposalEvent(Model):
    """History of a proposal and its tasks. Appended in the transaction of the change, never updated.

    Never erased either: its comment and data are stored with phone and ID numbers masked."""

    id = fields.BigIntField(primary_key=True)
    proposal: fields.ForeignKeyRelation[Proposal] = fields.ForeignKeyField(
        "lianxin.Proposal", related_name="events", on_delete=fields.RESTRICT
    )
    proposal_id: int
    task: fields.ForeignKeyNullableRelation[HandlingTask] = fields.ForeignKeyField(
        "lianxin.HandlingTask", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    task_id: int | None
    actor = fields.CharField(max_length=64)
    action = fields.CharField(max_length=48)
    from_status = fields.CharField(max_length=24, null=True)
    to_status = fields.CharField(max_length=24, null=True)
    comment = fields.TextField(default="")
    data: fields.JSONField[Any] = fields.JSONField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "proposal_event"
        ordering = ("id",)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        self.comment = redact_text(self.comment)
        self.data = redact_json(self.data)
        await super().save(*args, **kwargs)
