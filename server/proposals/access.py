"""Who may see and do what on a proposal.

Casbin answers "may S do A on proposals in J" (workflow.PERMISSIONS); what Casbin cannot know is
the caller's relation to one proposal: its author, a co-signer, or staff of its lead unit. This
module combines the two, for single objects (services) and as SQL conditions (lists, loaders).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Q, Subquery

from server import clock
from server.authz.authorizer import Authorizer, any_of
from server.enums import HandlingUnitRole, ProposalStatus
from server.errors import Conflict, DomainError, FieldProblem, Forbidden, NotFound, ValidationFailed
from server.proposals import workflow
from server.proposals.models import (
    HandlingTask,
    Proposal,
    ProposalCosigner,
    ProposalRating,
    ProposalReply,
    ProposalUnit,
)


@dataclass(frozen=True)
class Relation:
    """The caller's ties to one proposal."""

    author: bool = False
    cosigner: bool = False
    lead_unit_staff: bool = False


def relation_of(
    authz: Authorizer, proposal: Proposal, *, cosigner_ids: set[int], lead_department_id: int | None
) -> Relation:
    viewer = authz.viewer
    if viewer is None:
        return Relation()
    return Relation(
        author=authz.owns_proposal(proposal),
        cosigner=viewer.deputy_id is not None and viewer.deputy_id in cosigner_ids,
        lead_unit_staff=viewer.department_id is not None and viewer.department_id == lead_department_id,
    )


async def relation(authz: Authorizer, proposal: Proposal) -> Relation:
    """The caller's ties, read from the database (services; GraphQL fields use loaders)."""
    viewer = authz.require_viewer()
    cosigner_ids: set[int] = set()
    if viewer.deputy_id is not None and await ProposalCosigner.exists(
        proposal_id=proposal.id, deputy_id=viewer.deputy_id
    ):
        cosigner_ids.add(viewer.deputy_id)
    lead = await ProposalUnit.filter(proposal_id=proposal.id, role=HandlingUnitRole.LEAD).first()
    return relation_of(
        authz, proposal, cosigner_ids=cosigner_ids, lead_department_id=lead.department_id if lead else None
    )


# ---- reading ------------------------------------------------------------------------------------


def _reads_own(authz: Authorizer) -> bool:
    """A deputy sees its own proposals whatever their state (drafts included)."""
    viewer = authz.require_viewer()
    return viewer.deputy_id is not None and not authz.scope("own_proposal", "create").empty


def visible_proposals(authz: Authorizer) -> Q | None:
    """Proposals in the caller's proposal-read scope, plus a deputy's own. A draft is its
    author's alone until submitted: it is not yet anyone else's business."""
    scope = authz.scope("proposal", "read")
    visible = None if scope.empty else scope.where() & ~Q(status=ProposalStatus.DRAFT)
    if _reads_own(authz):
        own = Q(author_id=authz.require_viewer().deputy_id)
        visible = own if visible is None else any_of(visible, own)
    return visible


def may_read(authz: Authorizer, proposal: Proposal) -> bool:
    """The single-object form of visible_proposals."""
    if proposal.status != ProposalStatus.DRAFT and authz.can("proposal", "read", proposal.jurisdiction_id):
        return True
    return _reads_own(authz) and authz.owns_proposal(proposal)


def correspondence_q(authz: Authorizer, path: str = "proposal") -> Q | None:
    """Replies, ratings and the contact log of a proposal (reached through `path`).

    They are the handling unit's correspondence with the deputies, not public data: staff read
    them with proposal_internal:read; the author and each co-signer read their own proposals'
    with own_proposal:read. None when the caller may read none.
    """
    viewer = authz.require_viewer()
    parts: list[Q] = []
    staff = authz.scope("proposal_internal", "read")
    if not staff.empty:
        parts.append(staff.where(f"{path}__jurisdiction"))
    own = authz.scope("own_proposal", "read")
    if not own.empty and viewer.deputy_id is not None:
        cosigned = ProposalCosigner.filter(deputy_id=viewer.deputy_id).values("proposal_id")
        authored: dict[str, Any] = {f"{path}__author_id": viewer.deputy_id}
        cosigned_by_me: dict[str, Any] = {f"{path}_id__in": Subquery(cosigned)}
        mine = Q(**authored) | Q(**cosigned_by_me)
        parts.append(own.where(f"{path}__jurisdiction") & mine)
    return any_of(*parts) if parts else None


# ---- acting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the data says about a proposal beyond its status and relations, for the actions that no
    input could make succeed without it. Read per proposal by the services (facts_for) and in
    batches by the GraphQL layer, then judged by the same `check`."""

    raters_of_latest_reply: frozenset[int] = frozenset()  # deputies who rated the latest reply
    has_reply: bool = False
    has_tasks: bool = False
    has_co_handling_units: bool = False


# Which actions depend on which facts: only these are read for an action.
NEEDS_REPLY = frozenset({"rate", "close"})
NEEDS_TASKS = frozenset({"update_task"})
NEEDS_UNITS = frozenset({"record_opinion"})


async def facts_for(proposal: Proposal, actions: frozenset[str] | set[str]) -> Facts:
    """The facts `actions` depend on, read from the database (one proposal)."""
    raters: frozenset[int] = frozenset()
    has_reply = has_tasks = has_units = False
    if actions & NEEDS_REPLY:
        latest_raters = (await raters_of_latest_replies([proposal.id])).get(proposal.id)
        if latest_raters is not None:
            has_reply, raters = True, latest_raters
    if actions & NEEDS_TASKS:
        has_tasks = await HandlingTask.exists(proposal_id=proposal.id)
    if actions & NEEDS_UNITS:
        has_units = await ProposalUnit.exists(proposal_id=proposal.id, role=HandlingUnitRole.CO_HANDLING)
    return Facts(raters, has_reply, has_tasks, has_units)


async def raters_of_latest_replies(proposal_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """For each proposal that has a reply: the deputies who rated its latest one (what rating and
    closing depend on). Two statements for any number of proposals; proposals without a reply are
    absent from the answer."""
    latest: dict[int, int] = {}
    replies = await ProposalReply.filter(proposal_id__in=list(set(proposal_ids))).values_list(
        "id", "proposal_id"
    )
    for reply_id, proposal_id in replies:
        latest[proposal_id] = max(reply_id, latest.get(proposal_id, 0))
    raters: dict[int, set[int]] = {reply_id: set() for reply_id in latest.values()}
    if raters:
        ratings = await ProposalRating.filter(reply_id__in=list(raters)).values_list("reply_id", "deputy_id")
        for reply_id, deputy_id in ratings:
            raters[reply_id].add(deputy_id)
    return {proposal_id: frozenset(raters[reply_id]) for proposal_id, reply_id in latest.items()}


def may(authz: Authorizer, proposal: Proposal, action: str, rel: Relation) -> bool:
    """May the caller take `action` on this proposal (whatever its state)? The policy line in the
    proposal's jurisdiction, and for own_proposal lines the authorship (or, for rating, a
    co-signature); for lead-unit actions, being staff of the lead unit."""
    if action in workflow.AUTOMATIC:
        return False
    obj, act = workflow.permission(action)
    allowed = authz.can(obj, act, proposal.jurisdiction_id)
    if allowed and obj == workflow.OWN:
        allowed = rel.author or (action in workflow.COSIGNER_ACTIONS and rel.cosigner)
    if allowed and action in workflow.LEAD_UNIT_ACTIONS:
        allowed = rel.lead_unit_staff
    return allowed


def require(authz: Authorizer, proposal: Proposal, action: str, rel: Relation) -> None:
    if may(authz, proposal, action, rel):
        return
    obj, act = workflow.permission(action)
    if action in workflow.LEAD_UNIT_ACTIONS and authz.can(obj, act, proposal.jurisdiction_id):
        raise Forbidden(f"Only staff of the lead unit (牵头单位) of proposal {proposal.number} may {act} it.")
    if action in workflow.COSIGNER_ACTIONS and authz.can(obj, act, proposal.jurisdiction_id):
        raise Forbidden(f"Only the author and co-signers of proposal {proposal.number} may {act} it.")
    raise Forbidden(f"You may not {action.replace('_', ' ')} proposal {proposal.number}.")


def _precondition(
    authz: Authorizer, proposal: Proposal, action: str, facts: Facts, today: date
) -> DomainError | None:
    """Why no input could make `action` succeed now, though the table lists it: the data it
    depends on. None when some valid input would."""
    if action == "submit" and not proposal.summary.strip() and not proposal.body.strip():
        return _problem("summary", "a proposal needs a summary or a body before it is submitted", "REQUIRED")
    if action == "set_deadline" and proposal.reply_due is not None and proposal.reply_due <= today:
        # Only brought forward, and never into the past: nothing lies between today and the due date.
        return _problem(
            "due",
            f"the reply is due {proposal.reply_due.isoformat()}: it cannot come any sooner",
            "NO_EARLIER_DATE",
        )
    if action == "record_opinion" and not facts.has_co_handling_units:
        return _problem("unitId", "the proposal has no co-handling unit", "NOT_A_UNIT")
    if action == "update_task" and not facts.has_tasks:
        return NotFound("HandlingTask", f"of proposal {proposal.number}")
    if action in NEEDS_REPLY and not facts.has_reply:
        return NotFound("ProposalReply", f"of proposal {proposal.number}")
    if action == "rate":
        viewer = authz.require_viewer()
        if viewer.deputy_id in facts.raters_of_latest_reply:
            return _problem("rating", "you have rated this reply already", "ALREADY_RATED")
    if action == "close" and proposal.author_id not in facts.raters_of_latest_reply:
        # Closing follows the author's rating: silence is not yet an answer.
        return _problem("id", "the author has not rated the latest reply yet", "NOT_RATED")
    return None


def _problem(field: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed(problems=[FieldProblem(field, message, code)])


def check(
    authz: Authorizer,
    proposal: Proposal,
    action: str,
    rel: Relation,
    facts: Facts,
    *,
    version: int | None = None,
) -> None:
    """Every check an action makes before its input is looked at, in the order its errors come:
    the policy and relation (FORBIDDEN), the version when one is given (CONFLICT), the workflow
    table (FORBIDDEN_TRANSITION), then the data it depends on. The services call it before
    every change and `permitted_actions` offers what passes it, so the two cannot disagree."""
    require(authz, proposal, action, rel)
    if version is not None and proposal.version != version:
        raise Conflict("Proposal", proposal.id, proposal.version)
    workflow.target(proposal.status, action, proposal.id)
    error = _precondition(authz, proposal, action, facts, clock.today())
    if error is not None:
        raise error


def permitted_actions(authz: Authorizer, proposal: Proposal, rel: Relation, facts: Facts) -> list[str]:
    """What the caller may do to the proposal now: the actions that pass `check`, in table order."""
    permitted = []
    for action in workflow.allowed_actions(proposal.status):
        try:
            check(authz, proposal, action, rel, facts)
        except DomainError:
            continue
        permitted.append(action)
    return permitted
