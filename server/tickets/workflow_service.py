"""Taking a ticket through its workflow. Every step: visible to the caller, allowed by policy in
the ticket's jurisdiction, allowed from the current status (workflow.TRANSITIONS), made against
the version the caller saw, and written with its history event and audit entry in one transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server import clock
from server.attachments.service import Pending, check_room
from server.audit.service import record
from server.authz.authorizer import Authorizer
from server.calendar import service as calendar
from server.caller import Caller
from server.enums import (
    AttachmentOwner,
    DepartmentKind,
    DepartmentTicketStatus,
    ResolutionMethod,
    TicketStatus,
)
from server.errors import FieldProblem, Forbidden, NotFound, TransitionRefused, ValidationFailed
from server.privacy.redaction import known_values, redact_json, redact_text
from server.staff.models import Department, Posting, Staff
from server.stats import rollup
from server.tickets import access
from server.tickets import intake as intake_rules
from server.tickets.events import TicketEventMessage, broker
from server.tickets.models import Ticket, TicketCategory, TicketEvent
from server.tickets.workflow import allowed_actions, target
from server.validation import Problems
from server.workflow_step import after_commit, load_visible, write_step


@dataclass
class Step:
    """One workflow step on one ticket, prepared before the transaction."""

    ticket: Ticket
    action: str
    to_status: TicketStatus
    changes: dict[str, Any]
    comment: str = ""
    data: dict[str, Any] | None = None


def _invalid(field: str, message: str, code: str = "INVALID") -> ValidationFailed:
    return ValidationFailed(problems=[FieldProblem(field, message, code)])


async def visible_ticket(ticket_id: int, authz: Authorizer) -> Ticket:
    return await load_visible(Ticket, ticket_id, authz.may_read_ticket)


def plan_step(ticket: Ticket, action: str, authz: Authorizer) -> TicketStatus:
    if not access.may(authz, ticket, action):
        where = authz.engine.tree.code(ticket.jurisdiction_id)
        raise Forbidden(f"You may not {action.replace('_', ' ')} tickets in {where}.")
    to_status = target(ticket.status, action)
    if to_status is None:
        raise TransitionRefused("ticket", ticket.status, action, allowed_actions(ticket.status), ticket.id)
    return to_status


async def write_ticket_step(conn: BaseDBAsyncClient, step: Step, version: int, caller: Caller) -> Ticket:
    """Inside a transaction: the conditional update, the event and the figures, the audit entry."""
    ticket = step.ticket
    now = clock.now()

    async def history(conn: BaseDBAsyncClient, fresh: Ticket) -> None:
        known = known_values(ticket, fresh)  # history outlives the ticket: not even the reporter's name
        await TicketEvent.create(
            ticket_id=ticket.id,
            actor=caller.actor,
            action=step.action,
            from_status=ticket.status.value,
            to_status=step.to_status.value,
            comment=redact_text(step.comment, known),
            data=redact_json(step.data, known),
            at=now,
            using_db=conn,
        )
        await rollup.apply(rollup.on_step(ticket, fresh))

    return await write_step(
        conn,
        ticket,
        version,
        caller,
        operation=f"ticket.{step.action}",
        changes={**step.changes, "status": step.to_status},
        history=history,
        now=now,
    )


def _publisher(action: str, from_status: str | None, actor: str) -> Callable[[Ticket], Awaitable[None]]:
    async def publish(ticket: Ticket) -> None:
        await broker.publish(
            TicketEventMessage(
                ticket_id=ticket.id,
                number=ticket.number,
                jurisdiction_id=ticket.jurisdiction_id,
                department_id=ticket.department_id,
                action=action,
                from_status=from_status,
                to_status=ticket.status.value,
                actor=actor,
                at=clock.now().isoformat(),
            )
        )

    return publish


async def publish_step(ticket: Ticket, action: str, from_status: str | None, actor: str) -> None:
    await after_commit(_publisher(action, from_status, actor), ticket, f"ticket.{action}")


async def take_step(
    ticket_id: int,
    version: int,
    action: str,
    prepare: Callable[[Ticket], Awaitable[Step]],
    *,
    caller: Caller,
    attach: Pending | None = None,
) -> Ticket:
    """With `attach`: files checked already, written to the store once the step is allowed, their
    rows committed with the step or not at all."""
    ticket = await visible_ticket(ticket_id, caller.authz)
    step = await prepare(ticket)
    if attach:
        await attach.store()
    async with in_transaction() as conn:
        fresh = await write_ticket_step(conn, step, version, caller)
        if attach:
            await attach.write(conn, AttachmentOwner.TICKET, fresh.id)
    await publish_step(fresh, action, ticket.status.value, caller.actor)
    return fresh


# ---- intake ---------------------------------------------------------------------------------


async def register(
    data: intake_rules.Intake,
    *,
    registered_by: int | None,
    caller: Caller,
    photos: Pending | None = None,
) -> tuple[Ticket, list[Ticket]]:
    """With `photos` (checked already): written to the store once the registration is allowed,
    their rows committed with the ticket or not at all."""
    authz, actor = caller.authz, caller.actor
    problems = intake_rules.check(data)
    if problems:
        raise ValidationFailed(problems=list(problems))
    category = await TicketCategory.get_or_none(id=data.category_id)
    if category is None:
        raise NotFound("TicketCategory", data.category_id)
    jurisdiction_id, station = await intake_rules.locate(data)
    authz.require("ticket", "register", jurisdiction_id)
    now = clock.now()
    response_due, resolution_due = await intake_rules.due_times(category, now, data, jurisdiction_id)
    key = await intake_rules.prepare_number(now)
    if photos:
        await photos.store()
    async with in_transaction() as conn:
        number = await intake_rules.next_number(key)
        ticket = await Ticket.create(
            number=number,
            source=data.source,
            category_id=category.id,
            description=data.description,
            address=data.address or (station.address if station else ""),
            latitude=data.latitude if data.latitude is not None else (station.latitude if station else None),
            longitude=data.longitude
            if data.longitude is not None
            else (station.longitude if station else None),
            jurisdiction_id=jurisdiction_id,
            station_id=station.id if station else None,
            reporter_name=data.reporter_name,
            reporter_phone=data.reporter_phone,
            registered_by_id=registered_by,
            status=TicketStatus.REGISTERED,
            registered_at=now,
            response_due=response_due,
            resolution_due=resolution_due,
        )
        await TicketEvent.create(
            ticket_id=ticket.id,
            actor=actor,
            action="register",
            from_status=None,
            to_status=TicketStatus.REGISTERED.value,
            comment="",
            at=now,
        )
        await rollup.apply(rollup.on_register(ticket))
        await record(caller, "ticket.register", ticket)
        if photos:
            await photos.write(conn, AttachmentOwner.TICKET, ticket.id)
    await publish_step(ticket, "register", None, actor)
    visible = authz.visible_tickets() or Q(pk__in=[])
    duplicates = await intake_rules.possible_duplicates(
        category_id=category.id,
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        station_id=ticket.station_id,
        visible=visible,
        exclude_id=ticket.id,
        now=now,
    )
    return ticket, duplicates


# ---- the steps ------------------------------------------------------------------------------


async def _check_assignee(ticket: Ticket, staff_id: int, authz: Authorizer) -> Staff:
    """The assignee must be posted (area chief or team member) over the ticket's community.

    A staff member the caller may not read (staff:read where the staff member belongs) and who is
    not posted over the ticket's patch is NOT_FOUND: the refusal must not name, or confirm, staff
    outside the caller's scope."""
    staff = await Staff.get_or_none(id=staff_id)
    if staff is None or not staff.active:
        raise NotFound("Staff", staff_id)
    ticket_code = authz.engine.tree.code(ticket.jurisdiction_id) or ""
    # values_list(flat=True) is typed as tuples whatever `flat` says; it yields the ids themselves.
    patches = cast(
        list[int],
        await Posting.filter(
            staff_id=staff_id, ended_on=None, role__in=["AREA_CHIEF", "TEAM_MEMBER"]
        ).values_list("jurisdiction_id", flat=True),
    )
    codes = [authz.engine.tree.code(j) or "" for j in patches]
    if not any(ticket_code == c or ticket_code.startswith(c + "/") for c in codes if c):
        if not authz.can("staff", "read", staff.jurisdiction_id):
            raise NotFound("Staff", staff_id)
        raise _invalid(
            "assigneeId",
            f"{staff.name} is not posted over {ticket_code}: dispatch to the area chief or a team "
            "member of the ticket's patch",
            "OUTSIDE_JURISDICTION",
        )
    return staff


async def dispatch(ticket_id: int, version: int, assignee_id: int, comment: str, *, caller: Caller) -> Ticket:
    authz = caller.authz

    async def prepare(ticket: Ticket) -> Step:
        action = "dispatch" if ticket.status == TicketStatus.REGISTERED else "reassign"
        to_status = plan_step(ticket, action, authz)
        staff = await _check_assignee(ticket, assignee_id, authz)
        changes: dict[str, Any] = {"assignee_id": staff.id}
        if ticket.dispatched_at is None:
            changes["dispatched_at"] = clock.now()
        return Step(ticket, action, to_status, changes, comment, {"assignee": staff.name})

    return await take_step(ticket_id, version, "dispatch", prepare, caller=caller)


async def arrive(ticket_id: int, version: int, comment: str, *, caller: Caller) -> Ticket:
    authz = caller.authz

    async def prepare(ticket: Ticket) -> Step:
        to_status = plan_step(ticket, "arrive", authz)
        return Step(ticket, "arrive", to_status, {"on_site_at": clock.now()}, comment)

    return await take_step(ticket_id, version, "arrive", prepare, caller=caller)


async def resolve(
    ticket_id: int,
    version: int,
    method: ResolutionMethod | None,
    note: str,
    *,
    caller: Caller,
    photos: Pending | None = None,
) -> Ticket:
    authz = caller.authz

    async def prepare(ticket: Ticket) -> Step:
        to_status = plan_step(ticket, "resolve", authz)
        problems = Problems()
        if method is None:
            problems.add(
                "method", "say how it was resolved: SERVICE, MANAGEMENT or ENFORCEMENT (721)", "REQUIRED"
            )
        problems.text("note", note, max_length=2000, required=True)
        if problems:
            raise ValidationFailed(problems=list(problems))
        changes = {"resolved_at": clock.now(), "resolution_method": method, "resolution_note": note}
        if ticket.status == TicketStatus.TRANSFERRED:
            changes["department_status"] = DepartmentTicketStatus.DONE.value
        if photos:
            await check_room(photos, AttachmentOwner.TICKET, ticket.id)
        return Step(ticket, "resolve", to_status, changes, note, {"method": method.value if method else None})

    return await take_step(ticket_id, version, "resolve", prepare, caller=caller, attach=photos)


async def transfer(
    ticket_id: int, version: int, department_id: int, comment: str, *, caller: Caller
) -> Ticket:
    authz = caller.authz

    async def prepare(ticket: Ticket) -> Step:
        to_status = plan_step(ticket, "transfer", authz)
        department = await Department.get_or_none(id=department_id)
        if department is None:
            raise NotFound("Department", department_id)
        if department.kind != DepartmentKind.DEPARTMENT:
            raise _invalid("departmentId", "tickets are transferred to an N department", "NOT_A_DEPARTMENT")
        changes = {"department_id": department.id, "department_status": DepartmentTicketStatus.RECEIVED.value}
        return Step(ticket, "transfer", to_status, changes, comment, {"department": department.code})

    return await take_step(ticket_id, version, "transfer", prepare, caller=caller)


async def department_update(
    ticket_id: int, version: int, department_status: DepartmentTicketStatus, comment: str, *, caller: Caller
) -> Ticket:
    authz = caller.authz

    async def prepare(ticket: Ticket) -> Step:
        to_status = plan_step(ticket, "department_update", authz)
        if department_status == DepartmentTicketStatus.DONE:
            raise _invalid("departmentStatus", "resolve the ticket to mark it done (with the 721 method)")
        return Step(
            ticket,
            "department_update",
            to_status,
            {"department_status": department_status.value},
            comment,
            {"departmentStatus": department_status.value},
        )

    return await take_step(ticket_id, version, "department_update", prepare, caller=caller)


async def reject(ticket_id: int, version: int, reason: str, *, caller: Caller) -> Ticket:
    authz = caller.authz

    async def prepare(ticket: Ticket) -> Step:
        to_status = plan_step(ticket, "reject", authz)
        problems = Problems()
        problems.text("reason", reason, max_length=2000, required=True)
        if problems:
            raise ValidationFailed(problems=list(problems))
        return Step(ticket, "reject", to_status, {"reject_reason": reason, "closed_at": clock.now()}, reason)

    return await take_step(ticket_id, version, "reject", prepare, caller=caller)


MAX_DUPLICATE_CHAIN = 50


async def _original_of(original_id: int, ticket: Ticket, authz: Authorizer) -> Ticket:
    """The first report the duplicate follows: the ticket named, or, when that one is itself a
    duplicate, the end of its chain. Every ticket on the way is read, and the last one gets a
    history entry, so each must be within the caller's scope: one that is not reads as NOT_FOUND,
    whichever link it is (the answer must not tell whether a ticket exists outside the scope)."""
    original = await visible_ticket(original_id, authz)
    seen = {original.id}
    while original.status == TicketStatus.DUPLICATE and original.duplicate_of_id:
        following = await Ticket.get_or_none(id=original.duplicate_of_id)
        if following is None or not authz.may_read_ticket(following):
            raise NotFound("Ticket", original_id)
        if following.id in seen or len(seen) >= MAX_DUPLICATE_CHAIN:
            raise _invalid("duplicateOfId", "that ticket's duplicate chain does not end", "CYCLE")
        seen.add(following.id)
        original = following
    if original.id == ticket.id or ticket.id in seen:
        raise _invalid("duplicateOfId", "that ticket is already a duplicate of this one", "CYCLE")
    return original


async def mark_duplicate(
    ticket_id: int,
    version: int,
    original_id: int,
    comment: str,
    *,
    caller: Caller,
) -> Ticket:
    """Its reporter follows the original: the original's history says so, in the same transaction."""
    authz, actor = caller.authz, caller.actor
    ticket = await visible_ticket(ticket_id, authz)
    if original_id == ticket.id:
        raise _invalid("duplicateOfId", "a ticket cannot duplicate itself", "SELF")
    # The ticket named must be found before anything else is said about the request.
    original = await _original_of(original_id, ticket, authz)
    to_status = plan_step(ticket, "mark_duplicate", authz)
    if not access.may(authz, original, "mark_duplicate"):
        where = authz.engine.tree.code(original.jurisdiction_id)
        raise Forbidden(f"You may not link duplicates to tickets in {where}.")
    changes = {"duplicate_of_id": original.id, "closed_at": clock.now()}
    step = Step(ticket, "mark_duplicate", to_status, changes, comment, {"original": original.number})
    async with in_transaction() as conn:
        fresh = await write_ticket_step(conn, step, version, caller)
        await TicketEvent.create(
            ticket_id=original.id,
            actor=actor,
            action="duplicate_linked",
            from_status=original.status.value,
            to_status=original.status.value,
            comment=f"{fresh.number} reports the same problem; its reporter follows this ticket",
            data={"duplicate": fresh.number},
            at=clock.now(),
        )
    await publish_step(fresh, "mark_duplicate", ticket.status.value, actor)
    return fresh


async def update_details(
    ticket_id: int,
    version: int,
    *,
    description: str | None,
    address: str | None,
    category_id: int | None,
    reporter_name: str | None,
    reporter_phone: str | None,
    caller: Caller,
) -> Ticket:
    authz = caller.authz

    async def prepare(ticket: Ticket) -> Step:
        to_status = plan_step(ticket, "update", authz)
        problems = Problems()
        problems.text(
            "description",
            description,
            max_length=intake_rules.MAX_DESCRIPTION,
            required=description is not None,
        )
        problems.text("address", address, max_length=300)
        problems.text("reporterName", reporter_name, max_length=64)
        if reporter_phone and not intake_rules.PHONE.match(reporter_phone):
            problems.add("reporterPhone", "digits, spaces, '-' and a leading '+' only", "INVALID")
        if problems:
            raise ValidationFailed(problems=list(problems))
        given = {
            "description": description,
            "address": address,
            "reporter_name": reporter_name,
            "reporter_phone": reporter_phone,
        }
        changes: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
        if category_id is not None:
            category = await TicketCategory.get_or_none(id=category_id)
            if category is None:
                raise NotFound("TicketCategory", category_id)
            changes["category_id"] = category.id
            due = await calendar.due_times(
                category, ticket.registered_at, jurisdiction_id=ticket.jurisdiction_id
            )
            changes["response_due"], changes["resolution_due"] = due.response_due, due.resolution_due
        return Step(ticket, "update", to_status, changes, "", {"fields": sorted(changes)})

    return await take_step(ticket_id, version, "update", prepare, caller=caller)


async def bulk_dispatch(
    items: list[tuple[int, int]],
    assignee_id: int,
    comment: str,
    *,
    caller: Caller,
) -> list[Ticket]:
    """All or nothing: every ticket is checked and written in one transaction."""
    authz = caller.authz
    if not items:
        raise _invalid("tickets", "name at least one ticket", "REQUIRED")
    if len(items) > 200:
        raise _invalid("tickets", "at most 200 tickets at once", "TOO_MANY")
    if len({i for i, _ in items}) != len(items):
        raise _invalid("tickets", "a ticket is named twice", "DUPLICATE")
    steps: list[tuple[Step, int]] = []
    for ticket_id, version in items:
        ticket = await visible_ticket(ticket_id, authz)
        to_status = plan_step(ticket, "dispatch", authz)
        staff = await _check_assignee(ticket, assignee_id, authz)
        steps.append(
            (
                Step(
                    ticket,
                    "dispatch",
                    to_status,
                    {"assignee_id": staff.id, "dispatched_at": clock.now()},
                    comment,
                    {"assignee": staff.name, "bulk": True},
                ),
                version,
            )
        )
    written = []
    async with in_transaction() as conn:
        for step, version in steps:
            written.append(await write_ticket_step(conn, step, version, caller))
    for ticket in written:
        await publish_step(ticket, "dispatch", TicketStatus.REGISTERED.value, caller.actor)
    return written


async def escalate_overdue(*, caller: Caller) -> list[Ticket]:
    """Apply the escalation and reminder rules (server/escalation) now to the open tickets the
    caller may escalate, as the scheduled sweep does everywhere; returns the tickets escalated."""
    scope = caller.authz.scope("ticket", "escalate")
    if scope.empty:
        raise Forbidden("You may not escalate tickets.")
    from server.escalation.sweep import apply_rules  # the sweep publishes through this module

    return (await apply_rules(scope.where(), actor=caller.actor)).escalated
