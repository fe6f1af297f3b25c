"""Due times counted on the work calendar: the National Day example, working hours across lunch and
holidays, a year without a schedule, and the ticket a desk registers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.helpers import data, error_codes, gid
from tests.tickets.workflow_helpers import REGISTER, Clock, at, ids

DUE = """query($c: ID!, $r: DateTime!, $j: ID) {
  ticketDueTimes(categoryId: $c, registeredAt: $r, jurisdictionId: $j) {
    responseDue resolutionDue responseTimeLabel resolutionTimeLabel unpublishedYears } }"""

CATEGORIES = """{ ticketCategories { id code responseAmount responseUnit resolutionAmount resolutionUnit
  resolutionTimeLabel } }"""


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _category(gql: Any, code: str) -> dict[str, Any]:
    categories = data(await gql(CATEGORIES))["ticketCategories"]
    return next(c for c in categories if c["code"] == code)


async def test_three_working_days_from_30_september_2026_end_on_saturday_10_october(gql: Any) -> None:
    hotline = await _category(gql, "hotline_referral")
    assert (hotline["resolutionAmount"], hotline["resolutionUnit"]) == (3, "WORKING_DAYS")
    assert hotline["resolutionTimeLabel"] == "3个工作日"
    # Wednesday 30 September; 1-7 October is the National Day holiday; Saturday 10 October is a
    # make-up workday: the 8th, 9th and 10th are the three working days, due at the office's close.
    due = data(
        await gql(DUE, {"c": hotline["id"], "r": "2026-09-30T10:00:00+08:00"}, as_user="worker-xiagang")
    )
    due = due["ticketDueTimes"]
    assert _at(due["resolutionDue"]) == at(2026, 10, 10, 18, 0)
    # 2 working hours from 10:00: to 12:00 the same morning
    assert _at(due["responseDue"]) == at(2026, 9, 30, 12, 0)
    assert due["unpublishedYears"] == []
    assert (due["responseTimeLabel"], due["resolutionTimeLabel"]) == ("2工作小时", "3个工作日")


async def test_working_hours_skip_lunch_nights_and_the_holiday(gql: Any) -> None:
    hotline = await _category(gql, "hotline_referral")
    # 11:00 + 2 working hours: 11:00-12:00, then 14:00-15:00
    due = data(await gql(DUE, {"c": hotline["id"], "r": "2026-09-30T11:00:00+08:00"}))["ticketDueTimes"]
    assert _at(due["responseDue"]) == at(2026, 9, 30, 15, 0)
    # 17:00 + 2 working hours: 17:00-18:00, then the first hour of Thursday 8 October
    due = data(await gql(DUE, {"c": hotline["id"], "r": "2026-09-30T17:00:00+08:00"}))["ticketDueTimes"]
    assert _at(due["responseDue"]) == at(2026, 10, 8, 9, 30)
    # registered on a holiday at night: counting starts at the next workday's office hours
    due = data(await gql(DUE, {"c": hotline["id"], "r": "2026-10-03T22:00:00+08:00"}))["ticketDueTimes"]
    assert _at(due["responseDue"]) == at(2026, 10, 8, 10, 30)
    assert _at(due["resolutionDue"]) == at(2026, 10, 10, 18, 0)  # the 8th, 9th and 10th (make-up)


async def test_natural_times_run_round_the_clock(gql: Any) -> None:
    occupying = await _category(gql, "occupying_road")
    assert (occupying["responseAmount"], occupying["responseUnit"]) == (30, "NATURAL_MINUTES")
    due = data(await gql(DUE, {"c": occupying["id"], "r": "2026-10-01T23:00:00+08:00"}))["ticketDueTimes"]
    assert _at(due["responseDue"]) == at(2026, 10, 1, 23, 30)
    assert _at(due["resolutionDue"]) == at(2026, 10, 2, 1, 0)


async def test_a_year_without_a_schedule_counts_weekends_only_and_says_so(gql: Any) -> None:
    hotline = await _category(gql, "hotline_referral")
    # Thursday 30 December 2027: 31 Dec (Fri), 3 Jan 2028 (Mon), 4 Jan (Tue); no holidays known
    due = data(await gql(DUE, {"c": hotline["id"], "r": "2027-12-30T10:00:00+08:00"}))["ticketDueTimes"]
    assert _at(due["resolutionDue"]) == at(2028, 1, 4, 18, 0)
    assert due["unpublishedYears"] == [2027, 2028]


async def test_bad_preview_arguments_are_typed_errors(gql: Any) -> None:
    refs = await ids(gql)
    wrong_type = await gql(DUE, {"c": refs["station"], "r": "2026-09-30T10:00:00+08:00"})
    assert error_codes(wrong_type) == ["BAD_USER_INPUT"]
    missing = await gql(DUE, {"c": gid("TicketCategory", 999_999), "r": "2026-09-30T10:00:00+08:00"})
    assert error_codes(missing) == ["NOT_FOUND"]
    anonymous = await gql(DUE, {"c": refs["category"], "r": "2026-09-30T10:00:00+08:00"}, as_user=None)
    assert "UNAUTHENTICATED" in error_codes(anonymous)


async def test_a_registered_ticket_is_due_by_the_calendar(gql: Any, monkeypatch: Any) -> None:
    Clock(monkeypatch, at(2026, 9, 30, 10, 0))
    refs = await ids(gql)
    hotline = await _category(gql, "hotline_referral")
    result = data(
        await gql(
            REGISTER,
            {
                "i": {
                    "source": "HOTLINE_12345",
                    "categoryId": hotline["id"],
                    "description": "12345热线转办：人行道路灯不亮",
                    "stationId": refs["station"],
                }
            },
            as_user="worker-xiagang",
        )
    )["registerTicket"]
    assert result["__typename"] == "RegisterTicketPayload", result
    number = result["ticket"]["number"]
    ticket = data(
        await gql(
            "query($n: String!) { ticket(number: $n) { registeredAt responseDue resolutionDue overdue } }",
            {"n": number},
        )
    )["ticket"]
    assert _at(ticket["registeredAt"]) == at(2026, 9, 30, 10, 0)
    assert _at(ticket["responseDue"]) == at(2026, 9, 30, 12, 0)
    assert _at(ticket["resolutionDue"]) == at(2026, 10, 10, 18, 0)
    assert ticket["overdue"] is False
