"""Supervision (督办): what is overdue or due soon, and whether each unit answered on time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from server import clock
from server.enums import HandlingUnitRole, ProposalStatus, TaskStatus
from server.errors import FieldProblem, ValidationFailed
from server.proposals import workflow
from server.proposals.models import HandlingTask, Proposal, ProposalUnit
from server.proposals.vocabulary import Timeliness

MAX_WINDOW_DAYS = 366

# Tasks are followed up as long as their proposal stands: a reply "being solved per plan" keeps
# its tasks under supervision after the reply and the closing.
_FOLLOWED = ~Q(proposal__status=ProposalStatus.WITHDRAWN)


def _window(within_days: int) -> int:
    if not 1 <= within_days <= MAX_WINDOW_DAYS:
        raise ValidationFailed(
            problems=[FieldProblem("withinDays", f"must be between 1 and {MAX_WINDOW_DAYS}", "OUT_OF_RANGE")]
        )
    return within_days


def overdue_proposals(*, visible: Q, key_supervision: bool | None = None) -> QuerySet[Proposal]:
    """Assigned or in handling, and the reply is past due: most overdue first."""
    query = Proposal.filter(visible, status__in=workflow.AWAITING_REPLY, reply_due__lt=clock.today())
    if key_supervision is not None:
        query = query.filter(key_supervision=key_supervision)
    return query.order_by("reply_due", "id")


def proposals_due_soon(
    *, visible: Q, within_days: int, key_supervision: bool | None = None
) -> QuerySet[Proposal]:
    """Replies due from today to `within_days` ahead, soonest first."""
    today = clock.today()
    query = Proposal.filter(
        visible,
        status__in=workflow.AWAITING_REPLY,
        reply_due__gte=today,
        reply_due__lte=today + timedelta(days=_window(within_days)),
    )
    if key_supervision is not None:
        query = query.filter(key_supervision=key_supervision)
    return query.order_by("reply_due", "id")


def overdue_tasks(*, visible: Q) -> QuerySet[HandlingTask]:
    return (
        HandlingTask.filter(visible, _FOLLOWED, due_on__lt=clock.today())
        .exclude(status=TaskStatus.DONE)
        .order_by("due_on", "id")
    )


def tasks_due_soon(*, visible: Q, within_days: int) -> QuerySet[HandlingTask]:
    today = clock.today()
    return (
        HandlingTask.filter(
            visible,
            _FOLLOWED,
            due_on__gte=today,
            due_on__lte=today + timedelta(days=_window(within_days)),
        )
        .exclude(status=TaskStatus.DONE)
        .order_by("due_on", "id")
    )


# ---- per-unit timeliness -------------------------------------------------------------------------


def timeliness(
    *,
    role: HandlingUnitRole,
    opinion_due: date | None,
    opinion_at: datetime | None,
    status: ProposalStatus,
    reply_due: date | None,
    replied_at: datetime | None,
    today: date,
) -> Timeliness | None:
    """Did the unit answer by its due date? The lead unit answers with the reply (due
    reply_due; after a re-handling, the reply to the re-handling); a co-handling unit with its
    opinion (due opinion_due). None where nothing is owed (a withdrawn proposal)."""
    if role == HandlingUnitRole.LEAD:
        due = reply_due
        if status not in workflow.AWAITING_REPLY:
            return None if replied_at is None else _verdict(replied_at, due)
    else:
        due = opinion_due
        if opinion_at is not None:
            return _verdict(opinion_at, due)
        if status == ProposalStatus.WITHDRAWN:
            return None
    if due is None:
        return None
    return Timeliness.OVERDUE if today > due else Timeliness.PENDING


def _verdict(answered: datetime, due: date | None) -> Timeliness:
    return Timeliness.LATE if due is not None and clock.local_date(answered) > due else Timeliness.ON_TIME


@dataclass
class UnitTimeliness:
    """How one unit did in one role, over the proposals counted."""

    department_id: int
    role: HandlingUnitRole
    counts: dict[Timeliness, int] = field(default_factory=lambda: dict.fromkeys(Timeliness, 0))

    @property
    def answered(self) -> int:
        return self.counts[Timeliness.ON_TIME] + self.counts[Timeliness.LATE]

    @property
    def on_time_rate(self) -> float | None:
        return round(self.counts[Timeliness.ON_TIME] / self.answered, 4) if self.answered else None


async def unit_timeliness(
    *,
    visible: Q,
    department_id: int | None = None,
    congress_term: int | None = None,
    session: int | None = None,
) -> list[UnitTimeliness]:
    """Per unit and role: answered on time, late, pending, overdue.

    One statement reads the few columns of every unit row of the visible proposals (a city has
    thousands of proposals over the years, a few units each); the rule above classifies them, so
    that this table and each unit's `timeliness` field can never disagree.
    """
    query = ProposalUnit.filter(proposal_id__in=_visible_ids(visible))
    if department_id is not None:
        query = query.filter(department_id=department_id)
    if congress_term is not None:
        query = query.filter(proposal__congress_term=congress_term)
    if session is not None:
        query = query.filter(proposal__session=session)
    rows = await query.values(
        "department_id",
        "role",
        "opinion_due",
        "opinion_at",
        "proposal__status",
        "proposal__reply_due",
        "proposal__replied_at",
    )
    today = clock.today()
    table: dict[tuple[int, HandlingUnitRole], UnitTimeliness] = {}
    for row in rows:
        # the ORM hands back the enum members already (a city's thousands of rows: no conversions)
        role = row["role"]
        verdict = timeliness(
            role=role,
            opinion_due=row["opinion_due"],
            opinion_at=row["opinion_at"],
            status=row["proposal__status"],
            reply_due=row["proposal__reply_due"],
            replied_at=row["proposal__replied_at"],
            today=today,
        )
        if verdict is None:
            continue
        key = (row["department_id"], role)
        entry = table.get(key)
        if entry is None:
            entry = table[key] = UnitTimeliness(row["department_id"], role)
        entry.counts[verdict] += 1
    return sorted(table.values(), key=lambda u: (u.department_id, u.role != HandlingUnitRole.LEAD))


def _visible_ids(visible: Q) -> Subquery:
    return Subquery(Proposal.filter(visible).values("id"))
