from __future__ import annotations

from datetime import datetime

import strawberry

from schema.enums import TicketSource, TicketStatus


@strawberry.input(description="Filter for tickets. All given conditions must hold.")
class TicketFilter:
    status: TicketStatus | None = None  # type: ignore[valid-type]
    source: TicketSource | None = None  # type: ignore[valid-type]
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Tickets in this jurisdiction or anywhere beneath it."
    )
    station_id: strawberry.ID | None = None
    category_id: strawberry.ID | None = None
    registered_from: datetime | None = strawberry.field(default=None, description="Inclusive")
    registered_to: datetime | None = strawberry.field(default=None, description="Exclusive")
