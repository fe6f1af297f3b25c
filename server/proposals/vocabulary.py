"""Words of the proposal workflow that server/enums.py does not define, with Chinese labels.

The labels of the shared proposal enums (task status, reply result, rating, unit role) are kept
here too: server/enums.py labels only the proposal status so far, and users see all of them.
"""

from __future__ import annotations

from enum import StrEnum

from server.enums import HandlingUnitRole, Rating, ReplyResult, TaskStatus, label_zh


class ContactPhase(StrEnum):
    """When the handling unit contacted the deputy (办理前、中、后沟通)."""

    BEFORE = "BEFORE"
    DURING = "DURING"
    AFTER = "AFTER"


class Timeliness(StrEnum):
    """Whether a unit answered by its due date."""

    ON_TIME = "ON_TIME"
    LATE = "LATE"
    PENDING = "PENDING"  # not answered, not yet due
    OVERDUE = "OVERDUE"  # not answered, past due


_LABELS: dict[tuple[type, str], str] = {
    (ContactPhase, "BEFORE"): "办理前",
    (ContactPhase, "DURING"): "办理中",
    (ContactPhase, "AFTER"): "办理后",
    (Timeliness, "ON_TIME"): "按时",
    (Timeliness, "LATE"): "逾期答复",
    (Timeliness, "PENDING"): "办理中",
    (Timeliness, "OVERDUE"): "已超期",
    (TaskStatus, "NOT_STARTED"): "未开始",
    (TaskStatus, "IN_PROGRESS"): "推进中",
    (TaskStatus, "DONE"): "已完成",
    (ReplyResult, "SOLVED"): "已解决",
    (ReplyResult, "BEING_SOLVED"): "正在解决",
    (ReplyResult, "CANNOT_BE_SOLVED"): "因条件限制无法解决",
    (Rating, "SATISFIED"): "满意",
    (Rating, "BASICALLY_SATISFIED"): "基本满意",
    (Rating, "DISSATISFIED"): "不满意",
    (HandlingUnitRole, "LEAD"): "牵头单位",
    (HandlingUnitRole, "CO_HANDLING"): "协办单位",
}


def label(value: StrEnum | None) -> str | None:
    """Chinese label: the shared table first, then the proposal workflow's own words."""
    if value is None:
        return None
    return label_zh(value) or _LABELS.get((type(value), value.value))


class ResultClass:
    """The result class printed on a reply letter (答复函) and counted by the handling report:
    the usual A/B/C marks of congress-proposal handling."""

    def __init__(self, mark: str, label_zh: str, english: str) -> None:
        self.mark = mark
        self.label_zh = label_zh
        self.english = english

    def __repr__(self) -> str:
        return f"ResultClass({self.mark})"


RESULT_CLASSES: dict[ReplyResult, ResultClass] = {
    ReplyResult.SOLVED: ResultClass("A", "A类（所提问题已经解决或建议已被采纳）", "solved or adopted"),
    ReplyResult.BEING_SOLVED: ResultClass(
        "B", "B类（所提问题正在解决或列入计划逐步解决）", "being solved or planned"
    ),
    ReplyResult.CANNOT_BE_SOLVED: ResultClass(
        "C", "C类（所提问题因条件限制或其他原因暂时无法解决）", "cannot be solved for now"
    ),
}
