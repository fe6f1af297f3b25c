from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from schema.enums import TicketSource, TicketStatus
from schema.ids import filter_id


@strawberry.input(description="Filter for tickets. All given conditions must hold.")
class TicketFilter:
    status: TicketStatus | None = None
    source: TicketSource | None = None
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Tickets in this jurisdiction or anywhere beneath it."
    )
    station_id: strawberry.ID | None = None
    category_id: strawberry.ID | None = None
    registered_from: datetime | None = strawberry.field(default=None, description="Inclusive")
    registered_to: datetime | None = strawberry.field(default=None, description="Exclusive")
    assignee_id: strawberry.ID | None = None
    department_id: strawberry.ID | None = strawberry.field(default=None, description="Transferred to")
    overdue: bool | None = strawberry.field(default=None, description="Open and past its resolution due time")
    due_before: datetime | None = strawberry.field(
        default=None, description="Open and due for resolution before this time (due soon)"
    )
    escalated: bool | None = None

    def criteria(self) -> dict[str, Any]:
        """The conditions as `server.tickets.service.list_tickets` takes them (ids decoded)."""
        return {
            "status": self.status,
            "source": self.source,
            "within_id": filter_id(self.jurisdiction_id, "Jurisdiction", "jurisdictionId"),
            "station_id": filter_id(self.station_id, "Station", "stationId"),
            "category_id": filter_id(self.category_id, "TicketCategory", "categoryId"),
            "registered_from": self.registered_from,
            "registered_to": self.registered_to,
            "assignee_id": filter_id(self.assignee_id, "Staff", "assigneeId"),
            "department_id": filter_id(self.department_id, "Department", "departmentId"),
            "overdue": self.overdue,
            "due_before": self.due_before,
            "escalated": self.escalated,
        }


@strawberry.enum(description="Order of a ticket list.")
class TicketOrder(Enum):
    NEWEST_FIRST = "NEWEST_FIRST"
    OLDEST_FIRST = "OLDEST_FIRST"
    DUE_FIRST = strawberry.enum_value("DUE_FIRST", description="Soonest resolution due first: a queue")
