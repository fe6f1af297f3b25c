from __future__ import annotations

from datetime import datetime

import strawberry

from schema.enums import ProposalStatus


@strawberry.input(description="Filter for proposals. All given conditions must hold.")
class ProposalFilter:
    status: ProposalStatus | None = None
    jurisdiction_id: strawberry.ID | None = None
    key_supervision: bool | None = None
    search: str | None = strawberry.field(default=None, description="Text in the number or title.")
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    author_id: strawberry.ID | None = strawberry.field(
        default=None, description="Proposals this deputy submitted (or drafted, when it is you)."
    )
    cosigner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Proposals this deputy co-signed (附议)."
    )


@strawberry.input(description="Filter for deputies. All given conditions must hold.")
class DeputyFilter:
    search: str | None = strawberry.field(
        default=None, description="Text in the name or the delegation (代表团), e.g. 长安."
    )
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Deputies elected here or beneath."
    )
