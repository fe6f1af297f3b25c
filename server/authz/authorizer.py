"""One enforcement layer: per request, per (object, action), the jurisdictions where the caller
may act, turned into SQL conditions for lists and into yes/no for single objects.

Decisions are made once per request and object type (cached here), never once per row; the
code asks Casbin "may S do A on O in J", never which role S has.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q

from server.authz.engine import CITY, PolicyEngine
from server.errors import DomainError, Forbidden, Unauthenticated


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a user (subject user:NAME) or a data-sharing key (subject key:PREFIX)."""

    subject: str
    name: str
    user_id: int | None = None
    staff_id: int | None = None
    deputy_id: int | None = None
    department_id: int | None = None
    session_id: str | None = None
    display_name: str | None = None  # a user's, read with its session (server.auth.service)
    key_scopes: frozenset[str] | None = None  # set for API keys: the only objects they may read

    @property
    def is_api_key(self) -> bool:
        return self.key_scopes is not None


@dataclass(frozen=True)
class Scope:
    """Where the caller holds one permission: everywhere, or at and beneath some jurisdictions."""

    everywhere: bool = False
    ids: frozenset[int] = frozenset()
    codes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.everywhere and not self.ids

    def where(self, field: str = "jurisdiction") -> Q:
        """SQL condition on a jurisdiction foreign key (`field`_id)."""
        if self.everywhere:
            return Q()
        if not self.ids:
            return Q(pk__in=[])
        condition: dict[str, Any] = {f"{field}_id__in": sorted(self.ids)}
        return Q(**condition)

    def contains(self, jurisdiction_id: int | None) -> bool:
        return self.everywhere or (jurisdiction_id is not None and jurisdiction_id in self.ids)


NOWHERE = Scope()

# A refusal of the operation served in this task (its key over the rate limit, server.pipeline).
# Per task, not per Authorizer: a WebSocket's operations share one context, each in its own task.
operation_refusal: ContextVar[DomainError | None] = ContextVar("operation_refusal", default=None)


def _key_allows(scopes: frozenset[str], obj: str, act: str) -> bool:
    """A data-sharing key reads what its scope names; its only possible write is submitting tickets
    through Open311, when its scope names ticket_submit."""
    if act == "read":
        return obj in scopes or obj == "reference"
    return obj == "ticket" and act == "register" and "ticket_submit" in scopes


def is_everything(condition: Q) -> bool:
    return not condition.children and not condition.filters


def any_of(*conditions: Q) -> Q:
    """OR of visibility conditions. Tortoise drops an empty Q() from an OR, which would turn
    "everything, or my own" into "my own": an unconditional part makes the whole unconditional."""
    if any(is_everything(condition) for condition in conditions):
        return Q()
    result = conditions[0]
    for condition in conditions[1:]:
        result |= condition
    return result


@dataclass
class Authorizer:
    engine: PolicyEngine
    viewer: Viewer | None
    auth_error: str | None = None
    refusal: DomainError | None = None  # e.g. a data-sharing key over its rate limit
    _scopes: dict[tuple[str, str], Scope] = field(default_factory=dict)

    def require_viewer(self) -> Viewer:
        refusal = self.refusal or operation_refusal.get()
        if refusal is not None:
            raise refusal
        if self.viewer is None:
            raise Unauthenticated(self.auth_error or "Log in first: send Authorization: Bearer <token>.")
        return self.viewer

    def scope(self, obj: str, act: str = "read") -> Scope:
        viewer = self.require_viewer()
        key = (obj, act)
        cached = self._scopes.get(key)
        if cached is None:
            shared_key = (viewer.subject, obj, act)
            cached = self.engine.scope_cache.get(shared_key)
            if cached is None or viewer.key_scopes is not None:
                cached = self._compute(viewer, obj, act)
                if viewer.key_scopes is None:
                    self.engine.scope_cache[shared_key] = cached
            self._scopes[key] = cached
        return cached

    def _compute(self, viewer: Viewer, obj: str, act: str) -> Scope:
        if viewer.key_scopes is not None and not _key_allows(viewer.key_scopes, obj, act):
            return NOWHERE  # a key reads only what its scope names (and reference data)
        codes = sorted(
            {
                dom
                for _role, dom in self.engine.grants(viewer.subject)
                if self.engine.enforce(viewer.subject, dom, obj, act)
            }
        )
        # Keep only the topmost jurisdictions; a grant beneath another adds nothing.
        top = tuple(c for c in codes if not any(c.startswith(o + "/") for o in codes if o != c))
        if CITY in top:
            return Scope(everywhere=True, codes=(CITY,))
        return Scope(ids=self.engine.tree.ids_within(top), codes=top)

    def can(self, obj: str, act: str, jurisdiction_id: int | None) -> bool:
        return self.scope(obj, act).contains(jurisdiction_id)

    def require(self, obj: str, act: str, jurisdiction_id: int | None) -> None:
        if not self.can(obj, act, jurisdiction_id):
            where = self.engine.tree.code(jurisdiction_id) if jurisdiction_id else "here"
            raise Forbidden(f"You may not {act} {obj.replace('_', ' ')} in {where}.")

    def require_somewhere(self, obj: str, act: str = "read") -> Scope:
        """For lists: FORBIDDEN when the caller holds the permission nowhere at all."""
        scope = self.scope(obj, act)
        if scope.empty:
            raise Forbidden(f"You may not {act} {obj.replace('_', ' ')}.")
        return scope

    # Row visibility, one SQL condition per object type -------------------------------------

    def visible_tickets(self) -> Q | None:
        """Tickets in jurisdictions where the caller reads tickets, plus tickets transferred to
        its department where it reads department tickets. None when it may read none at all."""
        parts = self.ticket_visibility()
        if parts is None:
            return None
        return any_of(
            *(
                scope.where() if department_id is None else scope.where() & Q(department_id=department_id)
                for scope, department_id in parts
            )
        )

    def ticket_visibility(self) -> list[tuple[Scope, int | None]] | None:
        """The parts `visible_tickets` ORs together, as data (planned reads write them as SQL):
        a scope, with the department the tickets must be transferred to (None: any)."""
        viewer = self.require_viewer()
        own = self.scope("ticket", "read")
        parts: list[tuple[Scope, int | None]] = [] if own.empty else [(own, None)]
        dept = self.scope("department_ticket", "read")
        if not dept.empty and viewer.department_id is not None:
            parts.append((dept, viewer.department_id))
        return parts or None

    def may_read_ticket(self, ticket: Any) -> bool:
        viewer = self.require_viewer()
        if self.can("ticket", "read", ticket.jurisdiction_id):
            return True
        return (
            viewer.department_id is not None
            and ticket.department_id == viewer.department_id
            and self.can("department_ticket", "read", ticket.jurisdiction_id)
        )

    async def figures_department(self) -> int | None:
        """The N department whose transferred tickets are the only ones this caller's ticket figures
        may count; None when its figures cover every ticket in its statistics scope.

        A caller speaking for an N department (its liaison, a data-sharing key issued to it) that
        reads no tickets of its own sees the tickets transferred to that department and nothing
        else; its statistics count the same tickets, not the city's. Decided by the
        caller's department, which is data, and its ticket:read scope, which is policy."""
        viewer = self.require_viewer()
        if viewer.department_id is None or not self.scope("ticket", "read").empty:
            return None
        from server.enums import DepartmentKind
        from server.staff.models import Department

        if await Department.exists(id=viewer.department_id, kind=DepartmentKind.DEPARTMENT):
            return viewer.department_id
        return None

    def owns_proposal(self, proposal: Any) -> bool:
        viewer = self.viewer
        return viewer is not None and viewer.deputy_id is not None and proposal.author_id == viewer.deputy_id
