"""The benchmark's fixed mix of GraphQL operations, shared by bench/run and
tests/test_statement_counts.py, so that the statements pinned by the test are those of the
operations measured by the benchmark.

To add an operation: append an `Operation` here (the Query field it needs in `requires`, so that
it is skipped, not failed, where that field does not exist yet), then, optionally, its hand-written
SQL floor in bench/floor.py (FLOORS) and its PostGraphile form in bench/peer.py (PEER_QUERIES), and
its pinned statement count in tests/test_statement_counts.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Params:
    """What the variables are made of: read from the database by bench/run, fixed for the tests."""

    ticket_numbers: tuple[str, ...]  # tickets the area chief of Chang'an may read, taken in turn
    period_from: date  # the scorecards' period
    period_to: date
    proposal_search: str = "16-7-"  # the deputy's oversight: proposals of one session


@dataclass(frozen=True)
class Operation:
    name: str
    user: str  # the demo account that sends it
    requires: str  # the Query field it needs
    query: str
    variables: Callable[[Params, int], dict[str, Any]]  # (params, request index) → variables
    page: int | None = None  # the page size written into the query (PAGE), if it has one
    description: str = ""

    def document(self, page: int | None = None) -> str:
        """The query with its page size written in: a `first` given by a variable is costed at the
        largest page size by the query-cost limit (schema/limits.py), which would refuse these."""
        if self.page is None:
            return self.query
        return self.query.replace("PAGE", str(page if page is not None else self.page))


STATIONS_PAGE = """query StationsPage {
  stations(first: PAGE) {
    totalCount
    nodes { code name kind status kindLabel jurisdiction { name } postings { role roleLabel staff { name } } }
  }
}"""

CHIEF_QUEUE = """query ChiefQueue($overdue: Boolean) {
  tickets(filter: {status: DISPATCHED, overdue: $overdue}, order: DUE_FIRST, first: PAGE) {
    nodes { number status resolutionDue station { name } jurisdiction { name } latestEvent { action at } }
  }
}"""

TICKET_HISTORY = """query TicketHistory($number: String!) {
  ticket(number: $number) {
    number status source registeredAt resolutionDue resolvedAt resolutionMethod
    category { name } station { name } jurisdiction { name } assignee { name }
    history { actor action fromStatus toStatus comment at }
  }
}"""

DEPUTY_OVERSIGHT = """query DeputyOversight($search: String!) {
  proposals(filter: {search: $search}, first: PAGE) {
    nodes {
      number title status replyDue
      outcomes {
        station { name }
        tickets { received resolved medianResolutionMinutes split { method count share } }
      }
    }
  }
}"""

SCORECARD = """query Scorecard($from: Date!, $to: Date!) {
  scorecard(periodFrom: $from, periodTo: $to) {
    periodFrom periodTo jurisdiction { name }
    stations { kind status count }
    stationTargets { year kind target planned operating }
    ticketsReceived ticketsResolved ticketsOverdue
    responseTime { count medianMinutes p90Minutes }
    resolutionTime { count medianMinutes p90Minutes }
    methodSplit { service management enforcement serviceShare managementShare enforcementShare }
    proposalsReplied proposalsRepliedOnTime ratings { rating count }
  }
}"""


def _period(params: Params, _index: int) -> dict[str, Any]:
    return {"from": params.period_from.isoformat(), "to": params.period_to.isoformat()}


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "stations_page",
        "bureau",
        "stations",
        STATIONS_PAGE,
        lambda p, i: {},
        page=50,
        description="bureau: 50 stations with jurisdiction, postings and staff",
    ),
    Operation(
        "chief_queue",
        "chief-changan",
        "tickets",
        CHIEF_QUEUE,
        lambda p, i: {"overdue": None},
        page=50,
        description="chief-changan: DISPATCHED, due first, 50, with station, jurisdiction, latest event",
    ),
    Operation(
        "chief_queue_overdue",
        "chief-changan",
        "tickets",
        CHIEF_QUEUE,
        lambda p, i: {"overdue": True},
        page=50,
        description="the same queue, overdue only",
    ),
    Operation(
        "ticket_history",
        "chief-changan",
        "ticket",
        TICKET_HISTORY,
        lambda p, i: {"number": p.ticket_numbers[i % len(p.ticket_numbers)]},
        description="chief-changan: one ticket (taken in turn from 200) with its history",
    ),
    Operation(
        "deputy_oversight",
        "deputy",
        "proposals",
        DEPUTY_OVERSIGHT,
        lambda p, i: {"search": p.proposal_search},
        page=10,
        description="deputy: 10 proposals of a session, each credited station with its ticket figures",
    ),
    Operation(
        "city_scorecard",
        "bureau",
        "scorecard",
        SCORECARD,
        _period,
        description="bureau: the city's scorecard over the last 365 days",
    ),
    Operation(
        "town_scorecard",
        "chief-changan",
        "scorecard",
        SCORECARD,
        _period,
        description="chief-changan: Chang'an's scorecard over the last 365 days",
    ),
)

BY_NAME = {op.name: op for op in OPERATIONS}
