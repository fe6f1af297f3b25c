"""The work calendar as data: the days, each year's schedule, an administrator's import (validated,
all or nothing, audited, replacing the year), office hours, and proposal deadlines moved off days off."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.helpers import data, error_codes
from tests.tickets.workflow_helpers import Clock, at, ids

DAYS = """query($f: Date!, $t: Date!) { workCalendar(from: $f, to: $t) {
  date kind kindLabel isWorkday name nameEn published } }"""
YEARS = "{ workCalendarYears { year published source importedBy dayCount } }"
IMPORT = """mutation($i: WorkCalendarInput!) { importWorkCalendar(input: $i) { __typename
  ... on WorkCalendarYear { year published source importedBy dayCount }
  ... on ValidationError { code fields { field code message } }
  ... on ForbiddenError { code } } }"""
OFFICE = """mutation($j: ID!, $p: [OfficePeriodInput!]) { setOfficeHours(jurisdictionId: $j, periods: $p) {
  __typename ... on OfficeHours { periods { start end } setIn }
  ... on ValidationError { code fields { field code } } ... on ForbiddenError { code } } }"""
DUE = """query($c: ID!, $r: DateTime!, $j: ID) {
  ticketDueTimes(categoryId: $c, registeredAt: $r, jurisdictionId: $j) { responseDue resolutionDue } }"""

# A made-up schedule for a year the package does not cover (the real one is imported when published).
SCHEDULE_2027 = {
    "year": 2027,
    "source": "测试用安排 (a test schedule, not the published one)",
    "days": [
        {"date": "2027-01-01", "kind": "HOLIDAY", "name": "元旦", "nameEn": "New Year's Day"},
        {"date": "2027-01-04", "kind": "HOLIDAY", "name": "元旦", "nameEn": "New Year's Day"},
        {
            "date": "2027-01-09",
            "kind": "MAKEUP_WORKDAY",
            "name": "元旦调休",
            "nameEn": "New Year's Day (make-up)",
        },
    ],
}


async def test_the_national_day_week_of_2026(gql: Any) -> None:
    days = data(await gql(DAYS, {"f": "2026-09-30", "t": "2026-10-11"}, as_user="worker-xiagang"))[
        "workCalendar"
    ]
    by_date = {d["date"]: d for d in days}
    assert len(days) == 12
    assert by_date["2026-09-30"]["kind"] == "WORKDAY" and by_date["2026-09-30"]["isWorkday"]
    for day in range(1, 8):
        holiday = by_date[f"2026-10-0{day}"]
        assert (holiday["kind"], holiday["isWorkday"], holiday["name"], holiday["nameEn"]) == (
            "HOLIDAY",
            False,
            "国庆节",
            "National Day",
        )
    assert by_date["2026-10-08"]["kind"] == "WORKDAY"
    make_up = by_date["2026-10-10"]
    assert (make_up["kind"], make_up["kindLabel"], make_up["isWorkday"]) == (
        "MAKEUP_WORKDAY",
        "调休上班",
        True,
    )
    assert by_date["2026-10-11"]["kind"] == "WEEKEND" and not by_date["2026-10-11"]["isWorkday"]
    assert all(d["published"] for d in days)


async def test_a_range_is_bounded_and_in_order(gql: Any) -> None:
    too_long = await gql(DAYS, {"f": "2026-01-01", "t": "2027-01-02"})
    assert error_codes(too_long) == ["BAD_USER_INPUT"]
    backwards = await gql(DAYS, {"f": "2026-10-02", "t": "2026-10-01"})
    assert error_codes(backwards) == ["BAD_USER_INPUT"]
    assert "UNAUTHENTICATED" in error_codes(
        await gql(DAYS, {"f": "2026-10-01", "t": "2026-10-02"}, as_user=None)
    )


async def test_years_without_a_schedule_are_named_everywhere(gql: Any, client: Any, monkeypatch: Any) -> None:
    Clock(monkeypatch, at(2026, 11, 29, 10, 0))
    years = {y["year"]: y for y in data(await gql(YEARS, as_user="admin"))["workCalendarYears"]}
    assert years[2026]["published"] and years[2026]["source"].startswith("chinese-calendar")
    assert years[2026]["importedBy"] == "system" and years[2026]["dayCount"] > 30
    assert years[2004]["published"]
    assert years[2027] == {
        "year": 2027,
        "published": False,
        "source": None,
        "importedBy": None,
        "dayCount": 0,
    }
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["workCalendar"]["unpublishedYears"] == [2027]
    days = data(await gql(DAYS, {"f": "2027-01-01", "t": "2027-01-01"}))["workCalendar"]
    assert days == [
        {
            "date": "2027-01-01",
            "kind": "WORKDAY",
            "kindLabel": "工作日",
            "isWorkday": True,
            "name": None,
            "nameEn": None,
            "published": False,
        }
    ]


async def test_an_admin_imports_a_year_and_deadlines_follow(gql: Any, client: Any, monkeypatch: Any) -> None:
    Clock(monkeypatch, at(2026, 11, 29, 10, 0))
    refs = await ids(gql)
    categories = data(await gql("{ ticketCategories { id code } }"))["ticketCategories"]
    hotline = next(c["id"] for c in categories if c["code"] == "hotline_referral")
    before = data(await gql(DUE, {"c": hotline, "r": "2026-12-31T10:00:00+08:00"}))["ticketDueTimes"]
    # Thursday 31 December: Friday 1 January, Monday 4th, Tuesday 5th without a schedule
    assert datetime.fromisoformat(before["resolutionDue"]) == at(2027, 1, 5, 18, 0)

    refused = data(await gql(IMPORT, {"i": SCHEDULE_2027}, as_user="bureau"))["importWorkCalendar"]
    assert refused["__typename"] == "ForbiddenError"
    done = data(await gql(IMPORT, {"i": SCHEDULE_2027}, as_user="admin"))["importWorkCalendar"]
    assert done == {
        "__typename": "WorkCalendarYear",
        "year": 2027,
        "published": True,
        "source": SCHEDULE_2027["source"],
        "importedBy": "admin",
        "dayCount": 3,
    }
    # 1 and 4 January off, Tuesday 5th, Wednesday 6th, Thursday 7th
    after = data(await gql(DUE, {"c": hotline, "r": "2026-12-31T10:00:00+08:00"}))["ticketDueTimes"]
    assert datetime.fromisoformat(after["resolutionDue"]) == at(2027, 1, 7, 18, 0)
    saturday = data(await gql(DAYS, {"f": "2027-01-09", "t": "2027-01-09"}))["workCalendar"][0]
    assert (saturday["kind"], saturday["isWorkday"], saturday["name"]) == ("MAKEUP_WORKDAY", True, "元旦调休")
    assert "workCalendar" not in (await client.get("/readyz")).json()

    # a re-import replaces the year's schedule whole
    again = {**SCHEDULE_2027, "source": "第二版", "days": SCHEDULE_2027["days"][:1]}
    replaced = data(await gql(IMPORT, {"i": again}, as_user="admin"))["importWorkCalendar"]
    assert (replaced["source"], replaced["dayCount"]) == ("第二版", 1)
    days = data(await gql(DAYS, {"f": "2027-01-01", "t": "2027-01-09"}))["workCalendar"]
    assert [d["date"] for d in days if d["kind"] in ("HOLIDAY", "MAKEUP_WORKDAY")] == ["2027-01-01"]

    # with the before and after of each import in the audit trail
    trail = data(
        await gql(
            '{ auditTrail(objectType: "WorkCalendarYear", first: 5) {'
            " nodes { operation actor before after } } }",
            as_user="admin",
        )
    )["auditTrail"]["nodes"]
    assert [(e["operation"], e["actor"]) for e in trail] == [("work_calendar.import", "admin")] * 2
    latest, first = trail
    assert first["before"] is None and len(first["after"]["days"]) == 3
    assert len(latest["before"]["days"]) == 3 and latest["after"]["days"] == [
        {"date": "2027-01-01", "kind": "HOLIDAY", "name": "元旦", "nameEn": "New Year's Day"}
    ]
    assert refs  # the demo's references are untouched by all this


async def test_a_bad_schedule_is_refused_whole(gql: Any) -> None:
    bad = {
        "year": 2027,
        "source": "",
        "days": [
            {"date": "2028-01-01", "kind": "HOLIDAY", "name": "元旦", "nameEn": "New Year's Day"},
            {"date": "2027-02-01", "kind": "MAKEUP_WORKDAY", "name": "春节调休", "nameEn": "Spring Festival"},
            {"date": "2027-02-06", "kind": "HOLIDAY", "name": " ", "nameEn": "Spring Festival"},
            {"date": "2027-02-06", "kind": "WORKDAY", "name": "春节", "nameEn": "Spring Festival"},
        ],
    }
    refused = data(await gql(IMPORT, {"i": bad}, as_user="admin"))["importWorkCalendar"]
    assert refused["__typename"] == "ValidationError"
    assert {(f["field"], f["code"]) for f in refused["fields"]} == {
        ("source", "REQUIRED"),
        ("days.0.date", "OUT_OF_RANGE"),
        ("days.1.kind", "INVALID"),
        ("days.2.name", "REQUIRED"),
        ("days.3.date", "DUPLICATE"),
        ("days.3.kind", "INVALID"),
    }
    years = {y["year"]: y for y in data(await gql(YEARS, as_user="admin"))["workCalendarYears"]}
    assert not years.get(2027, {"published": False})["published"]
    days = data(await gql(DAYS, {"f": "2027-02-01", "t": "2027-02-06"}))["workCalendar"]
    assert {d["kind"] for d in days} <= {"WORKDAY", "WEEKEND"}


async def test_office_hours_per_jurisdiction(gql: Any) -> None:
    towns = data(await gql('{ jurisdictions(filter: {search: "Chang\'an"}) { nodes { id code } } }'))
    changan = next(n["id"] for n in towns["jurisdictions"]["nodes"] if n["code"] == "dongguan/changan")
    communities = data(await gql('{ jurisdictions(filter: {search: "Xiagang"}) { nodes { id code } } }'))
    xiagang = communities["jurisdictions"]["nodes"][0]["id"]
    categories = data(await gql("{ ticketCategories { id code } }"))["ticketCategories"]
    hotline = next(c["id"] for c in categories if c["code"] == "hotline_referral")

    default = data(
        await gql(
            "query($j: ID) { officeHours(jurisdictionId: $j) { periods { start end } setIn } }",
            {"j": xiagang},
        )
    )
    assert default["officeHours"] == {
        "periods": [{"start": "08:30", "end": "12:00"}, {"start": "14:00", "end": "18:00"}],
        "setIn": None,
    }
    summer = [{"start": "09:00", "end": "12:00"}, {"start": "14:30", "end": "17:30"}]
    assert data(await gql(OFFICE, {"j": changan, "p": summer}, as_user="bureau"))["setOfficeHours"][
        "__typename"
    ] == ("ForbiddenError")
    bad = data(
        await gql(
            OFFICE,
            {"j": changan, "p": [{"start": "12:00", "end": "09:00"}, {"start": "8", "end": "x"}]},
            as_user="admin",
        )
    )
    assert bad["setOfficeHours"]["__typename"] == "ValidationError"
    assert {f["field"] for f in bad["setOfficeHours"]["fields"]} == {"periods.0", "periods.1"}

    done = data(await gql(OFFICE, {"j": changan, "p": summer}, as_user="admin"))["setOfficeHours"]
    assert done == {"__typename": "OfficeHours", "periods": summer, "setIn": "dongguan/changan"}
    # Xiagang keeps its town's hours; a ticket there is due when Chang'an's office closes
    due = data(await gql(DUE, {"c": hotline, "r": "2026-09-30T10:00:00+08:00", "j": xiagang}))[
        "ticketDueTimes"
    ]
    assert datetime.fromisoformat(due["resolutionDue"]) == at(2026, 10, 10, 17, 30)
    # 10:00 + 2 working hours: 10:00-12:00
    assert datetime.fromisoformat(due["responseDue"]) == at(2026, 9, 30, 12, 0)
    city = data(await gql(DUE, {"c": hotline, "r": "2026-09-30T10:00:00+08:00"}))["ticketDueTimes"]
    assert datetime.fromisoformat(city["resolutionDue"]) == at(2026, 10, 10, 18, 0)

    cleared = data(await gql(OFFICE, {"j": changan, "p": None}, as_user="admin"))["setOfficeHours"]
    assert cleared["setIn"] is None and cleared["periods"][0] == {"start": "08:30", "end": "12:00"}
    trail = data(
        await gql(
            '{ auditTrail(objectType: "OfficeHours", first: 5) { nodes { operation } } }', as_user="admin"
        )
    )["auditTrail"]["nodes"]
    assert [e["operation"] for e in trail] == ["office_hours.clear", "office_hours.set"]


async def test_a_reply_due_on_a_holiday_moves_to_the_next_working_day(gql: Any, monkeypatch: Any) -> None:
    from tests.proposals import flow

    # assigned Wednesday 1 July 2026: three months later is 1 October, the National Day holiday
    Clock(monkeypatch, at(2026, 7, 1, 10, 0))
    proposal = await flow.assigned(gql)
    assert proposal["replyDue"] == "2026-10-08"
    # the co-handler's month ends on Saturday 1 August: Monday 3 August
    opinion = {u["department"]["code"]: u["opinionDue"] for u in proposal["units"]}
    assert opinion["housing"] == "2026-08-03"


async def test_the_server_warns_at_start_up_about_a_year_without_a_schedule(
    gql: Any, monkeypatch: Any, caplog: Any
) -> None:
    import logging

    from lianxin.app import _warn_unpublished_calendar

    Clock(monkeypatch, at(2026, 11, 29, 10, 0))
    with caplog.at_level(logging.WARNING, logger="lianxin.calendar"):
        await _warn_unpublished_calendar()
    warnings = [r.getMessage() for r in caplog.records if r.name == "lianxin.calendar"]
    assert len(warnings) == 1 and "no published holiday schedule for 2027" in warnings[0]
    caplog.clear()
    Clock(monkeypatch, at(2025, 6, 1, 10, 0))  # 2025 and 2026 both known: nothing to say
    with caplog.at_level(logging.WARNING, logger="lianxin.calendar"):
        await _warn_unpublished_calendar()
    assert not [r for r in caplog.records if r.name == "lianxin.calendar"]
