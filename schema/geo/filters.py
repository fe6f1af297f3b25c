from __future__ import annotations

import strawberry

from schema.enums import JurisdictionLevel


@strawberry.input(description="Filter for jurisdictions. All given conditions must hold.")
class JurisdictionFilter:
    level: JurisdictionLevel | None = None
    parent_id: strawberry.ID | None = strawberry.field(default=None, description="Direct children of")
    within_id: strawberry.ID | None = strawberry.field(
        default=None, description="This jurisdiction and everything beneath it"
    )
    search: str | None = strawberry.field(default=None, description="Text in the Chinese or English name")
