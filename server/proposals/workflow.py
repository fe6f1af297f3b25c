"""The proposal workflow (建议办理流程) as data.

A transition is a row (from state, action, to state). An action not listed for the current state is
refused with the actions that are listed. Who may take an action is a Casbin policy line (see
PERMISSIONS), never a role test in code; a few actions also need a relation to the proposal that
only the data knows (its author or a co-signer, the staff of its lead unit).

Rows whose from and to states are equal are actions that change the proposal without moving it
(deadlines, supervision, contacts, tasks): listing them here keeps "what may happen now" in one
table, and every one of them writes a history event like a move does.
"""

from __future__ import annotations

import calendar
from datetime import date

from server.calendar import service as work_calendar
from server.enums import ProposalStatus
from server.errors import TransitionRefused

TRANSITIONS: tuple[tuple[ProposalStatus, str, ProposalStatus], ...] = (
    # the deputy drafts, submits or withdraws (代表提出建议)
    (ProposalStatus.DRAFT, "update", ProposalStatus.DRAFT),
    (ProposalStatus.DRAFT, "submit", ProposalStatus.SUBMITTED),
    (ProposalStatus.DRAFT, "withdraw", ProposalStatus.WITHDRAWN),
    (ProposalStatus.SUBMITTED, "withdraw", ProposalStatus.WITHDRAWN),
    # the standing committee registers and assigns (登记、交办)
    (ProposalStatus.SUBMITTED, "register", ProposalStatus.REGISTERED),
    (ProposalStatus.REGISTERED, "assign", ProposalStatus.ASSIGNED),
    # deadlines and supervision (督办) while the proposal is being handled
    (ProposalStatus.ASSIGNED, "set_deadline", ProposalStatus.ASSIGNED),
    (ProposalStatus.HANDLING, "set_deadline", ProposalStatus.HANDLING),
    (ProposalStatus.ASSIGNED, "extend_deadline", ProposalStatus.ASSIGNED),
    (ProposalStatus.HANDLING, "extend_deadline", ProposalStatus.HANDLING),
    (ProposalStatus.REGISTERED, "flag_supervision", ProposalStatus.REGISTERED),
    (ProposalStatus.ASSIGNED, "flag_supervision", ProposalStatus.ASSIGNED),
    (ProposalStatus.HANDLING, "flag_supervision", ProposalStatus.HANDLING),
    (ProposalStatus.REPLIED, "flag_supervision", ProposalStatus.REPLIED),
    # the lead unit handles: work plan, co-handlers' opinions, task breakdown, contacts (办理)
    (ProposalStatus.ASSIGNED, "plan", ProposalStatus.HANDLING),
    (ProposalStatus.HANDLING, "plan", ProposalStatus.HANDLING),
    (ProposalStatus.ASSIGNED, "record_opinion", ProposalStatus.ASSIGNED),
    (ProposalStatus.HANDLING, "record_opinion", ProposalStatus.HANDLING),
    (ProposalStatus.HANDLING, "create_task", ProposalStatus.HANDLING),
    # a reply "being solved per plan" keeps its tasks moving after the reply and the closing
    (ProposalStatus.HANDLING, "update_task", ProposalStatus.HANDLING),
    (ProposalStatus.REPLIED, "update_task", ProposalStatus.REPLIED),
    (ProposalStatus.CLOSED, "update_task", ProposalStatus.CLOSED),
    (ProposalStatus.ASSIGNED, "contact", ProposalStatus.ASSIGNED),
    (ProposalStatus.HANDLING, "contact", ProposalStatus.HANDLING),
    (ProposalStatus.REPLIED, "contact", ProposalStatus.REPLIED),
    # reply, rating, re-handling, closing (答复、评价、重新办理、办结)
    (ProposalStatus.HANDLING, "reply", ProposalStatus.REPLIED),
    (ProposalStatus.REPLIED, "rate", ProposalStatus.REPLIED),
    (ProposalStatus.REPLIED, "rehandle", ProposalStatus.HANDLING),
    (ProposalStatus.REPLIED, "close", ProposalStatus.CLOSED),
)

# Not taken by anyone directly: a DISSATISFIED rating takes it, in the rating's transaction.
AUTOMATIC = frozenset({"rehandle"})

# The Casbin (object, action) each workflow action needs in the proposal's jurisdiction, exactly as
# policies/policy.csv names it. Actions not listed need ("proposal", action). The deputy's own
# actions need an own_proposal line, which counts on proposals the caller authored only (and, for
# rating, on those it co-signed).
OWN = "own_proposal"
PERMISSIONS: dict[str, tuple[str, str]] = {
    "update": (OWN, "update"),
    "submit": (OWN, "submit"),
    "withdraw": (OWN, "withdraw"),
    "rate": (OWN, "rate"),
    "record_opinion": ("proposal", "plan"),
    "create_task": ("handling_task", "create"),
    "update_task": ("handling_task", "update"),
}

# Written by the lead unit's staff only (牵头单位负责办理): the Casbin line says "bureau staff may
# write plans", the data says which bureau leads this proposal.
LEAD_UNIT_ACTIONS = frozenset({"plan", "record_opinion", "create_task", "update_task", "contact", "reply"})

# Co-signing deputies see the reply and may each rate it.
COSIGNER_ACTIONS = frozenset({"rate"})

# Deadlines (docs/domain.md, "Deadlines"), a rule of thumb from Chinese practice: a reply is due
# within 3 months of assignment, a co-handling unit's opinion within 1 month; a proposal returned
# after a dissatisfied rating is re-handled and answered again within 1 month.
REPLY_MONTHS = 3
OPINION_MONTHS = 1
REHANDLING_MONTHS = 1

# States in which the lead unit still owes a reply: the reply deadline runs.
AWAITING_REPLY = frozenset({ProposalStatus.ASSIGNED, ProposalStatus.HANDLING})

_TABLE: dict[tuple[ProposalStatus, str], ProposalStatus] = {(f, a): t for f, a, t in TRANSITIONS}
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(a for _f, a, _t in TRANSITIONS))


class ProposalTransitionRefused(TransitionRefused):
    """The current state has no row for this action. Keeps the status as the enum, which the
    proposal API's TransitionError types as ProposalStatus."""

    def __init__(self, current: ProposalStatus, action: str, proposal_id: int | None = None) -> None:
        super().__init__("proposal", current.value, action, allowed_actions(current), proposal_id)
        self.current_status = current
        self.action = action


def allowed_actions(current: ProposalStatus) -> list[str]:
    """The actions the table lists for a state, in table order (automatic ones left out)."""
    return [a for f, a, _t in TRANSITIONS if f == current and a not in AUTOMATIC]


def target(current: ProposalStatus, action: str, proposal_id: int | None = None) -> ProposalStatus:
    """The state `action` leads to from `current`; refused when the table has no such row (the
    refusal names `proposal_id`, so the API's TransitionError carries the proposal's global id)."""
    to = _TABLE.get((current, action))
    if to is None:
        raise ProposalTransitionRefused(current, action, proposal_id)
    return to


def permission(action: str) -> tuple[str, str]:
    return PERMISSIONS.get(action, ("proposal", action))


async def deadline_after_months(day: date, months: int) -> date:
    """A proposal deadline `months` after `day` (add_months), moved to the next working day when it
    falls on a weekend or a holiday: the one rule for reply, opinion and re-handling deadlines."""
    return await work_calendar.workday_on_or_after(add_months(day, months))


def add_months(day: date, months: int) -> date:
    """Same day `months` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
