"""Who may see and do what on a proposal.

Casbin answers "may S do A on proposals in J" (workflow.PERMISSIONS); what Casbin cannot know is
the caller's relation to one proposal: its author, a co-signer, or staff of its lead unit. This
module combines the two, for single objects (services) and as SQL conditions (lists, loaders).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery

from server.authz.authorizer import Authorizer, any_of
from server.enums import HandlingUnitRole, ProposalStatus
from server.errors import Forbidden
from server.proposals import workflow
from server.proposals.models import Proposal, ProposalCosigner, ProposalUnit


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


def may(authz: Authorizer, proposal: Proposal, action: str, rel: Relation) -> bool:
    """May the caller take `action` on this proposal (whatever its state)?"""
    if action in workflow.AUTOMATIC:
        return False
    obj, act = workflow.permission(action)
    jid = proposal.jurisdiction_id
    allowed = authz.can(obj, act, jid)
    if not allowed and obj == "proposal":
        own = rel.author or (action in workflow.COSIGNER_ACTIONS and rel.cosigner)
        allowed = own and authz.can("own_proposal", act, jid)
    if allowed and action in workflow.LEAD_UNIT_ACTIONS:
        allowed = rel.lead_unit_staff
    return allowed


def require(authz: Authorizer, proposal: Proposal, action: str, rel: Relation) -> None:
    if may(authz, proposal, action, rel):
        return
    obj, act = workflow.permission(action)
    if action in workflow.LEAD_UNIT_ACTIONS and authz.can(obj, act, proposal.jurisdiction_id):
        raise Forbidden(f"Only staff of the lead unit (牵头单位) of proposal {proposal.number} may {act} it.")
    raise Forbidden(f"You may not {action.replace('_', ' ')} proposal {proposal.number}.")


def permitted_actions(authz: Authorizer, proposal: Proposal, rel: Relation) -> list[str]:
    """What the caller may do to the proposal now: the table's actions for its state that the
    policy (and the caller's relation to the proposal) allows."""
    return [a for a in workflow.allowed_actions(proposal.status) if may(authz, proposal, a, rel)]
