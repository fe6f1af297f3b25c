"""Who may take which workflow step on a ticket: the workflow table's permissions (PERMISSIONS)
asked of the policy in the ticket's jurisdiction. The service refuses with the same rule that
availableActions offers with, so the list a frontend shows is the truth."""

from __future__ import annotations

from typing import Any

from server.authz.authorizer import Authorizer
from server.tickets.workflow import PERMISSIONS, allowed_actions


def may(authz: Authorizer, ticket: Any, action: str) -> bool:
    """May the caller take `action` on this ticket (whatever its status)?"""
    viewer = authz.require_viewer()
    for obj, act in PERMISSIONS.get(action, ()):
        if obj == "department_ticket" and (
            viewer.department_id is None or ticket.department_id != viewer.department_id
        ):
            continue
        if authz.can(obj, act, ticket.jurisdiction_id):
            return True
    return False


def permitted_actions(authz: Authorizer, ticket: Any) -> list[str]:
    """The table's actions from the ticket's status that the policy lets the caller take."""
    return [a for a in allowed_actions(ticket.status) if may(authz, ticket, a)]
