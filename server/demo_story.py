"""The demo's people acting through the domain services, each step at the story's time.

server/demo.py registers the demo's stations and postings and tells its proposals and tickets by
calling the same services as the API, so the services' rules hold for the demo data, and history
events, audit entries and ticket figures come from the workflow code: a change to a workflow
table reaches the demo too.

Who acts: the demo accounts under their own names and roles, and staff without an account
("demo:<name>") under the role their posting gives them. Those roles are granted in a policy
engine of the demo's own, in memory only: the demo's permissions are the policy file's, and no
grant is written for people who cannot log in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from server import clock
from server.auth.demo_accounts import DEMO_ACCOUNTS
from server.authz.authorizer import Authorizer, Viewer
from server.authz.engine import CITY, PolicyEngine
from server.caller import Caller
from server.enums import Rating, ResolutionMethod, ReturnVisitChannel
from server.tickets import visits
from server.tickets import workflow_service as tickets
from server.tickets.intake import Intake
from server.tickets.models import Ticket

T = TypeVar("T")

# The 12345 service hotline registers tickets and makes the return visits (回访) for the tickets it
# registered: in the demo it acts with the roles of a data-sharing client that may submit tickets
# and of a desk that records citizens' feedback, city-wide.
HOTLINE = "hotline-12345"
HOTLINE_ROLES = ("data-sharing", "community-worker")

REOPEN_COMMENT = "市民对处理结果不满意，要求重新处理 (the citizen is not satisfied; handle it again)"
REWORK = timedelta(minutes=30)  # between the reopening, the second visit, and its result


class Cast:
    """The demo's actors, and one way to call a service as one of them at a given time."""

    def __init__(self) -> None:
        self.engine = PolicyEngine()
        self._viewers: dict[str, Viewer] = {}

    async def start(self) -> None:
        """The policy lines in force and the jurisdiction tree; grants only as the demo adds them
        (auto-save off: nothing of the demo's cast reaches the casbin_rule table)."""
        await self.engine.reload()
        self.engine.loaded.enable_auto_save(False)
        for subject, _role, _code in self.engine.grant_lines():
            await self.engine.loaded.remove_filtered_grouping_policy(0, subject)

    async def add(
        self,
        name: str,
        grants: list[tuple[str, str]],
        *,
        staff_id: int | None = None,
        deputy_id: int | None = None,
        department_id: int | None = None,
        account: bool = False,
    ) -> None:
        """`name` acts with `grants` ((role, jurisdiction code) pairs) from now on."""
        subject = f"user:{name}" if account else name
        for role, code in grants:
            await self.engine.loaded.add_grouping_policy(subject, role, code)
        self.engine.scope_cache = {}
        self._viewers[name] = Viewer(
            subject=subject,
            name=name,
            staff_id=staff_id,
            deputy_id=deputy_id,
            department_id=department_id,
        )

    async def add_account(self, username: str, **ids: int | None) -> None:
        """A demo login account, with the role and jurisdiction it is granted when it is created."""
        _display, role, code, *_ = DEMO_ACCOUNTS[username]
        await self.add(username, [(role, code)], account=True, **ids)

    async def add_hotline(self) -> None:
        await self.add(HOTLINE, [(role, CITY) for role in HOTLINE_ROLES])

    def knows(self, name: str) -> bool:
        return name in self._viewers

    def _authz(self, name: str) -> Authorizer:
        # A fresh Authorizer per step, as per request: its scopes are cached per caller.
        return Authorizer(self.engine, self._viewers[name])

    def caller(self, name: str) -> Caller:
        """The caller every domain service takes, acting as `name`."""
        return Caller(authz=self._authz(name), actor=name, request_id="demo")

    @staticmethod
    async def at(when: datetime, step: Awaitable[T]) -> T:
        """Run one service call (a coroutine not yet started) with the clock at the story's time."""
        with clock.fixed_at(when):
            return await step


@dataclass
class TicketPlan:
    """What happens to one demo ticket: the intake, then each later step's time (None: not
    reached). Who takes each step is named by the demo account or cast name."""

    intake: Intake
    registered_at: datetime
    registrar: str
    registered_by: int | None
    chief: str
    chief_staff_id: int
    closer: str
    dispatched_at: datetime | None = None
    on_site_at: datetime | None = None
    resolved_at: datetime | None = None
    method: ResolutionMethod | None = None
    note: str = ""
    closed_at: datetime | None = None
    satisfied: bool | None = None
    transfer: tuple[datetime, str, int, str] | None = None  # when, by whom, department id, comment


async def _phoned(ticket: Ticket, rating: Rating, comment: str, caller: Caller) -> Ticket:
    """The return visit (回访) by phone that reached the citizen."""
    visited, _ = await visits.record_visit(
        ticket.id,
        ticket.version,
        channel=ReturnVisitChannel.PHONE,
        reached=True,
        rating=rating,
        comment=comment,
        caller=caller,
    )
    return visited


async def tell_ticket(cast: Cast, plan: TicketPlan) -> Ticket:
    """Take one ticket through its steps with the ticket services, each at its time."""
    registrar, chief, closer = (cast.caller(n) for n in (plan.registrar, plan.chief, plan.closer))
    ticket, _duplicates = await cast.at(
        plan.registered_at, tickets.register(plan.intake, registered_by=plan.registered_by, caller=registrar)
    )
    # (when, the step as a function of the ticket as it stands then)
    steps: list[tuple[datetime, Callable[[Ticket], Awaitable[Ticket]]]] = []

    def then(when: datetime | None, step: Callable[[Ticket], Awaitable[Ticket]]) -> None:
        if when is not None:
            steps.append((when, step))

    then(
        plan.dispatched_at, lambda t: tickets.dispatch(t.id, t.version, plan.chief_staff_id, "", caller=chief)
    )
    then(plan.on_site_at, lambda t: tickets.arrive(t.id, t.version, "", caller=chief))
    then(plan.resolved_at, lambda t: tickets.resolve(t.id, t.version, plan.method, plan.note, caller=chief))
    if plan.closed_at is not None and not plan.satisfied:
        # The citizen was not satisfied: the ticket went back to work and was resolved again
        # before the return visit that closed it.
        first = plan.closed_at
        then(first, lambda t: _phoned(t, Rating.DISSATISFIED, REOPEN_COMMENT, closer))
        then(first + REWORK, lambda t: tickets.arrive(t.id, t.version, "", caller=chief))
        then(
            first + 2 * REWORK,
            lambda t: tickets.resolve(t.id, t.version, plan.method, plan.note, caller=chief),
        )
    if plan.closed_at is not None:
        closed_at = plan.closed_at if plan.satisfied else plan.closed_at + 3 * REWORK
        then(closed_at, lambda t: _phoned(t, Rating.SATISFIED, "", closer))
    if plan.transfer is not None:
        when, who, department_id, comment = plan.transfer
        by = cast.caller(who)
        then(when, lambda t: tickets.transfer(t.id, t.version, department_id, comment, caller=by))
    for when, step in sorted(steps, key=lambda pair: pair[0]):
        ticket = await cast.at(when, step(ticket))
    return ticket
