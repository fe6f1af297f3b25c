"""People hear of what concerns them: a citizen's SMS at registration (at a gateway the test
starts) and never in the quiet hours; a deputy's inbox and e-mail (to a real SMTP server, aiosmtpd)
when their proposal is assigned; opting out of a channel; marking the inbox read."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from server.clock import CITY_TZ
from server.notifications.models import OutgoingMessage
from tests.helpers import data
from tests.notifications.helpers import Clock, Receiver, configure, work
from tests.proposals import flow
from tests.tickets.test_return_visits import _resolved
from tests.tickets.workflow_helpers import ids, register, step

INBOX = "{ notifications { unreadCount items { id kind title body objectId readAt } } }"
PREFERENCES = """mutation($a: Boolean, $e: Boolean, $m: String) {
  setNotificationPreferences(inApp: $a, email: $e, emailAddress: $m) { __typename
    ... on NotificationPreferencesPayload { preferences { inApp email emailAddress } }
    ... on ValidationError { fields { field code } } } }"""
MARK = """mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { __typename
  ... on MarkNotificationsReadPayload { marked unreadCount } } }"""


def _sms_texts(gateway: Receiver) -> list[dict[str, Any]]:
    return [r.json() for r in gateway.received]


async def test_a_citizen_gets_an_sms_with_the_ticket_number_when_it_is_registered(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = await Receiver().start()
    configure(monkeypatch, sms_gateway_url=gateway.url("/sms"))
    Clock(monkeypatch, datetime.now(CITY_TZ).replace(hour=10, minute=0))
    try:
        registered = await register(gql, await ids(gql))
        await work()
    finally:
        await gateway.stop()
    number = registered["ticket"]["number"]
    sent = _sms_texts(gateway)
    assert len(sent) == 1 and sent[0]["phone"] == "13800000001"
    assert sent[0]["text"] == f"【连心桥】您反映的问题已登记，工单号{number}（占道经营），我们将尽快处理。"
    row = await OutgoingMessage.get(channel="SMS", template="ticket_registered")
    assert (row.status, row.recipient_masked, row.held) == ("SENT", "138****0001", False)


async def test_at_23_00_the_sms_is_held_until_the_quiet_hours_end(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = await Receiver().start()
    configure(monkeypatch, sms_gateway_url=gateway.url("/sms"))
    clock = Clock(monkeypatch, datetime.now(CITY_TZ).replace(hour=23, minute=0, second=0, microsecond=0))
    try:
        await register(gql, await ids(gql))
        await work()
        assert _sms_texts(gateway) == []
        held = await OutgoingMessage.get(channel="SMS", template="ticket_registered")
        morning = (clock.value + timedelta(days=1)).replace(hour=8, minute=0)
        assert (held.status, held.held, held.next_attempt_at) == ("PENDING", True, morning)
        clock.value = morning - timedelta(minutes=1)
        await work()
        assert _sms_texts(gateway) == []
        clock.value = morning
        await work()
    finally:
        await gateway.stop()
    assert len(_sms_texts(gateway)) == 1
    assert (await OutgoingMessage.get(id=held.id)).status == "SENT"


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_deputy_hears_of_the_assignment_in_the_inbox_and_by_e_mail(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox = _Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    configure(monkeypatch, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_from="lianxin@example.org")
    try:
        bad = data(await gql(PREFERENCES, {"m": "not an address"}, as_user="deputy"))
        assert bad["setNotificationPreferences"]["fields"] == [{"field": "emailAddress", "code": "INVALID"}]
        ok = data(await gql(PREFERENCES, {"m": "deputy@example.org"}, as_user="deputy"))
        assert ok["setNotificationPreferences"]["preferences"] == {
            "inApp": True,
            "email": True,
            "emailAddress": "deputy@example.org",
        }
        proposal = await flow.assigned(gql)
        await work()
    finally:
        smtp.stop()
    title = "关于完善城市服务驿站便民设施的建议（测试）"
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["To"] == "deputy@example.org" and mail["From"] == "lianxin@example.org"
    assert mail["Subject"] == f"【连心桥】建议{proposal['number']}已交办"
    assert f"您提出的建议《{title}》（{proposal['number']}）已交办承办单位办理。" in mail.get_content()
    inbox = data(await gql(INBOX, as_user="deputy"))["notifications"]
    assert inbox["unreadCount"] == 1
    entry = inbox["items"][0]
    assert (entry["kind"], entry["title"], entry["objectId"]) == (
        "proposal_assign",
        f"建议{proposal['number']}已交办",
        proposal["id"],
    )
    # nobody else's inbox has it, and marking another's notifications read marks nothing
    assert data(await gql(INBOX, as_user="deputy2"))["notifications"]["unreadCount"] == 0
    other = data(await gql(MARK, {"ids": [entry["id"]]}, as_user="deputy2"))["markNotificationsRead"]
    assert other == {"__typename": "MarkNotificationsReadPayload", "marked": 0, "unreadCount": 0}
    mine = data(await gql(MARK, {"ids": [entry["id"]]}, as_user="deputy"))["markNotificationsRead"]
    assert (mine["marked"], mine["unreadCount"]) == (1, 0)


async def test_a_person_who_opted_out_of_a_channel_hears_nothing_there(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch)  # no SMTP: demo mode, e-mail is written to the log
    data(await gql(PREFERENCES, {"a": False, "e": False, "m": "deputy@example.org"}, as_user="deputy"))
    await flow.assigned(gql)
    await work()
    assert data(await gql(INBOX, as_user="deputy"))["notifications"]["unreadCount"] == 0
    assert await OutgoingMessage.filter(channel="EMAIL").count() == 0


async def test_the_citizen_is_asked_for_the_return_visit_when_the_ticket_is_resolved(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = await Receiver().start()
    configure(monkeypatch, sms_gateway_url=gateway.url("/sms"))
    Clock(monkeypatch, datetime.now(CITY_TZ).replace(hour=10, minute=0))
    try:
        t = await _resolved(gql, await ids(gql))
        await work()
    finally:
        await gateway.stop()
    number = data(
        await gql("query($id: ID!) { node(id: $id) { ... on Ticket { number } } }", {"id": t["id"]})
    )["node"]["number"]
    texts = [m["text"] for m in _sms_texts(gateway)]
    assert len(texts) == 2 and number in texts[0]
    assert (
        texts[1]
        == f"【连心桥】您反映的问题（工单号{number}）已处理完毕，稍后我们将回访，请您对处理结果作出评价。"
    )


async def test_the_assignee_hears_the_rules_reminder_and_escalation(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tortoise.expressions import Q

    from server.escalation.sweep import apply_rules

    registered_at = datetime.now(CITY_TZ) - timedelta(hours=3)  # its 120 minutes ran out an hour ago
    with monkeypatch.context() as patch:
        patch.setattr("server.clock.now", lambda: registered_at)
        refs = await ids(gql)
        created = await register(gql, refs)
        t = {"id": created["ticket"]["id"], "version": created["ticket"]["version"]}
        values = {"t": t, "a": refs["chief"], "_types": ", $a: ID!"}
        assert (await step(gql, "dispatchTicket", ", assigneeId: $a", values, "chief-changan"))[
            "__typename"
        ] == ("TicketPayload")
    await apply_rules(Q(), actor="scheduler")
    await work()
    number = created["ticket"]["number"]
    items = data(await gql(INBOX, as_user="chief-changan"))["notifications"]["items"]
    mine = sorted(i["kind"] for i in items if number in i["title"])
    assert mine == ["ticket_escalate", "ticket_remind"]
    assert data(await gql(INBOX, as_user="bureau"))["notifications"]["unreadCount"] == 0


async def test_a_deputy_is_told_once_that_a_proposal_is_overdue(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.jobs.runner import run_now

    clock = Clock(monkeypatch, datetime.now(CITY_TZ).replace(hour=10, minute=0))
    proposal = await flow.assigned(gql, reply_due=(clock.value + timedelta(days=5)).date())
    await work()  # the assignment's own notice
    clock.advance(days=6)
    for _ in range(2):  # the job runs again and again; the notice goes out once
        outcome = await run_now("overdue_proposal_notice", "test-runner")
        assert outcome is not None and outcome.succeeded, outcome
    items = data(await gql(INBOX, as_user="deputy"))["notifications"]["items"]
    overdue = [i for i in items if i["kind"] == "proposal_overdue" and i["objectId"] == proposal["id"]]
    assert len(overdue) == 1 and overdue[0]["title"] == f"建议{proposal['number']}已超期"
