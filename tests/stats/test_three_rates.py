"""The three rates (三率) for Chang'an over one day equal a hand count of known tickets: registered at
the Xiagang station, responded on time or late or not at all, resolved or overdue, visited with known
ratings; in scorecard at the town, the community and the city, in ticketFigures, and in the CSV.

Occupying the road is due for a response in 30 minutes and a resolution in 2 hours. All eight
tickets are registered on 1 July 2026; the figures are read at 12:00 that day.

| ticket | first dispatch       | resolved            | return visits                          |
|--------|----------------------|---------------------|----------------------------------------|
| T1     | 09:10 on time        | 09:40               | 满意 (closed)                           |
| T2     | 09:50 late           | 10:30               | 基本满意 (closed)                       |
| T3     | 09:20 on time        | 10:00, again 11:10  | 不满意 (reopened), then 满意 (closed)    |
| T4     | 09:30 on time (due)  | 10:40               | not reached ×3 (closed UNREACHABLE)    |
| T5     | none, due 09:30      | open, due 11:00     |                                        |
| T6     | 09:05 on time        | open, due 11:00     |                                        |
| T7     | rejected at 09:15    |                     |                                        |
| T8     | registered 11:50, response due 12:20: owes nothing yet                       |

Response rate 4/6 (T1 T3 T4 T6 on time; T2 late; T5 waiting past due). Resolution rate 4/6 (T1-T4
resolved; T5 T6 overdue). Satisfaction rate 3/4 (满意 ×2, 基本满意 among four visits that reached
the citizen; the three that did not are counted apart).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.helpers import data, gid
from tests.tickets.workflow_helpers import Clock, at, ids, register, step

RATES = """rates { responseRate { numerator denominator rate } resolutionRate { numerator denominator rate }
  satisfactionRate { numerator denominator rate } respondedLate awaitingResponseLate visitsSatisfied
  visitsBasicallySatisfied visitsDissatisfied visitsUnreached }"""
CARD = f"""query($j: ID) {{ scorecard(periodFrom: "2026-07-01", periodTo: "2026-07-01", jurisdictionId: $j) {{
  ticketsReceived ticketsResolved ticketsOverdue {RATES} }} }}"""
FIGURES = f"""query($g: FigureGrouping!) {{ ticketFigures(groupBy: $g,
  registeredFrom: "2026-07-01T00:00:00+08:00", registeredTo: "2026-07-02T00:00:00+08:00") {{
  label received {RATES} }} }}"""

EXPECTED = {
    "responseRate": {"numerator": 4, "denominator": 6, "rate": 0.6667},
    "resolutionRate": {"numerator": 4, "denominator": 6, "rate": 0.6667},
    "satisfactionRate": {"numerator": 3, "denominator": 4, "rate": 0.75},
    "respondedLate": 1,
    "awaitingResponseLate": 1,
    "visitsSatisfied": 2,
    "visitsBasicallySatisfied": 1,
    "visitsDissatisfied": 1,
    "visitsUnreached": 3,
}
NOTHING = {
    "responseRate": {"numerator": 0, "denominator": 0, "rate": None},
    "resolutionRate": {"numerator": 0, "denominator": 0, "rate": None},
    "satisfactionRate": {"numerator": 0, "denominator": 0, "rate": None},
    "respondedLate": 0,
    "awaitingResponseLate": 0,
    "visitsSatisfied": 0,
    "visitsBasicallySatisfied": 0,
    "visitsDissatisfied": 0,
    "visitsUnreached": 0,
}


class Desk:
    """The day's steps, each at its time, by the person whose job it is."""

    def __init__(self, gql: Any, clock: Clock, refs: dict[str, str]) -> None:
        self.gql, self.clock, self.refs = gql, clock, refs
        self.versions: dict[str, int] = {}

    async def register(self, hour: int, minute: int) -> str:
        self.clock.set(hour, minute)
        created = await register(self.gql, self.refs)
        assert created["__typename"] == "RegisterTicketPayload", created
        self.versions[created["ticket"]["id"]] = created["ticket"]["version"]
        return str(created["ticket"]["id"])

    async def take(
        self, hour: int, minute: int, ticket: str, mutation: str, args: str = "", **values: Any
    ) -> Any:
        self.clock.set(hour, minute)
        types = values.pop("_types", "")
        user = values.pop("_user", "worker-xiagang" if mutation == "recordReturnVisit" else "chief-changan")
        variables = {"t": {"id": ticket, "version": self.versions[ticket]}, "_types": types, **values}
        result = await step(self.gql, mutation, args, variables, user)
        assert result["__typename"] in ("TicketPayload", "ReturnVisitPayload"), (mutation, result)
        self.versions[ticket] = result["ticket"]["version"]
        return result

    async def dispatch(self, hour: int, minute: int, ticket: str) -> None:
        await self.take(
            hour,
            minute,
            ticket,
            "dispatchTicket",
            ", assigneeId: $a",
            a=self.refs["chief"],
            _types=", $a: ID!",
        )

    async def arrive_and_resolve(self, hour: int, minute: int, ticket: str) -> None:
        await self.take(hour, minute, ticket, "markTicketOnSite")
        await self.take(
            hour,
            minute,
            ticket,
            "resolveTicket",
            ", method: SERVICE, note: $n",
            n="劝导整改",
            _types=", $n: String!",
        )

    async def visit(self, hour: int, minute: int, ticket: str, rating: str | None) -> Any:
        if rating is None:
            return await self.take(
                hour, minute, ticket, "recordReturnVisit", ", channel: PHONE, reached: false"
            )
        return await self.take(
            hour,
            minute,
            ticket,
            "recordReturnVisit",
            ", channel: PHONE, reached: true, rating: $g, comment: $c",
            g=rating,
            c="回访：" + rating,
            _types=", $g: Rating, $c: String!",
        )


async def _places() -> dict[str, str]:
    from server.geo.models import Jurisdiction

    codes = ("dongguan/changan", "dongguan/changan/xiagang", "dongguan/humen")
    return {j.code: gid("Jurisdiction", j.id) for j in await Jurisdiction.filter(code__in=codes)}


async def test_the_three_rates_for_changan_equal_a_hand_count(
    gql: Any, client: Any, monkeypatch: Any
) -> None:
    clock = Clock(monkeypatch, at(2026, 7, 1, 9, 0))
    refs = await ids(gql)
    places = await _places()
    changan = places["dongguan/changan"]
    before = data(await gql(CARD, {"j": changan}))["scorecard"]
    assert before["ticketsReceived"] == 0 and before["rates"] == NOTHING  # the day starts empty

    desk = Desk(gql, clock, refs)
    t1, t2, t3, t4, _t5, t6, t7 = [await desk.register(9, 0) for _ in range(7)]
    await desk.dispatch(9, 5, t6)
    await desk.dispatch(9, 10, t1)
    await desk.take(9, 15, t7, "rejectTicket", ", reason: $r", r="不属于城管职责", _types=", $r: String!")
    await desk.dispatch(9, 20, t3)
    await desk.dispatch(9, 30, t4)  # exactly at its response due time: on time
    await desk.arrive_and_resolve(9, 40, t1)
    await desk.dispatch(9, 50, t2)  # 20 minutes late
    await desk.arrive_and_resolve(10, 0, t3)
    await desk.arrive_and_resolve(10, 30, t2)
    await desk.arrive_and_resolve(10, 40, t4)
    await desk.visit(10, 45, t1, "SATISFIED")
    await desk.visit(10, 50, t2, "BASICALLY_SATISFIED")
    reopened = await desk.visit(10, 55, t3, "DISSATISFIED")
    assert reopened["ticket"]["status"] == "DISPATCHED"
    await desk.arrive_and_resolve(11, 10, t3)
    closed = await desk.visit(11, 15, t3, "SATISFIED")
    assert closed["ticket"]["closeReason"] == "SATISFIED" and closed["visit"]["attempt"] == 1
    for minute in (20, 25, 30):
        last = await desk.visit(11, minute, t4, None)
    assert last["ticket"]["status"] == "CLOSED" and last["ticket"]["closeReason"] == "UNREACHABLE"
    assert last["visit"]["attempt"] == 3
    await desk.register(11, 50)  # T8: its response is not due before 12:20
    clock.set(12, 0)

    for code in ("dongguan/changan", "dongguan/changan/xiagang", None):
        card = data(await gql(CARD, {"j": places[code] if code else None}))["scorecard"]
        assert card["ticketsReceived"] == 8 and card["ticketsResolved"] == 4 and card["ticketsOverdue"] == 2
        assert card["rates"] == EXPECTED, code
    # Another town's scorecard is untouched.
    assert data(await gql(CARD, {"j": places["dongguan/humen"]}))["scorecard"]["rates"] == NOTHING

    # ticketFigures counts the same at every level (live GROUP BY, not the rollups).
    for grouping in ("CITY", "TOWN", "COMMUNITY", "STATION", "AREA_CHIEF"):
        groups = data(await gql(FIGURES, {"g": grouping}))["ticketFigures"]
        with_tickets = [g for g in groups if g["received"]]
        if grouping == "AREA_CHIEF":  # T5, T7 and T8 were never dispatched: nobody's
            chief = next(g for g in with_tickets if g["label"] == "长安镇城管片长")
            assert chief["rates"]["respondedLate"] == 1 and chief["rates"]["visitsUnreached"] == 3
            assert chief["rates"]["satisfactionRate"] == EXPECTED["satisfactionRate"]
            continue
        [group] = with_tickets
        assert group["received"] == 8 and group["rates"] == EXPECTED, grouping

    # The CSV carries the same rates with their parts.
    response = await client.get(
        "/export/scorecard.csv",
        params={"from": "2026-07-01", "to": "2026-07-01", "jurisdiction": "dongguan/changan"},
        headers={"Authorization": f"Bearer {await gql.token('bureau')}"},
    )
    assert response.status_code == 200, response.text
    lines = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    rows = {row[0]: row[1] for row in lines if len(row) > 1}
    assert rows["响应率 response rate"] == "0.6667"
    assert (rows["响应率 response rate numerator"], rows["响应率 response rate denominator"]) == ("4", "6")
    assert rows["解决率 resolution rate"] == "0.6667"
    assert rows["满意率 satisfaction rate"] == "0.75"
    assert (rows["满意率 satisfaction rate numerator"], rows["满意率 satisfaction rate denominator"]) == (
        "3",
        "4",
    )

    # The rollups that gave those figures still equal a recomputation.
    from server.stats import rollup

    assert await rollup.stored() == await rollup.recompute()
