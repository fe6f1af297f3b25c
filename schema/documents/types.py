"""GraphQL types of documents: the handling report's figures, a station import's answer, an issued
reply letter."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.attachments.types import Attachment
from schema.enums import ReplyResult
from schema.proposals.types import TicketFigures, UnitTimeliness
from schema.stats.queries import RatingCount


@strawberry.type(description="Replies of one result class (A / B / C), each proposal's latest reply.")
class ResultClassCount:
    result: ReplyResult
    mark: str = strawberry.field(description="A, B or C, as on the reply letter.")
    label: str = strawberry.field(description="e.g. A类（所提问题已经解决或建议已被采纳）")
    count: int


@strawberry.type(description="A station credited to one of the session's proposals, and its tickets.")
class DeliveredStation:
    code: str
    name: str
    status_label: str = strawberry.field(description="e.g. 运营中")
    tickets: TicketFigures | None = strawberry.field(
        description="Within your statistics scope; null when you read no ticket statistics."
    )


@strawberry.type(
    description="The handling report (办理情况报告) of a congress session, over the proposals you may "
    "read. Its figures come from the same functions as the supervision queries (unitTimeliness, "
    "overdueProposals, a proposal's outcomes); docs/domain.md defines each."
)
class HandlingReport:
    congress_term: int
    session: int
    as_of: date = strawberry.field(description="The day the figures were read (pending and overdue move).")
    received: int = strawberry.field(description="Submitted proposals of the session (drafts excluded).")
    registered: int
    assigned: int
    replied_on_time: int = strawberry.field(description="The lead unit replied by the due date.")
    replied_late: int
    pending: int = strawberry.field(description="Not replied, not yet due.")
    overdue: int = strawberry.field(description="Not replied, past due.")
    on_time_rate: float | None = strawberry.field(description="On time / replied, 0–1.")
    closed: int
    key_supervised: int = strawberry.field(description="Flagged for key supervision (重点督办).")
    key_supervised_overdue: int
    rehandled: int = strawberry.field(description="Sent back at least once by a dissatisfied rating.")
    by_result: list[ResultClassCount]
    ratings: list[RatingCount]
    satisfaction_rate: float | None = strawberry.field(
        description="(Satisfied + basically satisfied) / rated, 0–1; null when none is rated."
    )
    units: list[UnitTimeliness] = strawberry.field(description="Per unit and role, as unitTimeliness.")
    stations: list[DeliveredStation]
    docx_path: str = strawberry.field(description="The report as DOCX (GET with your Authorization header).")
    pdf_path: str = strawberry.field(description="The report as PDF (needs LibreOffice on the server).")


@strawberry.type(description="One problem of a station import, by row and column, in Chinese and English.")
class ImportProblem:
    row: int = strawberry.field(description="The row as the spreadsheet numbers it (headers included).")
    column: str = strawberry.field(description="e.g. 休息区 rest area; （整行） (row) for the whole row.")
    code: str = strawberry.field(description="The mutations' code, e.g. REST_AREA_BELOW_60_PERCENT.")
    message_zh: str
    message_en: str


@strawberry.type(description="What a station import did (or, in a dry run, would do).")
class ImportStationsPayload:
    dry_run: bool
    committed: bool = strawberry.field(description="True when the rows were written (never in a dry run).")
    rows: int
    created: int
    updated: int
    unchanged: int
    problems: list[ImportProblem] = strawberry.field(
        description="Every problem found; any problem means nothing was written."
    )


@strawberry.type(description="The issued reply letter (答复函), kept with the proposal.")
class ReplyLetterPayload:
    attachments: list[Attachment] = strawberry.field(description="The DOCX, and the PDF when one was made.")
    docx_path: str
    pdf_path: str
