from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias, cast

import strawberry
from strawberry import relay

from schema.attachments.loaders import AttachmentsByTicketLoader
from schema.attachments.types import Attachment, visible_attachments
from schema.enums import (
    CloseReason,
    DepartmentTicketStatus,
    Rating,
    ResolutionMethod,
    ReturnVisitChannel,
    TicketSource,
    TicketStatus,
    TimeUnit,
)
from schema.geo.loaders import JurisdictionByIdLoader
from schema.geo.types import Jurisdiction
from schema.planner.fields import REFERENCE, Computed, NotPlanned, ToMany, ToOne, label, planned
from schema.rows import RowType
from schema.staff.loaders import DepartmentByIdLoader, StaffByIdLoader
from schema.staff.types import Department, Staff
from schema.stations.loaders import StationByIdLoader
from schema.stations.types import Station
from schema.tickets.loaders import (
    EventsByTicketLoader,
    LatestEventByTicketLoader,
    ReturnVisitsByTicketLoader,
    TicketByIdLoader,
    TicketCategoryByIdLoader,
)
from server import clock
from server import enums as domain_enums
from server.calendar.service import category_times, describe
from server.enums import label_zh
from server.errors import Forbidden
from server.privacy.inventory import MASKS
from server.privacy.redaction import free_text_read, known_values, redact_text
from server.tickets import access, models
from server.tickets.workflow import OPEN

OPEN_NAMES = frozenset(s.value for s in OPEN)
ESCALATION_LABELS = {
    0: "未升级 (not escalated)",
    1: "升级至镇街 (escalated to the town)",
    2: "升级至市 (escalated to the city)",
}


def may_read_personal(info: strawberry.Info, ticket: Any) -> bool:
    return bool(info.context.authz.can("ticket_personal", "read", ticket.jurisdiction_id))


def personal_data(info: strawberry.Info, ticket: Any, field: str) -> str | None:
    if not may_read_personal(info, ticket):
        raise Forbidden("Citizens' personal data is a separate permission (ticket_personal:read).")
    info.context.personal_reads.append((ticket.id, ticket.number, field))  # logged once per request
    value: str | None = getattr(ticket, field)
    return value


def masked_personal_data(ticket: Any, field: str) -> str:
    """138****0000, 王*: enough to tell people apart, for anyone who may read the ticket."""
    return MASKS[field](getattr(ticket, field)) or ""


def free_text(info: strawberry.Info, ticket: Any, field: str) -> str:
    """Text typed by staff or the citizen: whole for ticket_personal:read (a logged read when it holds
    personal data), else redacted. The rule is server.privacy.redaction.free_text_read, shared with
    Open311."""
    return free_text_read(
        getattr(ticket, field), ticket, may_read_personal(info, ticket), info.context.personal_reads
    )


# The columns a personal-data read and a free-text read use besides their own (who read which
# ticket, the reporter's values to find in the text, the jurisdiction that decides).
PERSONAL_READ = ("number", "jurisdiction_id")
FREE_TEXT_READ = ("number", "jurisdiction_id", "reporter_name", "reporter_phone")

FREE_TEXT_NOTE = (
    " Phone and ID numbers and the reporter's name are masked unless the caller has "
    "ticket_personal:read in the ticket's jurisdiction."
)


# The columns a category's time fields read (a row without units counts its minutes).
CATEGORY_TIME_COLUMNS = (
    "response_amount",
    "response_unit",
    "response_minutes",
    "resolution_amount",
    "resolution_unit",
    "resolution_minutes",
)


@strawberry.type(description="A ticket category with its default response and resolution times.")
class TicketCategory(RowType, relay.Node):
    row_model = models.TicketCategory

    id: relay.NodeID[int]
    code: str
    name: str = strawberry.field(description="Chinese label, e.g. 占道经营")
    name_en: str
    response_minutes: int = strawberry.field(
        description="The nominal response time in minutes, kept for older clients; with a working-time "
        "unit it is a length of office time. Due times follow responseAmount and responseUnit."
    )
    resolution_minutes: int = strawberry.field(
        description="The nominal resolution time in minutes, kept for older clients; due times follow "
        "resolutionAmount and resolutionUnit."
    )
    version: int = strawberry.field(
        description="Changes to the times (updateTicketCategoryTimes) are made at the version read."
    )

    @strawberry.field(
        description="The response time's amount, in responseUnit.",
        metadata=planned(Computed(CATEGORY_TIME_COLUMNS)),
    )
    def response_amount(self) -> int:
        return category_times(self)[0][0]

    @strawberry.field(
        description="How the response time is counted: round the clock, or in working hours or days "
        "on the work calendar.",
        metadata=planned(Computed(CATEGORY_TIME_COLUMNS)),
    )
    def response_unit(self) -> TimeUnit:
        return category_times(self)[0][1]

    @strawberry.field(
        description="The resolution time's amount, in resolutionUnit.",
        metadata=planned(Computed(CATEGORY_TIME_COLUMNS)),
    )
    def resolution_amount(self) -> int:
        return category_times(self)[1][0]

    @strawberry.field(
        description="How the resolution time is counted.", metadata=planned(Computed(CATEGORY_TIME_COLUMNS))
    )
    def resolution_unit(self) -> TimeUnit:
        return category_times(self)[1][1]

    @strawberry.field(
        description='The response time as the desk says it, e.g. "30分钟", "2工作小时".',
        metadata=planned(Computed(CATEGORY_TIME_COLUMNS)),
    )
    def response_time_label(self) -> str:
        return describe(*category_times(self)[0])

    @strawberry.field(
        description='The resolution time as the desk says it, e.g. "3个工作日".',
        metadata=planned(Computed(CATEGORY_TIME_COLUMNS)),
    )
    def resolution_time_label(self) -> str:
        return describe(*category_times(self)[1])


@strawberry.type(description="One entry of a ticket's history. Never changed once written.")
class TicketEvent:
    actor: str
    action: str
    from_status: TicketStatus | None = strawberry.field(
        description="Null for the registration, which has no status before it."
    )
    to_status: TicketStatus | None
    comment: str
    at: datetime

    @strawberry.field(metadata=planned(Computed(())))
    def from_status_label(self) -> str | None:
        return label_zh(self.from_status)

    @strawberry.field(metadata=planned(Computed(())))
    def to_status_label(self) -> str | None:
        return label_zh(self.to_status)


@strawberry.type(
    description="One return visit (回访) after the ticket was resolved: reached or not, the citizen's "
    "rating when reached. Never changed once written."
)
class ReturnVisit:
    round: int = strawberry.field(
        description="How many times the ticket had been reopened when visited: 0 after its first "
        "resolution. Attempts are counted per round."
    )
    attempt: int = strawberry.field(description="1, 2, … within its round.")
    channel: ReturnVisitChannel | None = strawberry.field(
        description="Null for feedback recorded through recordCitizenFeedback, which does not say how."
    )
    reached: bool
    rating: Rating | None = strawberry.field(description="The citizen's rating; null when not reached.")
    comment: str
    actor: str = strawberry.field(description="The account that recorded it.")
    visited_at: datetime
    visited_by_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The staff member who made the visit; null when the account is not staff. Needs "
        "staff:read where the staff member belongs; otherwise null with a FORBIDDEN error at this path.",
        metadata=planned(NotPlanned("a staff relation of a visit, not yet planned")),
    )
    async def visited_by(self, info: strawberry.Info) -> Staff | None:
        return await staff_member(info, self.visited_by_id)

    @strawberry.field(metadata=planned(Computed(())))
    def channel_label(self) -> str | None:
        return label_zh(self.channel)

    @strawberry.field(metadata=planned(Computed(())))
    def rating_label(self) -> str | None:
        return label_zh(self.rating)


_STATUSES = {status.value: status for status in domain_enums.TicketStatus}


def ticket_status(value: str | None) -> domain_enums.TicketStatus | None:
    """A status as stored in history rows and live events (its name) as the enum."""
    if not value:
        return None
    return _STATUSES.get(value) or domain_enums.TicketStatus(value)  # an unknown name still raises


@strawberry.type(
    description="One row of the ticket workflow: from a status, an action leads to a status. "
    "Any one of the permissions lets a caller take it in the ticket's jurisdiction."
)
class TicketWorkflowTransition:
    from_status: TicketStatus
    action: str
    to_status: TicketStatus
    action_label: str = strawberry.field(description="Chinese label of the action, e.g. 派遣.")
    permissions: list[str] = strawberry.field(
        description="The policy lines (object:action, as in the policy file) that allow it, e.g. "
        "ticket:dispatch; a department_ticket line counts only on tickets transferred to the "
        "caller's own department."
    )
    mutation: str = strawberry.field(description="The mutation that takes it, e.g. dispatchTicket.")

    @strawberry.field
    def from_status_label(self) -> str | None:
        return label_zh(self.from_status)

    @strawberry.field
    def to_status_label(self) -> str | None:
        return label_zh(self.to_status)


def _history_entry(info: Any, ticket: Any, event: Any) -> TicketEvent:
    return _event(info, ticket, event)


# A ticket's history rows, as planned reads serve them: masked for the caller as _event masks them.
EVENTS: dict[str, Any] = {
    "model": models.TicketEvent,
    "transform": _history_entry,
    "parent_columns": FREE_TEXT_READ,
    "columns": ("ticket_id", "actor", "action", "from_status", "to_status", "comment", "at"),
}


@strawberry.type(description="A citizen's ticket (工单).")
class Ticket(RowType, relay.Node):
    row_model = models.Ticket

    id: relay.NodeID[int]
    number: str = strawberry.field(description="Human-readable number, e.g. DG-20220110-000001")
    source: TicketSource
    address: str
    latitude: float | None
    longitude: float | None
    status: TicketStatus
    resolution_method: ResolutionMethod | None
    citizen_satisfied: bool | None = strawberry.field(
        description="The citizen's latest rating as a yes/no: SATISFIED or BASICALLY_SATISFIED is "
        "true. Null until a return visit reaches the citizen."
    )
    close_reason: CloseReason | None = strawberry.field(
        description="Why it was closed after its return visits; null until then, and for tickets "
        "rejected or marked duplicate."
    )
    reopen_count: int
    escalated_at: datetime | None
    escalation_level: int = strawberry.field(description="0 none, 1 escalated to the town, 2 to the city")
    registered_at: datetime
    dispatched_at: datetime | None
    on_site_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due: datetime
    resolution_due: datetime
    version: int

    @strawberry.field(description="Chinese label of the status, e.g. 已处置.", metadata=label("status"))
    def status_label(self) -> str | None:
        return label_zh(self.status)

    @strawberry.field(description="Chinese label of the source, e.g. 驿站来访.", metadata=label("source"))
    def source_label(self) -> str | None:
        return label_zh(self.source)

    @strawberry.field(
        description="Reporter's name: citizens' personal data. Needs ticket_personal:read in the "
        "ticket's jurisdiction; otherwise null with a FORBIDDEN error at this path.",
        metadata=planned("reporter_name", *PERSONAL_READ),
    )
    def reporter_name(self, info: strawberry.Info) -> str | None:
        return personal_data(info, self, "reporter_name")

    @strawberry.field(
        description="Reporter's phone: citizens' personal data. Needs ticket_personal:read in the "
        "ticket's jurisdiction; otherwise null with a FORBIDDEN error at this path.",
        metadata=planned("reporter_phone", *PERSONAL_READ),
    )
    def reporter_phone(self, info: strawberry.Info) -> str | None:
        return personal_data(info, self, "reporter_phone")

    @strawberry.field(
        description="Reporter's name masked (王*), for anyone who may read the ticket. Empty when none.",
        metadata=planned("reporter_name"),
    )
    def reporter_name_masked(self) -> str:
        return masked_personal_data(self, "reporter_name")

    @strawberry.field(
        description="Reporter's phone masked (138****0000), for anyone who may read the ticket. "
        "Empty when none.",
        metadata=planned("reporter_phone"),
    )
    def reporter_phone_masked(self) -> str:
        return masked_personal_data(self, "reporter_phone")

    @strawberry.field(
        description="What the citizen reported." + FREE_TEXT_NOTE,
        metadata=planned("description", *FREE_TEXT_READ),
    )
    def description(self, info: strawberry.Info) -> str:
        return free_text(info, self, "description")

    @strawberry.field(
        description="How it was resolved." + FREE_TEXT_NOTE,
        metadata=planned("resolution_note", *FREE_TEXT_READ),
    )
    def resolution_note(self, info: strawberry.Info) -> str:
        return free_text(info, self, "resolution_note")

    @strawberry.field(
        description="Why it was rejected." + FREE_TEXT_NOTE,
        metadata=planned("reject_reason", *FREE_TEXT_READ),
    )
    def reject_reason(self, info: strawberry.Info) -> str:
        return free_text(info, self, "reject_reason")

    @strawberry.field(
        description="The citizen's words on the result." + FREE_TEXT_NOTE,
        metadata=planned("citizen_feedback", *FREE_TEXT_READ),
    )
    def citizen_feedback(self, info: strawberry.Info) -> str:
        return free_text(info, self, "citizen_feedback")

    @strawberry.field(
        description="Minutes from registration to resolution, once resolved.",
        metadata=planned("resolved_at", "registered_at"),
    )
    def resolution_minutes(self) -> float | None:
        if self.resolved_at is None:
            return None
        return round((self.resolved_at - self.registered_at).total_seconds() / 60, 1)

    @strawberry.field(metadata=planned(ToOne("category_id", REFERENCE)))
    def category(self, root: strawberry.Parent[models.Ticket], info: strawberry.Info) -> TicketCategory:
        return info.context.load(TicketCategoryByIdLoader, root.category_id)

    @strawberry.field(
        description="The community the ticket lies in.", metadata=planned(ToOne("jurisdiction_id", REFERENCE))
    )
    def jurisdiction(self, root: strawberry.Parent[models.Ticket], info: strawberry.Info) -> Jurisdiction:
        return info.context.load(JurisdictionByIdLoader, root.jurisdiction_id)

    @strawberry.field(metadata=planned(ToOne("station_id", "station")))
    def station(self, root: strawberry.Parent[models.Ticket], info: strawberry.Info) -> Station | None:
        sid = root.station_id
        return None if sid is None else info.context.load(StationByIdLoader, sid)

    @strawberry.field(
        description="Who handles it now; null when nobody does. Needs staff:read where the staff "
        "member belongs; otherwise null with a FORBIDDEN error at this path.",
        metadata=planned(ToOne("assignee_id", "staff", hidden="resolvers")),
    )
    async def assignee(self, root: strawberry.Parent[models.Ticket], info: strawberry.Info) -> Staff | None:
        return await staff_member(info, root.assignee_id)

    @strawberry.field(
        description="Department it was transferred to (the N of 1+N).",
        metadata=planned(ToOne("department_id", REFERENCE)),
    )
    def department(self, root: strawberry.Parent[models.Ticket], info: strawberry.Info) -> Department | None:
        did = root.department_id
        return None if did is None else info.context.load(DepartmentByIdLoader, did)

    @strawberry.field(
        description="Everything that happened to the ticket, oldest first." + FREE_TEXT_NOTE,
        metadata=planned(ToMany("ticket_id", **EVENTS)),
    )
    async def history(self, info: strawberry.Info) -> list[TicketEvent]:
        events = await info.context.load(EventsByTicketLoader, self.id)
        return [_event(info, self, event) for event in events]

    @strawberry.field(
        description="The most recent history entry." + FREE_TEXT_NOTE,
        metadata=planned(ToOne(None, latest_of="ticket_id", **EVENTS)),
    )
    async def latest_event(self, info: strawberry.Info) -> TicketEvent | None:
        event = await info.context.load(LatestEventByTicketLoader, self.id)
        return None if event is None else _event(info, self, event)

    @strawberry.field(
        description="Staff member who registered it at the desk; null when none did (hotline, "
        "data-sharing intake). Needs staff:read where the staff member belongs; otherwise null "
        "with a FORBIDDEN error at this path.",
        metadata=planned(ToOne("registered_by_id", "staff", hidden="resolvers")),
    )
    async def registered_by(
        self, root: strawberry.Parent[models.Ticket], info: strawberry.Info
    ) -> Staff | None:
        return await staff_member(info, root.registered_by_id)

    @strawberry.field(
        description="Photos and documents: the citizen's at intake, the handler's on site and after the "
        "fix, oldest first.",
        metadata=planned(NotPlanned("files with signed links for the caller, not planned")),
    )
    async def attachments(self, info: strawberry.Info) -> list[Attachment]:
        rows = await info.context.load(AttachmentsByTicketLoader, self.id)
        return visible_attachments(rows, info.context.authz, self)

    @strawberry.field(
        description="What you may do to the ticket now: the workflow's actions from its status "
        "(ticketWorkflow) that your policy lines allow in its jurisdiction. Each is taken by the "
        "mutation ticketWorkflow names for it.",
        metadata=planned(NotPlanned("the policy's decision per action, not yet planned")),
    )
    def available_actions(self, info: strawberry.Info) -> list[str]:
        return access.permitted_actions(info.context.authz, self)

    @strawberry.field(
        description="The earlier ticket this one duplicates; its reporter follows that one.",
        metadata=planned(NotPlanned("the ticket visibility of a related ticket, not yet planned")),
    )
    def duplicate_of(self, root: strawberry.Parent[models.Ticket], info: strawberry.Info) -> Ticket | None:
        tid = root.duplicate_of_id
        return None if tid is None else info.context.load(TicketByIdLoader, tid)

    @strawberry.field(
        description="Its return visits (回访), oldest first." + FREE_TEXT_NOTE,
        metadata=planned(NotPlanned("return visits are read through their loader, not yet planned")),
    )
    async def return_visits(self, info: strawberry.Info) -> list[ReturnVisit]:
        visits = await info.context.load(ReturnVisitsByTicketLoader, self.id)
        return [as_visit(info, self, visit) for visit in visits]

    @strawberry.field(
        description="Chinese label of the close reason, e.g. 满意办结.", metadata=label("close_reason")
    )
    def close_reason_label(self) -> str | None:
        return label_zh(self.close_reason)

    @strawberry.field(
        description="Chinese label of the 721 method, e.g. 服务.", metadata=label("resolution_method")
    )
    def resolution_method_label(self) -> str | None:
        return label_zh(self.resolution_method)

    @strawberry.field(
        description="The department's own sub-status, for a transferred ticket.",
        metadata=planned("department_status"),
    )
    def department_status(self, root: strawberry.Parent[models.Ticket]) -> DepartmentTicketStatus | None:
        value = root.department_status
        return DepartmentTicketStatus(value) if value else None

    @strawberry.field(
        description="True when open past its resolution due time (now, by the server's clock).",
        metadata=planned("status", "resolution_due"),
    )
    def overdue(self) -> bool:
        return self.status.value in OPEN_NAMES and clock.now() > self.resolution_due

    @strawberry.field(
        description="Escalation as words: 未升级 / 升级至镇街 / 升级至市.",
        metadata=planned("escalation_level"),
    )
    def escalation_label(self) -> str:
        return ESCALATION_LABELS.get(self.escalation_level, "")


# The row a Ticket is served from, named for modules that do not import the models themselves.
TicketRow: TypeAlias = models.Ticket


def as_category(row: models.TicketCategory) -> TicketCategory:
    """A row where a TicketCategory is declared; as `as_ticket`."""
    return cast(TicketCategory, row)


def as_ticket(row: models.Ticket) -> Ticket:
    """A row where a Ticket is declared (a payload field): the GraphQL layer serves rows as they are,
    and Ticket's is_type_of and resolvers read them (schema.rows)."""
    return cast(Ticket, row)


async def staff_member(info: strawberry.Info, staff_id: int | None) -> Staff | None:
    """A staff member named on a ticket. Reading the ticket does not make its staff readable: one
    the caller may not read is refused at its path rather than shown as nobody."""
    if staff_id is None:
        return None
    staff: Staff | None = await info.context.load(StaffByIdLoader, staff_id)
    if staff is None:
        raise Forbidden("Staff names need staff:read where the staff member belongs.")
    return staff


def _event(info: strawberry.Info, ticket: Any, event: models.TicketEvent) -> TicketEvent:
    """History comments are stored masked (server.privacy.redaction); rows older than that were
    redacted by migration 0008. Masked again here for callers without ticket_personal:read."""
    comment = event.comment
    if comment and not may_read_personal(info, ticket):  # an empty comment has nothing to mask
        comment = redact_text(comment, known_values(ticket))
    return TicketEvent(
        actor=event.actor,
        action=event.action,
        from_status=ticket_status(event.from_status),
        to_status=ticket_status(event.to_status),
        comment=comment,
        at=event.at,
    )


def as_visit(info: strawberry.Info, ticket: Any, visit: models.ReturnVisit) -> ReturnVisit:
    """Visit comments are stored masked, as history comments are; masked again here with the
    reporter's own values for callers without ticket_personal:read."""
    comment = visit.comment
    if not may_read_personal(info, ticket):
        comment = redact_text(comment, known_values(ticket))
    return ReturnVisit(
        round=visit.round,
        attempt=visit.attempt,
        channel=visit.channel,
        reached=visit.reached,
        rating=visit.rating,
        comment=comment,
        actor=visit.actor,
        visited_at=visit.visited_at,
        visited_by_id=visit.visited_by_id,
    )
