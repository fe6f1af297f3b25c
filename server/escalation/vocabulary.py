"""The words of escalation and reminder rules, with their Chinese labels as data."""

from __future__ import annotations

from enum import StrEnum


class RuleAction(StrEnum):
    REMIND = "REMIND"  # 催办: an event for the assignee, before (or at) the deadline
    ESCALATE = "ESCALATE"  # 升级: the ticket goes up a level (town, then city)


class TimeUnit(StrEnum):
    """How an offset after the due time is counted; the same names as the work calendar's units."""

    WORKING_HOURS = "WORKING_HOURS"
    WORKING_DAYS = "WORKING_DAYS"
    NATURAL_HOURS = "NATURAL_HOURS"


LABELS_ZH: dict[StrEnum, str] = {
    RuleAction.REMIND: "催办提醒",
    RuleAction.ESCALATE: "升级督办",
    TimeUnit.WORKING_HOURS: "工作小时",
    TimeUnit.WORKING_DAYS: "工作日",
    TimeUnit.NATURAL_HOURS: "自然小时",
}

# Escalation levels: where an escalated ticket is now watched from.
LEVEL_LABELS = {0: "", 1: "town (镇街)", 2: "city (市)"}
ESCALATION_LEVELS = (1, 2)
