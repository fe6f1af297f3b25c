"""The handling report (办理情况报告) of a congress session: what the bureau tells the standing
committee about the session's proposals. Its figures come from the functions the GraphQL
supervision queries use (supervision.unit_timeliness, supervision.overdue_proposals,
outcomes.ticket_figures), over the proposals the caller may read, so the report and the queries
cannot disagree. Definitions (docs/domain.md, "The handling report"):

- received: the session's proposals that were submitted (drafts are not yet anyone's business);
  registered and assigned: those that reached that step (registered_at, assigned_at set);
- replied on time / late / pending / overdue: the lead unit's timeliness (unit_timeliness);
- result classes and satisfaction: each proposal's latest reply, and the deputies' ratings of it;
- key-supervised: flagged 重点督办; re-handled: sent back at least once by a dissatisfied rating;
- delivered: the stations credited to the session's proposals and their tickets (statistics scope).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tortoise.expressions import Q

from server import clock
from server.authz.authorizer import Authorizer
from server.documents import office
from server.enums import HandlingUnitRole, ProposalStatus, Rating, ReplyResult, ResolutionMethod, label_zh
from server.errors import FieldProblem, Forbidden, ValidationFailed
from server.proposals import access, outcomes, supervision
from server.proposals.models import Proposal, ProposalRating, ProposalReply
from server.proposals.vocabulary import RESULT_CLASSES, Timeliness, label
from server.staff.models import Department
from server.stations.models import Station

# Ratings that count as satisfied for the satisfaction rate, as the scorecard's three rates do.
SATISFIED = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)


@dataclass(frozen=True)
class UnitRow:
    department_id: int
    name: str
    role: HandlingUnitRole
    counts: dict[Timeliness, int]
    on_time_rate: float | None


@dataclass(frozen=True)
class DeliveredStation:
    station_id: int
    code: str
    name: str
    status: str
    tickets: outcomes.TicketFigures | None  # None: the caller reads no ticket statistics


@dataclass
class HandlingReport:
    congress_term: int
    session: int
    as_of: date
    received: int = 0
    registered: int = 0
    assigned: int = 0
    lead: dict[Timeliness, int] = field(default_factory=lambda: dict.fromkeys(Timeliness, 0))
    by_result: dict[ReplyResult, int] = field(default_factory=lambda: dict.fromkeys(ReplyResult, 0))
    units: list[UnitRow] = field(default_factory=list)
    ratings: dict[Rating, int] = field(default_factory=lambda: dict.fromkeys(Rating, 0))
    key_supervised: int = 0
    key_supervised_overdue: int = 0
    rehandled: int = 0
    closed: int = 0
    stations: list[DeliveredStation] = field(default_factory=list)

    @property
    def replied_on_time(self) -> int:
        return self.lead[Timeliness.ON_TIME]

    @property
    def replied_late(self) -> int:
        return self.lead[Timeliness.LATE]

    @property
    def replied(self) -> int:
        return self.replied_on_time + self.replied_late

    @property
    def on_time_rate(self) -> float | None:
        return round(self.replied_on_time / self.replied, 4) if self.replied else None

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def satisfaction_rate(self) -> float | None:
        satisfied = sum(self.ratings[r] for r in SATISFIED)
        return round(satisfied / self.rated, 4) if self.rated else None

    def tickets_total(self) -> tuple[int, int] | None:
        figures = [s.tickets for s in self.stations if s.tickets is not None]
        if len(figures) != len(self.stations) or not figures:
            return None
        return sum(f.received for f in figures), sum(f.resolved for f in figures)


def _session_problem(congress_term: int, session: int) -> None:
    problems = []
    if not 1 <= congress_term <= 99:
        problems.append(FieldProblem("congressTerm", "must be between 1 and 99", "OUT_OF_RANGE"))
    if not 1 <= session <= 20:
        problems.append(FieldProblem("session", "must be between 1 and 20", "OUT_OF_RANGE"))
    if problems:
        raise ValidationFailed(problems=problems)


async def handling_report(authz: Authorizer, congress_term: int, session: int) -> HandlingReport:
    """The report over the session's proposals that the caller may read; its correspondence
    figures (result classes, ratings) need proposal_internal:read, as the replies do for staff."""
    _session_problem(congress_term, session)
    visible = access.visible_proposals(authz)
    if visible is None or authz.scope("proposal_internal", "read").empty:
        raise Forbidden("The handling report needs proposal:read and proposal_internal:read.")
    of_session = Q(congress_term=congress_term, session=session)
    proposals = Proposal.filter(visible, of_session).exclude(status=ProposalStatus.DRAFT)
    report = HandlingReport(congress_term, session, clock.today())
    report.received = await proposals.count()
    report.registered = await proposals.filter(registered_at__isnull=False).count()
    report.assigned = await proposals.filter(assigned_at__isnull=False).count()
    report.key_supervised = await proposals.filter(key_supervision=True).count()
    report.rehandled = await proposals.filter(rehandling_count__gt=0).count()
    report.closed = await proposals.filter(status=ProposalStatus.CLOSED).count()
    report.key_supervised_overdue = (
        await supervision.overdue_proposals(visible=visible, key_supervision=True).filter(of_session).count()
    )
    rows = await supervision.unit_timeliness(visible=visible, congress_term=congress_term, session=session)
    names = dict(await Department.filter(id__in=[r.department_id for r in rows]).values_list("id", "name"))
    for row in rows:
        report.units.append(
            UnitRow(
                row.department_id,
                str(names.get(row.department_id, "")),
                row.role,
                row.counts,
                row.on_time_rate,
            )
        )
        if row.role == HandlingUnitRole.LEAD:
            for verdict, count in row.counts.items():
                report.lead[verdict] += count
    await _correspondence(report, authz, visible & of_session)
    await _delivered(report, authz, visible & of_session)
    return report


async def _correspondence(report: HandlingReport, authz: Authorizer, proposals: Q) -> None:
    """Result classes and ratings of each proposal's latest reply."""
    readable = access.correspondence_q(authz)
    if readable is None:
        return
    ids = Proposal.filter(proposals).exclude(status=ProposalStatus.DRAFT).values("id")
    from tortoise.expressions import Subquery

    replies = await (
        ProposalReply.filter(readable, proposal_id__in=Subquery(ids))
        .order_by("id")
        .values_list("proposal_id", "id", "result")
    )
    latest: dict[int, tuple[int, ReplyResult]] = {}
    for proposal_id, reply_id, result in replies:
        latest[proposal_id] = (reply_id, ReplyResult(getattr(result, "value", result)))
    for _, result in latest.values():
        report.by_result[result] += 1
    latest_ids = [reply_id for reply_id, _ in latest.values()]
    for start in range(0, len(latest_ids), 500):
        ratings: list[Any] = await ProposalRating.filter(
            reply_id__in=latest_ids[start : start + 500]
        ).values_list("rating", flat=True)
        for rating in ratings:
            report.ratings[Rating(getattr(rating, "value", rating))] += 1


async def _delivered(report: HandlingReport, authz: Authorizer, proposals: Q) -> None:
    stations_scope = authz.scope("station", "read")
    if stations_scope.empty:
        return
    from tortoise.expressions import Subquery

    ids = Proposal.filter(proposals).exclude(status=ProposalStatus.DRAFT).values("id")
    stations = await Station.filter(stations_scope.where(), proposal_id__in=Subquery(ids)).order_by("id")
    stats = authz.scope("stats", "read")
    figures = (
        None
        if stats.empty
        else await outcomes.ticket_figures([s.id for s in stations], visible=stats.where())
    )
    report.stations = [
        DeliveredStation(
            s.id,
            s.code,
            s.name,
            label_zh(s.status) or s.status.value,
            None if figures is None else figures.get(s.id, outcomes.TicketFigures()),
        )
        for s in stations
    ]


# ---- the document -------------------------------------------------------------------------------


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _chart(kind: str, labels: list[str], values: list[int], title: str) -> bytes:
    """A PNG chart drawn by matplotlib with the installed CJK font (loaded by file path)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.font_manager import FontProperties

    font_file = office.cjk_font_file()
    font = FontProperties(fname=font_file) if font_file else FontProperties()
    figure, axes = pyplot.subplots(figsize=(6, 3.2), dpi=120)
    try:
        if kind == "pie" and any(values):
            shown = [(lab, v) for lab, v in zip(labels, values, strict=True) if v]
            _, texts, autotexts = axes.pie(
                [v for _, v in shown], labels=[lab for lab, _ in shown], autopct="%1.0f%%", startangle=90
            )
            for text in [*texts, *autotexts]:
                text.set_fontproperties(font)
            axes.axis("equal")
        else:
            bars = axes.barh(labels, values, color="#3b6ea5")
            axes.bar_label(bars, padding=3)
            axes.invert_yaxis()
            for tick in axes.get_yticklabels():
                tick.set_fontproperties(font)
        axes.set_title(title, fontproperties=font)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()
    finally:
        pyplot.close(figure)


def _station_row(station: DeliveredStation, methods: list[ResolutionMethod]) -> list[object]:
    row: list[object] = [station.code, station.name, station.status]
    figures = station.tickets
    if figures is None:  # the caller reads no ticket statistics
        return row + [None] * (3 + len(methods))
    row += [figures.received, figures.resolved, figures.median_resolution_minutes]
    return row + [figures.by_method[m] for m in methods]


def report_docx(report: HandlingReport, author: str = "lianxin") -> bytes:
    from docx.shared import Cm

    document = office.new_document()
    term, session = report.congress_term, report.session
    office.paragraph(
        document,
        f"关于市第{term}届人大第{session}次会议代表建议办理情况的报告",
        size=18,
        bold=True,
        font=office.SANS,
        align="center",
    )
    office.paragraph(document, f"（截至{office.chinese_date(report.as_of)}）", align="center")
    office.paragraph(document, "一、总体情况", size=14, bold=True, font=office.SANS)
    office.paragraph(
        document,
        f"本次会议期间及闭会期间提出并提交的代表建议共{report.received}件，已登记{report.registered}件，"
        f"已交办{report.assigned}件。牵头单位已答复{report.replied}件，其中按时答复{report.replied_on_time}件、"
        f"逾期答复{report.replied_late}件，按时答复率{_percent(report.on_time_rate)}；尚在办理"
        f"{report.lead[Timeliness.PENDING]}件，已超期未答复{report.lead[Timeliness.OVERDUE]}件。"
        f"已办结{report.closed}件。",
        indent=True,
    )
    office.table(
        document,
        ["指标 figure", "件数 count"],
        [
            ["收到 received", report.received],
            ["登记 registered", report.registered],
            ["交办 assigned", report.assigned],
            ["按时答复 replied on time", report.replied_on_time],
            ["逾期答复 replied late", report.replied_late],
            ["办理中 pending", report.lead[Timeliness.PENDING]],
            ["超期未答复 overdue", report.lead[Timeliness.OVERDUE]],
            ["办结 closed", report.closed],
            ["重点督办 key-supervised", report.key_supervised],
            ["重点督办中超期 key-supervised overdue", report.key_supervised_overdue],
            ["重新办理 re-handled", report.rehandled],
        ],
    )
    office.paragraph(document, "二、办理结果分类", size=14, bold=True, font=office.SANS)
    result_rows = [
        [RESULT_CLASSES[r].mark, RESULT_CLASSES[r].label_zh, report.by_result[r]] for r in ReplyResult
    ]
    office.table(document, ["类别 class", "说明 meaning", "件数 count"], result_rows)
    document.add_picture(
        io.BytesIO(
            _chart(
                "pie",
                [f"{RESULT_CLASSES[r].mark}类" for r in ReplyResult],
                [report.by_result[r] for r in ReplyResult],
                "办理结果分类 result classes",
            )
        ),
        width=Cm(14),
    )
    office.paragraph(document, "三、各承办单位办理时效", size=14, bold=True, font=office.SANS)
    office.table(
        document,
        [
            "单位 unit",
            "角色 role",
            "按时 on time",
            "逾期 late",
            "办理中 pending",
            "超期 overdue",
            "按时率 rate",
        ],
        [
            [
                u.name,
                label(u.role),
                u.counts[Timeliness.ON_TIME],
                u.counts[Timeliness.LATE],
                u.counts[Timeliness.PENDING],
                u.counts[Timeliness.OVERDUE],
                _percent(u.on_time_rate),
            ]
            for u in report.units
        ],
    )
    leads = [u for u in report.units if u.role == HandlingUnitRole.LEAD][:15]
    if leads:
        document.add_picture(
            io.BytesIO(
                _chart(
                    "bar",
                    [u.name for u in leads],
                    [u.counts[Timeliness.ON_TIME] + u.counts[Timeliness.LATE] for u in leads],
                    "牵头单位已答复件数 replies by lead unit",
                )
            ),
            width=Cm(14),
        )
    office.paragraph(document, "四、代表满意度", size=14, bold=True, font=office.SANS)
    office.table(
        document,
        ["评价 rating", "件数 count"],
        [[label(r), report.ratings[r]] for r in Rating]
        + [["满意率 satisfaction rate", _percent(report.satisfaction_rate)]],
    )
    office.paragraph(document, "五、建议成效：驿站建设及其工单", size=14, bold=True, font=office.SANS)
    totals = report.tickets_total()
    office.paragraph(
        document,
        f"本次会议代表建议推动建成或规划的驿站{len(report.stations)}个"
        + (f"，共受理工单{totals[0]}件，办结{totals[1]}件。" if totals else "。"),
        indent=True,
    )
    methods = list(ResolutionMethod)
    office.table(
        document,
        [
            "编号 code",
            "名称 name",
            "状态 status",
            "受理 received",
            "办结 resolved",
            "处置中位数(分钟) median min",
        ]
        + [f"{label_zh(m)} {m.value.lower()}" for m in methods],
        [_station_row(s, methods) for s in report.stations],
    )
    return office.docx_bytes(
        document,
        title=f"第{term}届第{session}次会议代表建议办理情况报告",
        author=author,
        when=clock.now(),
    )
