"""Return visits (回访): after a ticket is resolved, staff reach the citizen (phone, SMS, WeChat or
on site) and record whether they reached them and how satisfied they were.

Each attempt is one workflow step on the ticket (server/tickets/workflow.py), taken against the
version the caller read, written with its `ReturnVisit` row, its history event, its audit entry and
its figures (server/stats/rollup.py) in one transaction:

- reached, SATISFIED or BASICALLY_SATISFIED: `close` (close reason: the rating);
- reached, DISSATISFIED: `reopen`, back to work (a comment is required);
- not reached: `return_visit`, the ticket stays resolved; the last of the set attempts
  (settings.return_visit_attempts) instead takes `close` with the close reason UNREACHABLE.

A resolved ticket nobody reaches within settings.return_visit_days of its resolution is closed as
UNREACHABLE by `close_unreachable`, a sweep the scheduled work runs (and tests call).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from server import clock
from server.caller import Caller
from server.enums import CloseReason, Rating, ReturnVisitChannel, TicketStatus
from server.errors import Conflict, Forbidden, ValidationFailed
from server.privacy.redaction import known_values, redact_text
from server.settings import settings
from server.stats import rollup
from server.tickets import access
from server.tickets.models import ReturnVisit, Ticket
from server.tickets.workflow_service import Step, plan_step, publish_step, visible_ticket, write_ticket_step
from server.validation import Problems

log = logging.getLogger("lianxin.tickets.visits")

SATISFIED = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)


async def attempts_made(ticket: Ticket) -> int:
    """Visits recorded since the ticket's latest resolution (its current round)."""
    return await ReturnVisit.filter(ticket_id=ticket.id, round=ticket.reopen_count).count()


def _outcome(reached: bool, rating: Rating | None, attempt: int) -> tuple[str, CloseReason | None]:
    if reached:
        if rating in SATISFIED:
            return "close", CloseReason(str(rating))
        return "reopen", None
    if attempt >= settings.return_visit_attempts:
        return "close", CloseReason.UNREACHABLE
    return "return_visit", None


def _check(reached: bool, rating: Rating | None, comment: str) -> None:
    problems = Problems()
    if reached and rating is None:
        problems.add(
            "rating",
            "a citizen reached gives a rating: SATISFIED, BASICALLY_SATISFIED or DISSATISFIED",
            "REQUIRED",
        )
    if not reached and rating is not None:
        problems.add("rating", "only a citizen reached gives a rating", "NOT_REACHED")
    problems.text("comment", comment, max_length=2000, required=rating == Rating.DISSATISFIED)
    if problems:
        raise ValidationFailed(problems=list(problems))


async def record_visit(
    ticket_id: int,
    version: int,
    *,
    channel: ReturnVisitChannel | None,
    reached: bool,
    rating: Rating | None,
    comment: str,
    caller: Caller,
    as_feedback: bool = False,
) -> tuple[Ticket, ReturnVisit]:
    """One return-visit attempt on a resolved ticket. Needs ticket:feedback (the visiting staff's
    line) in the ticket's jurisdiction, and the line of the step it causes (ticket:close,
    ticket:reopen). `as_feedback`: the citizen's yes/no recorded through recordCitizenFeedback,
    which needs only the step's own line, as it always has."""
    authz = caller.authz
    ticket = await visible_ticket(ticket_id, authz)
    if (
        not as_feedback
        and ticket.status == TicketStatus.RESOLVED
        and not access.may(authz, ticket, "return_visit")
    ):
        where = authz.engine.tree.code(ticket.jurisdiction_id)
        raise Forbidden(f"You may not record return visits in {where}.")
    attempt = 1 + (await attempts_made(ticket) if ticket.status == TicketStatus.RESOLVED else 0)
    action, reason = _outcome(reached, rating, attempt)
    to_status = plan_step(ticket, action, authz)
    _check(reached, rating, comment)
    now = clock.now()
    changes: dict[str, Any] = {}
    if reached:
        # The yes/no the ticket has always carried, kept for its readers.
        changes.update(citizen_satisfied=rating in SATISFIED, citizen_feedback=comment)
    if action == "close":
        changes.update(closed_at=now, close_reason=reason)
    elif action == "reopen":
        # Back to work: the result no longer counts in the 721 figures until resolved again.
        changes.update(
            resolved_at=None,
            resolution_method=None,
            reopen_count=ticket.reopen_count + 1,
            on_site_at=None,
        )
    data: dict[str, Any] = {
        "attempt": attempt,
        "channel": channel.value if channel else None,
        "reached": reached,
        "rating": rating.value if rating else None,
    }
    if reached:
        data["satisfied"] = rating in SATISFIED
    if reason is not None:
        data["reason"] = reason.value
    step = Step(ticket, action, to_status, changes, comment, data)
    viewer = authz.viewer
    async with in_transaction() as conn:
        fresh = await write_ticket_step(conn, step, version, caller)
        visit = await ReturnVisit.create(
            ticket_id=ticket.id,
            round=ticket.reopen_count,
            attempt=attempt,
            channel=channel,
            reached=reached,
            rating=rating,
            comment=redact_text(comment, known_values(ticket)),
            visited_by_id=viewer.staff_id if viewer is not None else None,
            actor=caller.actor,
            visited_at=now,
            using_db=conn,
        )
        await rollup.apply(rollup.on_visit(ticket, visit))
    await publish_step(fresh, action, ticket.status.value, caller.actor)
    return fresh, visit


async def record_feedback(
    ticket_id: int, version: int, satisfied: bool, comment: str, *, caller: Caller
) -> Ticket:
    """The citizen's yes/no (recordCitizenFeedback), kept for its callers: recorded as a return
    visit that reached the citizen, SATISFIED or DISSATISFIED, by an unnamed channel."""
    rating = Rating.SATISFIED if satisfied else Rating.DISSATISFIED
    ticket, _ = await record_visit(
        ticket_id,
        version,
        channel=None,
        reached=True,
        rating=rating,
        comment=comment,
        caller=caller,
        as_feedback=True,
    )
    return ticket


def visits_due(caller: Caller) -> QuerySet[Ticket]:
    """The return-visit queue: resolved tickets awaiting a visit, oldest resolution first, where the
    caller may record visits (ticket:feedback) and read the ticket. FORBIDDEN when nowhere."""
    authz = caller.authz
    scope = authz.scope("ticket", "feedback")
    if scope.empty:
        raise Forbidden("You may not record return visits.")
    visible = authz.visible_tickets() or Q(pk__in=[])
    return Ticket.filter(visible, scope.where(), status=TicketStatus.RESOLVED).order_by("resolved_at", "id")


async def close_unreachable(*, caller: Caller, limit: int = 1000) -> list[Ticket]:
    """Close as UNREACHABLE every resolved ticket whose citizen was not reached within
    settings.return_visit_days (natural days) of its resolution, oldest first, at most `limit`.

    For the scheduled work (Caller.system: every jurisdiction, as the operator's other sweeps) or a
    user with ticket:close (where it holds it). Each ticket is its own step and transaction: one a
    visit changed meanwhile (a CONFLICT) is left to that visit, and the others still close."""
    authz = caller.authz
    if authz.viewer is None:
        condition = Q()
    else:
        scope = authz.scope("ticket", "close")
        if scope.empty:
            raise Forbidden("You may not close tickets.")
        condition = scope.where()
    await rollup.ensure_tree()
    cutoff = clock.now() - timedelta(days=settings.return_visit_days)
    candidates = (
        await Ticket.filter(condition, status=TicketStatus.RESOLVED, resolved_at__lt=cutoff)
        .order_by("resolved_at", "id")
        .limit(limit)
    )
    closed = []
    for ticket in candidates:
        attempts = await attempts_made(ticket)
        step = Step(
            ticket,
            "close",
            TicketStatus.CLOSED,
            {"closed_at": clock.now(), "close_reason": CloseReason.UNREACHABLE},
            f"not reached within {settings.return_visit_days} days of its resolution",
            {"reason": CloseReason.UNREACHABLE.value, "attempts": attempts},
        )
        try:
            async with in_transaction() as conn:
                fresh = await write_ticket_step(conn, step, ticket.version, caller)
        except Conflict:
            log.info("ticket %s changed while closing it as unreachable; left as it is", ticket.number)
            continue
        await publish_step(fresh, "close", ticket.status.value, caller.actor)
        closed.append(fresh)
    return closed
