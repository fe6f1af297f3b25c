"""A person's requests (PIPL): what is held about a phone and who read it (personalDataReport), and
its erasure (erasePersonalData): bureau staff only, refused while a ticket is open unless forced,
audited by a keyed hash of the phone, and afterwards no table holds the phone in clear."""

from __future__ import annotations

from typing import Any

from tests.helpers import data, error_codes
from tests.privacy.helpers import statistics, tables_holding, ticket
from tests.tickets.workflow_helpers import ids, register, step

REPORT = """query($p: String!) { personalDataReport(phone: $p) { phoneMasked ticketCount
  tickets { number status reporterName reporterPhone fieldsMentioningPhone heldAsReporter finalAt }
  readCount reads { actor interface ticketNumber fieldsRead at }
  erasures { actor ticketNumbers ticketsAnonymised forced reason at } } }"""
ERASE = """mutation($p: String!, $r: String!, $f: Boolean) {
  erasePersonalData(phone: $p, reason: $r, force: $f) { __typename
    ... on ErasePersonalDataPayload { ticketsAnonymised ticketNumbers openTickets erasedAt }
    ... on ValidationError { code message fields { field code message } }
    ... on ForbiddenError { code message } } }"""
READ_PHONE = "query($n: String!) { ticket(number: $n) { reporterPhone } }"


def _tv(t: dict[str, Any]) -> dict[str, Any]:
    return {"id": t["id"], "version": t["version"]}


async def _reject(gql: Any, t: dict[str, Any], reason: str = "不属于城管职责") -> dict[str, Any]:
    r = await step(
        gql,
        "rejectTicket",
        ", reason: $r",
        {"t": _tv(t), "r": reason, "_types": ", $r: String!"},
        "chief-changan",
    )
    assert r["ticket"]["status"] == "REJECTED", r
    return r["ticket"]


async def test_the_report_lists_every_ticket_with_the_phone_and_every_read(gql: Any) -> None:
    refs = await ids(gql)
    first = (
        await register(
            gql,
            refs,
            reporterName="赵先生",
            reporterPhone="137 0711 4401",
            description="占道经营，回电137-0711-4401",
        )
    )["ticket"]
    second = (await register(gql, refs, reporterName="赵先生", reporterPhone="+86 137-0711-4401"))["ticket"]
    await _reject(gql, second, "已另案处理，通知13707114401")
    other = (await register(gql, refs, reporterName="钱女士", reporterPhone="13707114402"))["ticket"]
    assert data(await gql(READ_PHONE, {"n": first["number"]}, as_user="chief-changan"))["ticket"][
        "reporterPhone"
    ]

    report = data(await gql(REPORT, {"p": "13707114401"}))["personalDataReport"]
    assert report["phoneMasked"] == "137****4401"
    assert report["ticketCount"] == 2
    by_number = {t["number"]: t for t in report["tickets"]}
    assert set(by_number) == {first["number"], second["number"]} and other["number"] not in by_number
    assert by_number[first["number"]]["reporterPhone"] == "137 0711 4401"
    assert by_number[first["number"]]["reporterName"] == "赵先生"
    assert by_number[first["number"]]["fieldsMentioningPhone"] == ["description"]
    assert by_number[first["number"]]["finalAt"] is None
    assert by_number[second["number"]]["fieldsMentioningPhone"] == ["reject_reason"]
    assert by_number[second["number"]]["status"] == "REJECTED" and by_number[second["number"]]["finalAt"]
    reads = [(r["actor"], r["interface"], r["ticketNumber"]) for r in report["reads"]]
    assert ("chief-changan", "graphql", first["number"]) in reads
    assert report["readCount"] == len(report["reads"]) and report["erasures"] == []

    # the same phone typed differently finds the same tickets; the report is itself a logged read
    again = data(await gql(REPORT, {"p": "0086 137 0711 4401"}))["personalDataReport"]
    assert again["ticketCount"] == 2
    assert ("bureau", "graphql", first["number"]) in [
        (r["actor"], r["interface"], r["ticketNumber"]) for r in again["reads"]
    ]


async def test_only_bureau_staff_may_ask_or_erase(gql: Any) -> None:
    await register(gql, await ids(gql), reporterName="赵先生", reporterPhone="13707114401")
    for user in ("deputy", "admin", "chief-changan", "worker-xiagang", "congress"):
        assert error_codes(await gql(REPORT, {"p": "13707114401"}, as_user=user)) == ["FORBIDDEN"], user
        refused = data(await gql(ERASE, {"p": "13707114401", "r": "本人申请"}, as_user=user))
        assert refused["erasePersonalData"]["__typename"] == "ForbiddenError", user
    assert error_codes(await gql(REPORT, {"p": "13707114401"}, as_user=None)) == ["UNAUTHENTICATED"]
    # nothing was erased by the refused attempts
    assert data(await gql(REPORT, {"p": "13707114401"}))["personalDataReport"]["ticketCount"] == 1


async def test_bad_input_is_refused_and_changes_nothing(gql: Any) -> None:
    refs = await ids(gql)
    t = (await register(gql, refs, reporterName="孙先生", reporterPhone="13707114403"))["ticket"]
    await _reject(gql, t)
    for phone in ("", "abc", "12", "1" * 30, "13707114403; DROP TABLE ticket"):
        assert error_codes(await gql(REPORT, {"p": phone})) == ["BAD_USER_INPUT"], phone
        bad = data(await gql(ERASE, {"p": phone, "r": "本人申请"}))["erasePersonalData"]
        assert (bad["__typename"], bad["fields"][0]["field"]) == ("ValidationError", "phone"), phone
    for reason in ("", "   ", "理" * 501, "本人\x00申请"):
        bad = data(await gql(ERASE, {"p": "13707114403", "r": reason}))["erasePersonalData"]
        assert (bad["__typename"], bad["fields"][0]["field"]) == ("ValidationError", "reason"), reason
    assert (await ticket(gql, t["number"]))["reporterPhone"] == "13707114403"


async def test_erasure_refused_while_open_then_forced_leaves_no_phone_and_the_figures(gql: Any) -> None:
    from datetime import datetime

    from server.clock import CITY_TZ

    refs = await ids(gql)
    phone, typed = "13707114404", "137-0711-4404"
    closed = (
        await register(
            gql,
            refs,
            reporterName="周女士",
            reporterPhone=typed,
            description="周女士反映噪音，电话137 0711 4404",
        )
    )["ticket"]
    await _reject(gql, closed, "周女士(13707114404)所报不属城管")
    still_open = (await register(gql, refs, reporterName="周女士", reporterPhone="+86 " + phone))["ticket"]
    assert data(await gql(READ_PHONE, {"n": closed["number"]}, as_user="chief-changan"))["ticket"][
        "reporterPhone"
    ]
    today = datetime.now(CITY_TZ).date()
    period = (f"{today.year}-01-01", today.isoformat())
    before = await statistics(gql, *period)
    forms = (phone, typed, "137 0711 4404")
    assert "ticket" in await tables_holding(*forms)  # the scan sees it where it is

    refused = data(await gql(ERASE, {"p": phone, "r": "本人来电要求删除"}))["erasePersonalData"]
    assert refused["__typename"] == "ValidationError"
    assert [(f["field"], f["code"]) for f in refused["fields"]] == [("force", "TICKET_OPEN")]
    assert still_open["number"] in refused["fields"][0]["message"]
    assert (await ticket(gql, closed["number"]))["reporterName"] == "周女士"  # nothing written
    assert data(await gql(REPORT, {"p": phone}))["personalDataReport"]["erasures"] == []

    erased = data(await gql(ERASE, {"p": typed, "r": "本人来电要求删除", "f": True}))["erasePersonalData"]
    assert erased["__typename"] == "ErasePersonalDataPayload", erased
    assert erased["ticketsAnonymised"] == 2 and erased["openTickets"] == 1
    assert sorted(erased["ticketNumbers"]) == sorted([closed["number"], still_open["number"]])

    c = await ticket(gql, closed["number"])
    assert (c["reporterName"], c["reporterPhone"]) == ("", "")
    assert c["description"] == "周**反映噪音，电话137****4404"
    assert c["rejectReason"] == "周**(137****4404)所报不属城管"
    o = await ticket(gql, still_open["number"])
    assert (o["status"], o["reporterPhone"]) == ("REGISTERED", "")  # the open ticket goes on without it

    # a later report finds nothing held, the earlier reads and the erasure (by the keyed hash)
    report = data(await gql(REPORT, {"p": "+86 137 0711 4404"}))["personalDataReport"]
    assert report["ticketCount"] == 0 and report["tickets"] == []
    [erasure] = report["erasures"]
    assert erasure["actor"] == "bureau" and erasure["forced"] and erasure["ticketsAnonymised"] == 2
    assert sorted(erasure["ticketNumbers"]) == sorted(erased["ticketNumbers"])
    assert ("chief-changan", closed["number"]) in [(r["actor"], r["ticketNumber"]) for r in report["reads"]]

    # the scorecard and the 721 figures are unchanged
    assert await statistics(gql, *period) == before

    # no table holds the phone in any form: not the tickets, not the audit trail or history
    # (they never store it), not the access logs
    assert await tables_holding(*forms) == set()
    # the erasure's own audit entry carries the keyed hash, not the phone
    trail = data(
        await gql(
            '{ auditTrail(objectType: "PersonalData", first: 5) { nodes { operation objectId after } } }',
            as_user="admin",
        )
    )["auditTrail"]["nodes"]
    entry = next(e for e in trail if sorted(e["after"]["tickets"]) == sorted(erased["ticketNumbers"]))
    assert entry["operation"] == "erasePersonalData" and len(entry["objectId"]) == 64
    assert phone not in str(entry) and "4404" not in entry["objectId"]


async def test_a_phone_mentioned_in_another_reporters_ticket_is_reported_and_erased(gql: Any) -> None:
    """The reporter was changed (updateTicket): the old number stays in the free text. The report
    finds the ticket by the mention (not as the reporter's), and the erasure masks the mentions and
    leaves the ticket's own reporter alone."""
    refs = await ids(gql)
    t = (
        await register(
            gql,
            refs,
            reporterName="李四",
            reporterPhone="13912345600",
            description="原号1391234 56 78，李四",  # a grouping that splits the last digits
        )
    )["ticket"]
    updated = data(
        await gql(
            'mutation($t: TicketVersion!) { updateTicket(ticket: $t, reporterName: "钱七", '
            'reporterPhone: "13912345699") { __typename ... on TicketPayload { ticket { id version } } } }',
            {"t": _tv(t)},
            as_user="worker-xiagang",
        )
    )["updateTicket"]
    assert updated["__typename"] == "TicketPayload", updated
    await _reject(gql, updated["ticket"], "李四改号，旧号 139.1234.56 78 停用")

    report = data(await gql(REPORT, {"p": "13912345678"}))["personalDataReport"]
    assert report["ticketCount"] == 1
    [held] = report["tickets"]
    assert held["number"] == t["number"] and held["fieldsMentioningPhone"] == ["description", "reject_reason"]
    assert (held["heldAsReporter"], held["reporterName"], held["reporterPhone"]) == (False, "", "")
    # the same number typed in full-width digits finds the same ticket
    wide = "".join(chr(0xFF10 + int(d)) for d in "13912345678")
    assert data(await gql(REPORT, {"p": wide}))["personalDataReport"]["ticketCount"] == 1

    erased = data(await gql(ERASE, {"p": "139 1234 5678", "r": "本人申请删除"}))["erasePersonalData"]
    assert erased["__typename"] == "ErasePersonalDataPayload", erased
    assert erased["ticketNumbers"] == [t["number"]] and erased["ticketsAnonymised"] == 1
    after = await ticket(gql, t["number"])
    assert after["description"] == "原号139****5678，李四"
    assert after["rejectReason"] == "李四改号，旧号 139****5678 停用"
    assert (after["reporterName"], after["reporterPhone"]) == ("钱七", "13912345699")  # someone else's
    assert await tables_holding("13912345678", "139.1234.5678") == set()
    assert data(await gql(REPORT, {"p": "13912345678"}))["personalDataReport"]["ticketCount"] == 0


async def test_a_report_is_asked_once_per_request_however_many_aliases(gql: Any) -> None:
    """Each report scans the tickets' free text: aliases cannot multiply that in one request."""
    aliased = (
        "{ "
        + " ".join(f'r{i}: personalDataReport(phone: "1370000{i:04d}") {{ ticketCount }}' for i in range(3))
        + " }"
    )
    result = await gql(aliased)
    assert "data" not in result or result["data"] is None
    assert {e["extensions"]["code"] for e in result["errors"]} == {"BAD_USER_INPUT"}
    assert "once per request" in result["errors"][0]["message"]
    single = await gql('{ personalDataReport(phone: "13700000001") { ticketCount } }')
    assert single["data"]["personalDataReport"]["ticketCount"] == 0
