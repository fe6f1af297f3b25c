"""A person's requests about their personal data (PIPL): what is held about a phone number, and
its erasure.

Tickets are matched on the phone's digits, however it was typed (spaces, hyphens, +86 / 0086):
those whose reporter gave the phone, and those whose free text mentions it in any form masking
recognises (server.privacy.masking.number_pattern) while their reporter is someone else (the
reporter was changed, or a neighbour's number was noted). An erasure anonymises every ticket of the
reporter exactly as retention does, masks the mentions in the others' free text (their own
reporter left alone), and is audited
without the phone in clear: the audit entry carries an HMAC-SHA256 of the normalised digits under
the server's secret key, so a later report for the same phone finds it and nobody can read the
number back out of the trail.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from server import clock
from server.attachments.service import purge, remove_for_tickets
from server.audit.models import AuditEntry, PersonalDataAccess
from server.authz.authorizer import Authorizer
from server.authz.engine import CITY
from server.caller import Caller
from server.enums import AttachmentStage
from server.errors import FieldProblem, ValidationFailed
from server.privacy.masking import fold_digits, mask_phone, mask_text, number_pattern, phone_digits
from server.privacy.retention import COLUMNS, FINAL_AT, FREE_TEXT, anonymise_rows, placeholders
from server.settings import settings
from server.tickets.workflow import OPEN
from server.validation import Problems

OBJECT = "personal_data_request"
ERASE_OPERATION = "erasePersonalData"
MAX_REASON = 500
MAX_LISTED = 1000  # tickets and reads listed in one report (counts are always complete)
PHONE_CHARACTERS = re.compile(r"^\+?[0-9][0-9 \-()]{3,29}$")
OPEN_VALUES = tuple(s.value for s in OPEN)
# The stored phone with what people type between digits removed; compared with the digits alone
# and with the country code in front. Indexed by exactly this expression (migration 0010).
STORED_DIGITS = (
    "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(reporter_phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '')"
)


def normalised(phone: str) -> str:
    """The digits of a phone number without the country code: '+86 138-0013-8000' → '13800138000'."""
    return phone_digits(phone)


def check_phone(phone: str, problems: Problems, field_name: str = "phone") -> str:
    phone = fold_digits(phone).replace("＋", "+")  # as typed with a Chinese input method
    digits = normalised(phone) if PHONE_CHARACTERS.match(phone.strip()) else ""
    if not 5 <= len(digits) <= 20:
        problems.add(
            field_name,
            "a phone number: digits, spaces, '-', '( )' and a leading '+', 5 to 20 digits",
            "INVALID",
        )
        return ""
    return digits


def phone_key(digits: str) -> str:
    """HMAC-SHA256 of the normalised digits under the server's secret key (64 hex characters)."""
    return hmac.new(settings.secret_key.encode(), digits.encode(), hashlib.sha256).hexdigest()


def mentions(text: str | None, digits: str) -> bool:
    """Whether free text contains the number, in any form masking recognises."""
    if not text:
        return False
    return number_pattern(digits).search(text) is not None


def _require(authz: Authorizer, act: str) -> None:
    authz.require(OBJECT, act, authz.engine.tree.id_by_code.get(CITY))


async def _matching_ids(digits: str) -> list[int]:
    conn = connections.get("default")
    ph = placeholders(conn)
    rows = await conn.execute_query_dict(
        f"SELECT id FROM ticket WHERE reporter_phone <> '' "  # noqa: S608 - fixed expression; the digits are bound
        f"AND {STORED_DIGITS} IN ({ph(1)}, {ph(2)}, {ph(3)}) ORDER BY id",
        [digits, "86" + digits, "0086" + digits],
    )
    return [int(r["id"]) for r in rows]


async def _mentioning_ids(digits: str, reporters: list[int]) -> list[int]:
    """Tickets (other than `reporters`) whose free text mentions the number. One statement scans
    the free-text columns for its last three digits in order, anything between them (a separator
    may split them: 1380013 80 00), in ASCII or full-width digits; the rows it finds are checked
    with the masking matcher. Digits of other scripts (Arabic-Indic, mathematical) are masked when
    read but not found here."""
    conn = connections.get("default")
    ph = placeholders(conn)
    tail = "%".join(digits[-3:])
    wide = "%".join(chr(0xFF10 + int(d)) for d in digits[-3:])
    likes = " OR ".join(f"{c} LIKE {ph(1)} OR {c} LIKE {ph(2)}" for c in FREE_TEXT)
    rows = await conn.execute_query_dict(
        f"SELECT id, {', '.join(FREE_TEXT)} FROM ticket WHERE {likes} ORDER BY id",  # noqa: S608 - column names; the patterns are bound
        [f"%{tail}%", f"%{wide}%"] * (1 if conn.capabilities.dialect == "postgres" else len(FREE_TEXT)),
    )
    skip = set(reporters)
    return [
        int(r["id"]) for r in rows if r["id"] not in skip and any(mentions(r[c], digits) for c in FREE_TEXT)
    ]


# ---- the report ----------------------------------------------------------------------------------


@dataclass
class HeldTicket:
    id: int
    number: str
    status: str
    registered_at: datetime
    final_at: datetime | None
    reporter_name: str
    reporter_phone: str
    fields_mentioning_phone: list[str]
    held_as_reporter: bool = True


@dataclass
class Read:
    at: datetime
    actor: str
    interface: str
    ticket_number: str
    fields_read: str
    request_id: str


@dataclass
class ErasureRecord:
    at: datetime
    actor: str
    ticket_numbers: list[str]
    count: int
    forced: bool
    reason: str


@dataclass
class Report:
    phone_masked: str
    ticket_count: int
    tickets: list[HeldTicket] = field(default_factory=list)
    read_count: int = 0
    reads: list[Read] = field(default_factory=list)
    erasures: list[ErasureRecord] = field(default_factory=list)


def _erasure(entry: AuditEntry) -> ErasureRecord:
    after: dict[str, Any] = entry.after if isinstance(entry.after, dict) else {}
    return ErasureRecord(
        at=entry.at,
        actor=entry.actor,
        ticket_numbers=[str(n) for n in after.get("tickets", [])],
        count=int(after.get("count", 0)),
        forced=bool(after.get("forced", False)),
        reason=str(after.get("reason", "")),
    )


async def report(phone: str, *, caller: Caller) -> Report:
    """Every ticket with this phone and what it holds, every logged read of those tickets' personal
    data (and of tickets erased earlier for this phone), and the earlier erasures."""
    _require(caller.authz, "read")
    problems = Problems()
    digits = check_phone(phone, problems)
    if problems:
        raise ValidationFailed(problems=list(problems))
    from server.tickets.models import Ticket

    ids = await _matching_ids(digits)
    mentioning = await _mentioning_ids(digits, ids)
    listed = sorted([*ids, *mentioning])[-MAX_LISTED:]
    tickets = await Ticket.filter(id__in=listed).order_by("-registered_at", "-id") if listed else []
    reporters = set(ids)
    held = [
        HeldTicket(
            id=t.id,
            number=t.number,
            status=t.status.value,
            registered_at=t.registered_at,
            final_at=t.closed_at or t.resolved_at,
            # a ticket that only mentions the phone belongs to someone else: not theirs to see
            reporter_name=t.reporter_name if t.id in reporters else "",
            reporter_phone=t.reporter_phone if t.id in reporters else "",
            fields_mentioning_phone=[f for f in FREE_TEXT if mentions(getattr(t, f), digits)],
            held_as_reporter=t.id in reporters,
        )
        for t in tickets
    ]
    earlier = AuditEntry.filter(operation=ERASE_OPERATION, object_id=phone_key(digits)).order_by("-id")
    erasures = [_erasure(e) for e in await earlier]
    erased_numbers = {n for e in erasures for n in e.ticket_numbers}
    read_ids = set(ids) | set(mentioning)
    if erased_numbers:
        # flat=True yields the values themselves; Tortoise types every values_list as tuples
        erased: list[Any] = await Ticket.filter(number__in=sorted(erased_numbers)).values_list(
            "id", flat=True
        )
        read_ids |= {int(i) for i in erased}
    reads_query = PersonalDataAccess.filter(ticket_id__in=sorted(read_ids))
    reads = await reads_query.order_by("-id").limit(MAX_LISTED) if read_ids else []
    return Report(
        phone_masked=mask_phone(digits) or "",
        ticket_count=len(ids) + len(mentioning),
        tickets=held,
        read_count=await reads_query.count() if read_ids else 0,
        reads=[
            Read(
                at=r.at,
                actor=r.actor,
                interface=r.interface,
                ticket_number=r.ticket_number,
                fields_read=r.fields_read,
                request_id=r.request_id,
            )
            for r in reads
        ],
        erasures=erasures,
    )


# ---- erasure -------------------------------------------------------------------------------------


@dataclass
class Erasure:
    ticket_numbers: list[str]
    anonymised: int
    open_tickets: int
    at: datetime


async def erase(phone: str, reason: str, force: bool, *, caller: Caller) -> Erasure:
    """Anonymise every ticket with this phone now. Refused while one of them is open, unless
    `force`: the ticket then goes on without its reporter's data."""
    _require(caller.authz, "erase")
    problems = Problems()
    digits = check_phone(phone, problems)
    problems.text("reason", reason, max_length=MAX_REASON, required=True)
    if any(ch < " " and ch not in "\n\t" for ch in reason):
        problems.add("reason", "must not contain control characters", "INVALID")
    if problems:
        raise ValidationFailed(problems=list(problems))
    now = clock.now()
    async with in_transaction() as conn:
        ids = await _matching_ids(digits)
        rows = await _locked_rows(conn, ids)
        # tickets of someone else that mention the phone: their mentions are masked, open or not
        mention_rows = await _locked_rows(conn, await _mentioning_ids(digits, ids))
        still_open = [r["number"] for r in rows if r["status"] in OPEN_VALUES]
        if still_open and not force:
            raise ValidationFailed(
                problems=[
                    FieldProblem(
                        "force",
                        f"{len(still_open)} ticket(s) with this phone are still open "
                        f"({', '.join(still_open[:10])}): finish them first, or erase with force: true",
                        "TICKET_OPEN",
                    )
                ]
            )
        anonymised = await anonymise_rows(conn, rows, now)
        # The citizen's own photos (at intake) go too; the handlers' photos of the site stay.
        files = await remove_for_tickets(conn, [int(r["id"]) for r in rows], [AttachmentStage.INTAKE])
        masked = await anonymise_rows(conn, mention_rows, now, mentioning=digits)
        numbers = [str(r["number"]) for r in rows]
        mentioned = [str(r["number"]) for r in mention_rows]
        key = phone_key(digits)
        await AuditEntry.create(
            actor=caller.actor,
            operation=ERASE_OPERATION,
            object_type="PersonalData",
            object_id=key,
            before=None,
            after={
                "phoneKey": key,
                "tickets": numbers + mentioned,
                "count": anonymised + masked,
                "mentioning": len(mentioned),
                "openTickets": len(still_open),
                "forced": force,
                "reason": mask_text(reason.strip()),
            },
            request_id=caller.request_id,
            using_db=conn,
        )
    await purge(files)
    return Erasure(
        ticket_numbers=numbers + mentioned,
        anonymised=anonymised + masked,
        open_tickets=len(still_open),
        at=now,
    )


async def _locked_rows(conn: Any, ids: list[int]) -> list[dict[str, Any]]:
    """The rows to anonymise, read (and on PostgreSQL locked) inside the erasure's transaction."""
    if not ids:
        return []
    ph = placeholders(conn)
    lock = " FOR UPDATE" if conn.capabilities.dialect == "postgres" else ""
    marks = ", ".join(ph(i + 1) for i in range(len(ids)))
    return list(
        await conn.execute_query_dict(
            f"SELECT {', '.join(COLUMNS)}, number, status, {FINAL_AT} AS final_at FROM ticket "  # noqa: S608 - column names and placeholders only
            f"WHERE id IN ({marks}) ORDER BY id{lock}",
            ids,
        )
    )
