"""Phone and ID numbers are masked however they are typed — full-width digits from a Chinese input
method, dots, underscores, full-width separators, an area code in parentheses — in what callers
without ticket_personal read and in the append-only history, and the reporter's own phone is found
in any of these forms; ticket numbers, dates, times and amounts are left as typed."""

from __future__ import annotations

from typing import Any

from tests.helpers import data
from tests.privacy.helpers import tables_holding
from tests.tickets.workflow_helpers import ids, register, step

READ = """query($n: String!) { ticket(number: $n) { description rejectReason history { action comment } } }"""
ERASE = """mutation($p: String!) { erasePersonalData(phone: $p, reason: "本人申请", force: true) { __typename
  ... on ErasePersonalDataPayload { ticketsAnonymised } } }"""
# Not numbers of a person: they must come through exactly as typed.
KEPT = "工单 DG-20260302-000017，2026-03-02 09:30 到场，2026.03.02 复查，罚款 1,250.50 元，面积 13.5 平方米"


async def test_numbers_in_every_typed_form_are_masked_and_never_stored_in_the_history(gql: Any) -> None:
    refs = await ids(gql)
    description = (
        "王五 回电 １３６２２２２０１０１ 或 136.2222.0102 或 136_2222_0103 或 136　2222　0104，"
        "身份证 44030119900101１２３４，座机 (0769) 2222-0105；" + KEPT
    )
    t = (
        await register(gql, refs, reporterName="王五", reporterPhone="136 2222 0100", description=description)
    )["ticket"]
    reason = (
        "王五 已撤回，回电 １３６２２２２０１０６ 或 136.2222.0107，"
        "本人号码 136-2222-0100 即 １３６.２２２２.０１００"
    )
    rejected = await step(
        gql,
        "rejectTicket",
        ", reason: $r",
        {"t": {"id": t["id"], "version": t["version"]}, "r": reason, "_types": ", $r: String!"},
        "chief-changan",
    )
    assert rejected["__typename"] == "TicketPayload", rejected

    masked = data(await gql(READ, {"n": t["number"]}, as_user="deputy"))["ticket"]
    assert masked["description"] == (
        "王* 回电 136****0101 或 136****0102 或 136****0103 或 136****0104，"
        "身份证 440301********1234，座机 076*****0105；" + KEPT
    )
    assert masked["rejectReason"] == (
        "王* 已撤回，回电 136****0106 或 136****0107，本人号码 136****0100 即 136****0100"
    )
    # the full text still reaches ticket_personal, with the rest of the text exactly as typed
    full = data(await gql(READ, {"n": t["number"]}))["ticket"]
    assert full["description"] == description and full["rejectReason"] == reason

    # the history is append-only: stored masked, so even the bureau reads it masked
    [comment] = [e["comment"] for e in full["history"] if e["action"] == "reject"]
    assert comment == masked["rejectReason"]
    for phone in ("0106", "0107"):
        forms = (f"１３６２２２２０{phone}", "１３６２２２２" + "".join(chr(0xFF10 + int(d)) for d in phone))
        assert await tables_holding(f"136.2222.{phone}", *forms) <= {"ticket"}

    # erasure reaches every form of the reporter's phone and the other numbers in the free text
    erased = data(await gql(ERASE, {"p": "13622220100"}))["erasePersonalData"]
    assert erased["__typename"] == "ErasePersonalDataPayload" and erased["ticketsAnonymised"] >= 1
    after = data(await gql(READ, {"n": t["number"]}))["ticket"]
    assert after["rejectReason"] == masked["rejectReason"]
    assert after["description"].endswith(KEPT)
    assert (
        await tables_holding("136.2222.0107", "１３６２２２２０１０６", "１３６.２２２２.０１００") == set()
    )


# Runs of separators and the other characters people put between groups of digits.
SEPARATED = (
    "138  1234  5601",
    "138 - 1234 - 5602",
    "138/1234/5603",
    "138,1234,5604",
    "138、1234、5605",
    "(138)12345606",
    "138\t1234\t5607",
    "138\n1234\n5608",
    "138\u20031234\u20035609",
    "138\u200b1234\u200b5610",
    "138·1234·5611",
    "138    1234    5612",
    "1 3 8 1 2 3 4 5 6 1 3",
    "138~1234~5614",
)


async def test_numbers_typed_with_runs_of_separators_are_masked_in_text_and_history(gql: Any) -> None:
    refs = await ids(gql)
    description = "邻居电话 " + " 或 ".join(SEPARATED) + "；" + KEPT
    registered = await register(
        gql, refs, reporterName="赵六", reporterPhone="13812345600", description=description
    )
    t = registered["ticket"]
    reason = "回拨 136  5555  6611 或 136 - 5555 - 6612"
    rejected = await step(
        gql,
        "rejectTicket",
        ", reason: $r",
        {"t": {"id": t["id"], "version": t["version"]}, "r": reason, "_types": ", $r: String!"},
        "chief-changan",
    )
    assert rejected["__typename"] == "TicketPayload", rejected
    masked = data(await gql(READ, {"n": t["number"]}, as_user="deputy"))["ticket"]
    for typed in SEPARATED:
        last = "".join(ch for ch in typed if ch.isdigit())[-4:]
        assert typed not in masked["description"] and f"138****{last}" in masked["description"], typed
    assert masked["description"].endswith(KEPT)
    assert masked["rejectReason"] == "回拨 136****6611 或 136****6612"
    # a local landline without area code, one after +86, an ID number grouped with middle dots
    other = "家里电话：2234 5678，邻居 +86 769 2345 6789，身份证 440301·19900101·123X，2023 2024 两年"
    t2 = (await register(gql, refs, reporterName="孙八", reporterPhone="13812345601", description=other))[
        "ticket"
    ]
    seen = data(await gql(READ, {"n": t2["number"]}, as_user="deputy"))["ticket"]["description"]
    assert seen == "家里电话：****5678，邻居 769****6789，身份证 440301********123X，2023 2024 两年"
    full = data(await gql(READ, {"n": t["number"]}))["ticket"]
    [comment] = [e["comment"] for e in full["history"] if e["action"] == "reject"]
    assert comment == masked["rejectReason"]  # stored masked in the append-only history
    assert await tables_holding("136  5555  6611", "136 - 5555 - 6612") <= {"ticket"}
