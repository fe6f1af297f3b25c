from __future__ import annotations

import strawberry

from schema.documents.types import DeliveredStation, HandlingReport, ResultClassCount
from schema.errors import as_graphql_error
from schema.proposals.types import TicketFigures, UnitTimeliness
from schema.staff.loaders import DepartmentByIdLoader
from schema.stats.queries import RatingCount
from server.documents import report as reports
from server.enums import Rating, ReplyResult
from server.errors import DomainError
from server.proposals.vocabulary import RESULT_CLASSES, Timeliness


@strawberry.type
class DocumentsQuery:
    @strawberry.field(
        description="The handling report (办理情况报告) of a congress session, e.g. congressTerm 16, "
        "session 7. Needs proposal:read and proposal_internal:read; the stations' tickets need "
        "stats:read. Download it from docxPath or pdfPath."
    )
    async def handling_report(
        self, info: strawberry.Info, congress_term: int, session: int
    ) -> HandlingReport:
        try:
            figures = await reports.handling_report(info.context.authz, congress_term, session)
        except DomainError as exc:
            raise as_graphql_error(exc) from None
        departments = await info.context.loaders.get(DepartmentByIdLoader).load_many(
            [u.department_id for u in figures.units]
        )
        path = f"/export/handling-report.{{}}?term={congress_term}&session={session}"
        return HandlingReport(
            congress_term=congress_term,
            session=session,
            as_of=figures.as_of,
            received=figures.received,
            registered=figures.registered,
            assigned=figures.assigned,
            replied_on_time=figures.replied_on_time,
            replied_late=figures.replied_late,
            pending=figures.lead[Timeliness.PENDING],
            overdue=figures.lead[Timeliness.OVERDUE],
            on_time_rate=figures.on_time_rate,
            closed=figures.closed,
            key_supervised=figures.key_supervised,
            key_supervised_overdue=figures.key_supervised_overdue,
            rehandled=figures.rehandled,
            by_result=[
                ResultClassCount(
                    result=r,
                    mark=RESULT_CLASSES[r].mark,
                    label=RESULT_CLASSES[r].label_zh,
                    count=figures.by_result[r],
                )
                for r in ReplyResult
            ],
            ratings=[RatingCount(rating=r, count=figures.ratings[r]) for r in Rating],
            satisfaction_rate=figures.satisfaction_rate,
            units=[
                UnitTimeliness(
                    department=department,
                    role=u.role,
                    on_time=u.counts[Timeliness.ON_TIME],
                    late=u.counts[Timeliness.LATE],
                    pending=u.counts[Timeliness.PENDING],
                    overdue=u.counts[Timeliness.OVERDUE],
                    on_time_rate=u.on_time_rate,
                )
                for u, department in zip(figures.units, departments, strict=True)
                if department is not None
            ],
            stations=[
                DeliveredStation(
                    code=s.code,
                    name=s.name,
                    status_label=s.status,
                    tickets=None if s.tickets is None else TicketFigures.of(s.tickets),
                )
                for s in figures.stations
            ],
            docx_path=path.format("docx"),
            pdf_path=path.format("pdf"),
        )
