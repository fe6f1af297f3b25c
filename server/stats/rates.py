"""The three rates (三率) towns and units are ranked on, beside the 721 split. Each is a count over a
count, kept as both, so a reader can check it and add places up; a rate over nothing is None, not 0.

Over the tickets registered in a period and place (docs/domain.md, "The three rates"):

- response rate (响应率): first dispatched by its response due time, among the tickets whose
  response is owed: those dispatched (on time or late) and those still waiting for their first
  dispatch past their response due time;
- resolution rate (解决率): resolved (or closed after it), among those resolved and those open past
  their resolution due time;
- satisfaction rate (满意率): return visits that reached the citizen with 满意 or 基本满意, among the
  visits that reached the citizen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    numerator: int = 0
    denominator: int = 0

    @property
    def value(self) -> float | None:
        return round(self.numerator / self.denominator, 4) if self.denominator else None


@dataclass
class RateCounts:
    """What the three rates are made of, as counted for one place and period."""

    responded_on_time: int = 0
    responded_late: int = 0
    awaiting_response_late: int = 0
    resolved: int = 0
    overdue: int = 0
    visits_satisfied: int = 0
    visits_basically_satisfied: int = 0
    visits_dissatisfied: int = 0
    visits_unreached: int = 0

    def add(self, other: RateCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def response(self) -> Rate:
        owed = self.responded_on_time + self.responded_late + self.awaiting_response_late
        return Rate(self.responded_on_time, owed)

    @property
    def resolution(self) -> Rate:
        return Rate(self.resolved, self.resolved + self.overdue)

    @property
    def satisfaction(self) -> Rate:
        pleased = self.visits_satisfied + self.visits_basically_satisfied
        return Rate(pleased, pleased + self.visits_dissatisfied)
