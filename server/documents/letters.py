"""Reply letters (答复函): the lead unit's formal answer to the deputies, made from the reply and
the proposal (number, title, deputies, unit, result class, text, contact person, date).

The letter's template is this module: python-docx lays it out (a layout in code is reviewed,
diffed and tested like the rest; a binary template file is none of these). Who may read it: whoever
reads the reply (access.correspondence_q, the rule of the reply's own field). Issuing it
(`issue_reply_letter`) keeps the DOCX, and the PDF when LibreOffice is here, as REPLY attachments
of the proposal; the reply then points to them and they never change. A second issue of the same
reply is refused (ALREADY_ISSUED): a letter that went out is a record, and a second version of it
would leave two different letters with the same number in circulation. A new reply (after a
re-handling) gets a letter of its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from server import clock
from server.attachments import media
from server.attachments.models import Attachment
from server.attachments.service import Pending
from server.attachments.storage import attachment_store
from server.audit.service import record, snapshot
from server.authz.authorizer import Authorizer
from server.caller import Caller
from server.documents import office
from server.enums import AttachmentOwner, AttachmentStage, HandlingUnitRole, ReplyResult
from server.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from server.proposals import access
from server.proposals.models import Deputy, Proposal, ProposalCosigner, ProposalReply, ProposalUnit
from server.proposals.service import Event, visible_proposal, write_event
from server.proposals.vocabulary import RESULT_CLASSES
from server.staff.models import Department


@dataclass(frozen=True)
class LetterFacts:
    """What a reply letter says, read from the reply and its proposal."""

    number: str
    title: str
    congress_term: int
    session: int
    deputies: list[str]  # the author first, then the co-signers
    unit: str
    result: ReplyResult
    reason: str
    body: str
    contact: str
    replied_at: datetime

    @property
    def result_mark(self) -> str:
        return RESULT_CLASSES[self.result].mark

    @property
    def result_label(self) -> str:
        return RESULT_CLASSES[self.result].label_zh


async def latest_reply(proposal_id: int, authz: Authorizer) -> tuple[Proposal, ProposalReply]:
    """The proposal's latest reply, when the caller may read it (as the reply's field answers):
    NOT_FOUND otherwise, whether the proposal is invisible or its correspondence is."""
    proposal = await visible_proposal(proposal_id, authz)
    readable = access.correspondence_q(authz)
    found = None
    if readable is not None:
        found = await ProposalReply.filter(readable, proposal_id=proposal.id).order_by("-id").first()
    if found is None:
        raise NotFound("ProposalReply", f"of proposal {proposal.number}")
    return proposal, found


async def letter_facts(proposal: Proposal, reply: ProposalReply) -> LetterFacts:
    author = await Deputy.get(id=proposal.author_id)
    cosigner_ids: list[Any] = (
        await ProposalCosigner.filter(proposal_id=proposal.id)
        .order_by("id")
        .values_list("deputy_id", flat=True)
    )
    cosigners = {d.id: d.name for d in await Deputy.filter(id__in=list(cosigner_ids))}
    lead = await ProposalUnit.filter(proposal_id=proposal.id, role=HandlingUnitRole.LEAD).first()
    unit = await Department.get_or_none(id=lead.department_id) if lead else None
    return LetterFacts(
        number=proposal.number,
        title=proposal.title,
        congress_term=proposal.congress_term,
        session=proposal.session,
        deputies=[author.name, *(cosigners[i] for i in cosigner_ids if i in cosigners)],
        unit=unit.name if unit else "",
        result=reply.result,
        reason=reply.reason,
        body=reply.body,
        contact=reply.contact,
        replied_at=clock.local(reply.replied_at) or reply.replied_at,
    )


def letter_docx(facts: LetterFacts) -> bytes:
    """The letter as DOCX: heading, result class, salutation, text, reasons (class C), closing,
    unit and date, contact person."""
    document = office.new_document()
    office.paragraph(document, facts.unit, size=16, font=office.SANS, align="center")
    office.paragraph(
        document,
        f"关于市第{facts.congress_term}届人大第{facts.session}次会议第{facts.number}号建议答复的函",
        size=18,
        bold=True,
        font=office.SANS,
        align="center",
    )
    office.paragraph(document, f"{facts.result_mark}类", size=14, bold=True, align="right")
    office.paragraph(document, "、".join(facts.deputies) + "代表：")
    office.paragraph(
        document,
        f"您提出的《{facts.title}》（第{facts.number}号建议）收悉，现答复如下：",
        indent=True,
    )
    for line in facts.body.splitlines():
        if line.strip():
            office.paragraph(document, line.strip(), indent=True)
    office.paragraph(document, f"办理结果：{facts.result_label}", indent=True)
    if facts.result == ReplyResult.CANNOT_BE_SOLVED and facts.reason.strip():
        office.paragraph(document, f"暂时无法解决的原因：{facts.reason.strip()}", indent=True)
    office.paragraph(
        document, "衷心感谢您对我市城市管理工作的关心和支持，欢迎继续提出宝贵意见。", indent=True
    )
    office.paragraph(document, "")
    office.paragraph(document, facts.unit, align="right")
    office.paragraph(document, office.chinese_date(facts.replied_at), align="right")
    office.paragraph(document, "")
    office.paragraph(document, f"联系人：{facts.contact or '（未填写）'}", size=10.5)
    return office.docx_bytes(
        document, title=f"{facts.number} 答复函", author=facts.unit or "lianxin", when=facts.replied_at
    )


def file_name(facts: LetterFacts, extension: str) -> str:
    return f"reply-letter-{facts.number}.{extension}"


# ---- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    data: bytes
    content_type: str
    file_name: str
    issued: bool


async def _stored(attachment_id: int) -> bytes:
    row = await Attachment.get(id=attachment_id)
    return await asyncio.to_thread(attachment_store().open, row.sha256)


async def reply_letter(proposal_id: int, fmt: str, caller: Caller) -> Letter:
    """The latest reply's letter, DOCX or PDF, for a caller who may read the reply: the issued
    file when the letter has been issued (the same bytes every time), a fresh rendering before."""
    proposal, reply = await latest_reply(proposal_id, caller.authz)
    facts = await letter_facts(proposal, reply)
    issued = reply.letter_docx_id is not None
    if fmt == "docx":
        data = await _stored(reply.letter_docx_id) if reply.letter_docx_id else letter_docx(facts)
        return Letter(data, office.DOCX, file_name(facts, "docx"), issued)
    if reply.letter_pdf_id is not None:
        return Letter(await _stored(reply.letter_pdf_id), office.PDF, file_name(facts, "pdf"), True)
    docx = await _stored(reply.letter_docx_id) if reply.letter_docx_id else letter_docx(facts)
    return Letter(await office.docx_to_pdf(docx), office.PDF, file_name(facts, "pdf"), issued)


# ---- issuing --------------------------------------------------------------------------------------


def _prepared(data: bytes, content_type: str, name: str) -> media.Prepared:
    return media.Prepared(content_type=content_type, data=data, file_name=name)


async def issue_reply_letter(proposal_id: int, caller: Caller) -> list[Attachment]:
    """Issue the latest reply's letter: staff of the lead unit with proposal:reply (who may attach
    a reply letter). Keeps the DOCX and, with LibreOffice, its PDF; refused once issued."""
    proposal = await visible_proposal(proposal_id, caller.authz)
    rel = await access.relation(caller.authz, proposal)
    access.require(caller.authz, proposal, "reply", rel)
    proposal, reply = await latest_reply(proposal_id, caller.authz)
    if reply.letter_docx_id is not None:
        raise ValidationFailed(
            problems=[
                FieldProblem(
                    "proposalId",
                    f"the letter for the latest reply to {proposal.number} has been issued already; "
                    "it does not change (a new reply gets a new letter)",
                    "ALREADY_ISSUED",
                )
            ]
        )
    facts = await letter_facts(proposal, reply)
    docx = letter_docx(facts)
    files = [_prepared(docx, office.DOCX, file_name(facts, "docx"))]
    if office.soffice() is not None:
        files.append(_prepared(await office.docx_to_pdf(docx), office.PDF, file_name(facts, "pdf")))
    pending = Pending(stage=AttachmentStage.REPLY, files=files, caller=caller)
    await pending.store()
    before = snapshot(reply)
    async with in_transaction() as conn:
        rows = await pending.write(conn, AttachmentOwner.PROPOSAL, proposal.id)
        changed = await (
            ProposalReply.filter(id=reply.id, letter_docx_id__isnull=True)
            .using_db(conn)
            .update(letter_docx_id=rows[0].id, letter_pdf_id=rows[1].id if len(rows) > 1 else None)
        )
        if not changed:  # issued meanwhile by someone else: this transaction leaves nothing behind
            raise Conflict("ProposalReply", reply.id, 1)
        fresh = await ProposalReply.get(id=reply.id, using_db=conn)
        await write_event(
            conn,
            proposal.id,
            caller.actor,
            Event(
                "issue_letter",
                None,
                None,
                data={"reply": reply.id, "attachments": [row.id for row in rows]},
            ),
            clock.now(),
        )
        await record(caller, "issueReplyLetter", fresh, before=before, using=conn)
    return rows
