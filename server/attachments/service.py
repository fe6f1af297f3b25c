"""Attachments on tickets and proposals: checking uploads, keeping them, who may read and remove
them, signed download links, and the cleanup of files no row points to.

An upload is checked whole before anything is written (count, size per file and per owner, the
type from the bytes, a decode by Pillow or pypdf: server.attachments.media); then its files are
written to the store, then its rows commit in the same transaction as the change they belong to
(a ticket's registration, its resolution, or the attachment alone). A crash between the two leaves
files without rows: orphans, which `cleanup_orphans` removes once they are older than the grace
period (no upload takes that long), so nothing half-written is ever visible.

Access is the owner's: whoever may read the ticket (or proposal) sees its attachments; a citizen's
photo at intake may show people, so downloading one needs ticket_personal:read and is logged as a
read of personal data (field `photo`). A reply letter on a proposal is correspondence, read as the
replies are.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import clock
from server.attachments import media
from server.attachments.models import Attachment
from server.attachments.storage import Store, attachment_store
from server.audit.service import record, snapshot
from server.authz.authorizer import Authorizer
from server.caller import Caller
from server.enums import AttachmentOwner, AttachmentStage
from server.errors import FieldProblem, Forbidden, NotFound, ValidationFailed
from server.settings import settings

log = logging.getLogger("lianxin.attachments")

TICKET_STAGES = {
    AttachmentStage.INTAKE: ("register", "update"),
    AttachmentStage.ON_SITE: ("arrive",),
    AttachmentStage.RESOLUTION: ("resolve",),
    AttachmentStage.OTHER: ("register", "update", "dispatch", "arrive", "resolve"),
}
PROPOSAL_STAGES = (AttachmentStage.REPLY, AttachmentStage.OTHER)
VARIANTS = ("file", "thumbnail")


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the API layer read it: at most the size limit and one byte more, so a
    file over the limit is known to be over without holding all of it."""

    name: str
    content_type: str
    data: bytes


@dataclass
class Pending:
    """Checked uploads, not yet written: `store` before the transaction, `write` inside it."""

    stage: AttachmentStage
    files: list[media.Prepared]
    caller: Caller
    keys: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files)

    async def store(self) -> None:
        store = attachment_store()

        def put_all() -> list[str]:
            keys = []
            for prepared in self.files:
                keys.append(store.put(prepared.data))
                if prepared.thumbnail is not None:
                    keys.append(store.put(prepared.thumbnail))
            return keys

        self.keys = await asyncio.to_thread(put_all)

    async def write(self, conn: BaseDBAsyncClient, owner: AttachmentOwner, owner_id: int) -> list[Attachment]:
        """Inside the owner's transaction: one row per file, and its audit entry."""
        if not self.keys and self.files:
            raise RuntimeError("attachments are stored before their rows are written")
        viewer = self.caller.viewer
        now = clock.now()
        rows = []
        for prepared in self.files:
            row = await Attachment.create(
                owner_kind=owner,
                owner_id=owner_id,
                stage=self.stage,
                content_type=prepared.content_type,
                size=len(prepared.data),
                sha256=hashlib.sha256(prepared.data).hexdigest(),
                file_name=prepared.file_name,
                width=prepared.width,
                height=prepared.height,
                captured_at=prepared.captured_at,
                thumbnail_key=None
                if prepared.thumbnail is None
                else hashlib.sha256(prepared.thumbnail).hexdigest(),
                uploaded_by=self.caller.actor[:100],
                uploaded_by_user_id=viewer.user_id if viewer else None,
                uploaded_at=now,
                using_db=conn,
            )
            await record(self.caller, "attachment.add", row, using=conn)
            rows.append(row)
        return rows


def _problem(field_name: str, index: int, message: str, code: str) -> FieldProblem:
    return FieldProblem(f"{field_name}[{index}]", message, code)


async def check(
    uploads: Sequence[Upload],
    stage: AttachmentStage,
    caller: Caller,
    *,
    field_name: str = "photos",
    held_count: int = 0,
    held_bytes: int = 0,
) -> Pending:
    """The uploads as they will be stored, or ValidationFailed naming each file refused
    (`photos[1]`) and why. Nothing is written here."""
    problems: list[FieldProblem] = []
    limit, total_limit, count_limit = (
        settings.attachment_max_bytes,
        settings.attachment_max_total_bytes,
        settings.attachment_max_count,
    )
    if held_count + len(uploads) > count_limit:
        problems.append(
            FieldProblem(
                field_name,
                f"at most {count_limit} files per ticket or proposal; it has {held_count} already",
                "TOO_MANY",
            )
        )
    prepared: list[media.Prepared] = []
    total = held_bytes
    for index, upload in enumerate(uploads):
        if not upload.data:
            problems.append(_problem(field_name, index, "the file is empty", "EMPTY"))
            continue
        if len(upload.data) > limit:
            problems.append(
                _problem(field_name, index, f"the file is larger than {limit / 1048576:g} MB", "TOO_LARGE")
            )
            continue
        try:
            # Decoding and encoding take a CPU for a moment: off the event loop.
            done = await asyncio.to_thread(media.prepare, upload.data, upload.name, upload.content_type)
        except media.Refused as exc:
            problems.append(_problem(field_name, index, exc.message, exc.code))
            continue
        total += len(done.data)
        prepared.append(done)
    if total > total_limit:
        problems.append(
            FieldProblem(
                field_name,
                f"the files of one ticket or proposal may hold {total_limit / 1048576:g} MB together",
                "TOO_LARGE",
            )
        )
    if problems:
        raise ValidationFailed(problems=problems)
    return Pending(stage=stage, files=prepared, caller=caller)


async def held(owner: AttachmentOwner, owner_id: int) -> tuple[int, int]:
    """(count, bytes) of the files an owner holds already."""
    sizes: list[Any] = await Attachment.filter(owner_kind=owner, owner_id=owner_id).values_list(
        "size", flat=True
    )
    return len(sizes), sum(int(s) for s in sizes)


async def check_room(
    pending: Pending, owner: AttachmentOwner, owner_id: int, field_name: str = "photos"
) -> None:
    """ValidationFailed when an owner's files and these together would pass the count or size
    limit (checked for the new files alone by `check`)."""
    count, size = await held(owner, owner_id)
    problems = []
    if count + len(pending.files) > settings.attachment_max_count:
        problems.append(
            FieldProblem(
                field_name,
                f"at most {settings.attachment_max_count} files; it has {count} already",
                "TOO_MANY",
            )
        )
    if size + sum(len(p.data) for p in pending.files) > settings.attachment_max_total_bytes:
        limit = settings.attachment_max_total_bytes / 1048576
        problems.append(FieldProblem(field_name, f"its files may hold {limit:g} MB together", "TOO_LARGE"))
    if problems:
        raise ValidationFailed(problems=problems)


# ---- adding and removing ------------------------------------------------------------------------


async def _visible_ticket(ticket_id: int, authz: Authorizer) -> Any:
    from server.tickets.workflow_service import visible_ticket  # the tickets import this module

    return await visible_ticket(ticket_id, authz)


async def _visible_proposal(proposal_id: int, authz: Authorizer) -> Any:
    from server.proposals.service import visible_proposal

    return await visible_proposal(proposal_id, authz)


def _may_attach_to_ticket(authz: Authorizer, ticket: Any, stage: AttachmentStage) -> bool:
    from server.tickets import access

    return any(access.may(authz, ticket, action) for action in TICKET_STAGES.get(stage, ()))


def _may_attach_to_proposal(authz: Authorizer, proposal: Any, stage: AttachmentStage) -> bool:
    where = proposal.jurisdiction_id
    if stage == AttachmentStage.REPLY:
        return authz.can("proposal", "reply", where)
    return authz.can("proposal", "plan", where) or (
        authz.owns_proposal(proposal) and authz.can("own_proposal", "update", where)
    )


def _stage_problem(stage: AttachmentStage, allowed: Iterable[AttachmentStage]) -> ValidationFailed:
    names = ", ".join(s.value for s in allowed)
    return ValidationFailed(
        problems=[FieldProblem("stage", f"{stage.value} is not one of {names}", "INVALID")]
    )


async def _add(
    owner: AttachmentOwner, owner_id: int, uploads: Sequence[Upload], stage: AttachmentStage, caller: Caller
) -> list[Attachment]:
    count, size = await held(owner, owner_id)
    pending = await check(uploads, stage, caller, field_name="files", held_count=count, held_bytes=size)
    if not pending:
        raise ValidationFailed(problems=[FieldProblem("files", "send at least one file", "REQUIRED")])
    await pending.store()
    async with in_transaction() as conn:
        return await pending.write(conn, owner, owner_id)


async def add_to_ticket(
    ticket_id: int, stage: AttachmentStage, uploads: Sequence[Upload], caller: Caller
) -> list[Attachment]:
    """Photos (or documents) on a ticket; the stage's workflow permission (intake: register or
    update; on site: arrive; resolution: resolve) in its jurisdiction."""
    ticket = await _visible_ticket(ticket_id, caller.authz)
    if stage not in TICKET_STAGES:
        raise _stage_problem(stage, TICKET_STAGES)
    if not _may_attach_to_ticket(caller.authz, ticket, stage):
        raise Forbidden(f"You may not attach {stage.value} files to this ticket.")
    return await _add(AttachmentOwner.TICKET, ticket.id, uploads, stage, caller)


async def add_to_proposal(
    proposal_id: int, stage: AttachmentStage, uploads: Sequence[Upload], caller: Caller
) -> list[Attachment]:
    """A reply letter (proposal:reply) or another document (proposal:plan, or the author's
    own_proposal:update) on a proposal."""
    proposal = await _visible_proposal(proposal_id, caller.authz)
    if stage not in PROPOSAL_STAGES:
        raise _stage_problem(stage, PROPOSAL_STAGES)
    if not _may_attach_to_proposal(caller.authz, proposal, stage):
        raise Forbidden(f"You may not attach {stage.value} files to this proposal.")
    return await _add(AttachmentOwner.PROPOSAL, proposal.id, uploads, stage, caller)


async def _owner_visible(row: Attachment, authz: Authorizer) -> Any:
    """The attachment's owner when the caller may read it; NOT_FOUND (for the attachment) else."""
    try:
        if row.owner_kind == AttachmentOwner.TICKET:
            owner = await _visible_ticket(row.owner_id, authz)
        else:
            owner = await _visible_proposal(row.owner_id, authz)
            if row.stage == AttachmentStage.REPLY and not _may_read_correspondence(authz, owner):
                raise NotFound("Attachment", row.id)
    except NotFound:
        raise NotFound("Attachment", row.id) from None
    return owner


async def owner_of(row: Attachment, authz: Authorizer) -> Any:
    """The ticket or proposal an attachment belongs to, when the caller may read it."""
    return await _owner_visible(row, authz)


def listed(authz: Authorizer, row: Attachment, owner: Any) -> bool:
    """Whether an attachment appears in its owner's list for this caller (who reads the owner): all
    of a ticket's (a citizen's photo without its link unless the caller may download it), a
    proposal's reply letters only for those who read its replies."""
    return row.owner_kind == AttachmentOwner.TICKET or may_download(authz, row, owner)


def _may_read_correspondence(authz: Authorizer, proposal: Any) -> bool:
    where = proposal.jurisdiction_id
    return authz.can("proposal_internal", "read", where) or (
        authz.owns_proposal(proposal) and authz.can("own_proposal", "read", where)
    )


def is_admin(authz: Authorizer) -> bool:
    """Administrators (user:update across the city) may remove anyone's attachment."""
    return authz.scope("user", "update").everywhere


async def remove(attachment_id: int, caller: Caller) -> Attachment:
    """Remove an attachment: its uploader (who must still read its owner), or an administrator
    (who reads no tickets: the ID suffices). The audit entry keeps what it was; its files go once
    no row uses them."""
    row = await Attachment.get_or_none(id=attachment_id)
    if row is None:
        raise NotFound("Attachment", attachment_id)
    admin = is_admin(caller.authz)
    if not admin:  # an administrator reads no tickets, yet must be able to take down a file
        await _owner_visible(row, caller.authz)
    viewer = caller.authz.require_viewer()
    mine = viewer.user_id is not None and row.uploaded_by_user_id == viewer.user_id
    if not mine and not admin:
        raise Forbidden("Only the uploader or an administrator may remove an attachment.")
    before = snapshot(row)
    async with in_transaction() as conn:
        deleted = await Attachment.filter(id=row.id).using_db(conn).delete()
        if not deleted:
            raise NotFound("Attachment", attachment_id)
        await record(caller, "attachment.remove", row, before=before, using=conn)
    await purge([row.sha256, *([row.thumbnail_key] if row.thumbnail_key else [])])
    return row


# ---- reading ------------------------------------------------------------------------------------


async def by_owner(owner: AttachmentOwner, owner_ids: Sequence[int]) -> list[list[Attachment]]:
    """Each owner's attachments, oldest first, in the order of `owner_ids` (one statement). The
    caller has read the owners already: their visibility is checked there."""
    rows = await Attachment.filter(owner_kind=owner, owner_id__in=list(owner_ids)).order_by("id")
    grouped: dict[int, list[Attachment]] = {}
    for row in rows:
        grouped.setdefault(row.owner_id, []).append(row)
    return [grouped.get(i, []) for i in owner_ids]


def may_download(authz: Authorizer, row: Attachment, owner: Any) -> bool:
    """Whether a caller who may read the owner may also fetch this file: a citizen's photo at
    intake is personal data (ticket_personal:read); a reply letter is correspondence."""
    if row.owner_kind == AttachmentOwner.TICKET:
        return row.stage != AttachmentStage.INTAKE or authz.can(
            "ticket_personal", "read", owner.jurisdiction_id
        )
    return row.stage != AttachmentStage.REPLY or _may_read_correspondence(authz, owner)


@dataclass(frozen=True)
class Download:
    data: bytes
    content_type: str
    file_name: str


async def download(attachment_id: int, variant: str, caller: Caller) -> Download:
    """The bytes of an attachment (or its thumbnail) for a caller who may read its owner, checked
    again now whatever the link says; a citizen's photo is recorded as a personal-data read."""
    if variant not in VARIANTS:
        raise NotFound("Attachment", attachment_id)
    row = await Attachment.get_or_none(id=attachment_id)
    if row is None:
        raise NotFound("Attachment", attachment_id)
    owner = await _owner_visible(row, caller.authz)
    if not may_download(caller.authz, row, owner):
        raise Forbidden("A citizen's photo is personal data: it needs ticket_personal:read.")
    key = row.sha256 if variant == "file" else row.thumbnail_key
    if key is None:
        raise NotFound("Attachment", attachment_id)
    store = attachment_store()
    try:
        data = await asyncio.to_thread(store.open, key)
    except FileNotFoundError:
        log.error("attachment %s: its file %s is missing from the store", row.id, key)
        raise NotFound("Attachment", attachment_id) from None
    if row.owner_kind == AttachmentOwner.TICKET and row.stage == AttachmentStage.INTAKE and caller.call:
        caller.call.personal_reads.append((owner.id, owner.number, "photo"))
    if variant == "file":
        return Download(data, row.content_type, row.file_name)
    return Download(data, media.JPEG, row.file_name.rsplit(".", 1)[0] + "-thumbnail.jpg")


# ---- signed links -------------------------------------------------------------------------------


def link_holder(authz: Authorizer) -> str | None:
    """Whom a link is bound to: the caller's session (s.<id>) or key (k.<prefix>)."""
    viewer = authz.viewer
    if viewer is None:
        return None
    if viewer.is_api_key:
        return "k." + viewer.name.removeprefix("key:")
    return None if viewer.session_id is None else "s." + viewer.session_id


def _signature(attachment_id: int, variant: str, holder: str, expires: int) -> str:
    message = f"attachment-link\n{attachment_id}\n{variant}\n{holder}\n{expires}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:43]


def signed_path(attachment_id: int, variant: str, authz: Authorizer) -> str | None:
    """A short-lived link to a file for this caller (an <img src> carries no Authorization
    header): valid for settings.attachment_link_seconds, for this attachment and variant, for
    the caller's session or key, and checked against the caller's access again when used."""
    holder = link_holder(authz)
    if holder is None:
        return None
    expires = int(clock.now().timestamp()) + settings.attachment_link_seconds
    signature = _signature(attachment_id, variant, holder, expires)
    return f"/attachments/{attachment_id}/{variant}?by={holder}&exp={expires}&sig={signature}"


def verify_link(attachment_id: int, variant: str, holder: str, expires: str, signature: str) -> str | None:
    """Why a link is not valid (None when it is)."""
    if not expires.isdigit() or len(expires) > 12:
        return "The link is malformed."
    expected = _signature(attachment_id, variant, holder, int(expires))
    if not hmac.compare_digest(expected, signature):
        return "The link's signature is not valid."
    if int(expires) <= clock.now().timestamp():
        return "The link has expired: read the attachment's url again."
    return None


# ---- the store's housekeeping ------------------------------------------------------------------


async def _referenced(keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    files = await Attachment.filter(sha256__in=list(keys)).values_list("sha256", flat=True)
    thumbs = await Attachment.filter(thumbnail_key__in=list(keys)).values_list("thumbnail_key", flat=True)
    return {str(k) for k in files} | {str(k) for k in thumbs if k}


def _old_enough(store: Store, key: str, before: datetime) -> bool:
    written = store.modified(key)
    return written is not None and written < before


async def purge(keys: Sequence[str]) -> int:
    """Delete these files now when no row uses them and no upload wrote them lately (one in flight
    may be about to commit a row naming the same bytes: those wait for the cleanup)."""
    store = attachment_store()
    unused = [k for k in dict.fromkeys(keys) if k not in await _referenced(keys)]
    before = clock.now() - timedelta(seconds=settings.attachment_orphan_grace_seconds)
    gone = 0
    for key in unused:
        if _old_enough(store, key, before):
            store.delete(key)
            gone += 1
    return gone


@dataclass
class Cleanup:
    files: int = 0  # files in the store
    removed: int = 0  # orphans removed
    leftovers: int = 0  # temporary files of interrupted writes removed
    kept_young: int = 0  # orphans younger than the grace period, left for the next run


async def cleanup_orphans(grace_seconds: int | None = None) -> Cleanup:
    """Remove stored files no attachment row points to, once older than the grace period (an
    upload writes its files before its rows commit), and temporary files of interrupted writes.
    Safe to run at any time and in several processes; a second run finds nothing to do. The
    scheduled-work runner calls it periodically; `lianxin attachments cleanup` runs it once."""
    grace = settings.attachment_orphan_grace_seconds if grace_seconds is None else grace_seconds
    before = clock.now() - timedelta(seconds=grace)
    store = attachment_store()
    result = Cleanup()
    result.leftovers = store.sweep_leftovers(before)
    held_keys = list(store.keys())
    result.files = len(held_keys)
    for start in range(0, len(held_keys), 500):
        chunk = held_keys[start : start + 500]
        used = await _referenced([k for k, _ in chunk])
        for key, written in chunk:
            if key in used:
                continue
            if written >= before:
                result.kept_young += 1
                continue
            # Checked once more just before: a row may have committed since the chunk was read.
            if await _referenced([key]):
                continue
            store.delete(key)
            result.removed += 1
    if result.removed or result.leftovers:
        log.info(
            "attachments cleanup: %d orphan files and %d leftovers removed", result.removed, result.leftovers
        )
    return result


async def remove_for_tickets(
    conn: BaseDBAsyncClient, ticket_ids: Sequence[int], stages: Sequence[AttachmentStage] | None = None
) -> list[str]:
    """Inside the caller's transaction: delete the attachment rows of these tickets (all of them, or
    those of `stages`) for retention and erasure. Returns the keys their files had: `purge` them
    after the commit (a file another row still uses stays)."""
    if not ticket_ids:
        return []
    query = Attachment.filter(owner_kind=AttachmentOwner.TICKET, owner_id__in=list(ticket_ids))
    if stages is not None:
        query = query.filter(stage__in=list(stages))
    rows = await query.using_db(conn).values_list("id", "sha256", "thumbnail_key")
    if not rows:
        return []
    await Attachment.filter(id__in=[r[0] for r in rows]).using_db(conn).delete()
    return [str(k) for r in rows for k in r[1:] if k]
