"""The words of escalation and reminder rules, with their Chinese labels as data."""

from __future__ import annotations

from enum import StrEnum

from server.enums import LABELS_ZH


class RuleAction(StrEnum):
    REMIND = "REMIND"  # 催办: an event for the assignee, before (or at) the deadline
    ESCALATE = "ESCALATE"  # 升级: the ticket goes up a level (town, then city)


LABELS_ZH.update({(RuleAction, "REMIND"): "催办提醒", (RuleAction, "ESCALATE"): "升级督办"})

# Escalation levels: where an escalated ticket is now watched from.
LEVEL_LABELS = {0: "", 1: "town (镇街)", 2: "city (市)"}
ESCALATION_LEVELS = (1, 2)
